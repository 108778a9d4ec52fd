"""Words the callback flow speaks or sends: the agent's announcement and the SMS a
worker gets when every attempt has failed.

Both are pack data (`ivr_scripts/packs/<lang>.yaml`, hotline.packs.texts): the
announcement from the agent language's `agent_lines` (English and Japanese), the SMS
from each language's `gave_up_sms` (machine drafts carry `reviewed: false`).
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.packs.texts import current_packs


@dataclass(frozen=True)
class Announcement:
    language: str  # the code of the language it is spoken in
    intro: str
    prompt: str
    no_input: str
    cancelled: str
    not_yours: str
    ended: str


def announcement(
    agent_language: str, *, case_language: str, reference: str, may_identify: bool
) -> Announcement:
    """What the agent hears on answering: language, reference digit by digit, discretion."""
    packs = current_packs()
    lang = agent_language if agent_language in packs.agent_languages() else "en"
    pack = packs.get(lang)
    joined = pack is not None and not pack.script.word_boundaries
    digits = ("、" if joined else ", ").join(reference)

    def line(key: str, **values: str) -> str:
        return packs.agent_line(lang, key, **values)

    discretion = line("may_identify" if may_identify else "do_not_identify")
    return Announcement(
        language=lang,
        intro=line(
            "callback_intro",
            language=packs.name_in(lang, case_language),
            reference=digits,
            discretion=discretion,
        ),
        prompt=line("callback_prompt"),
        no_input=line("callback_no_input"),
        cancelled=line("callback_cancelled"),
        not_yours=line("callback_not_yours"),
        ended=line("callback_ended"),
    )


def gave_up_sms(language: str | None) -> tuple[str, str]:
    """The SMS text for `language` and the language it is actually written in."""
    return current_packs().gave_up_sms(language)
