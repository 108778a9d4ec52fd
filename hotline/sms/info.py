"""Rights information by SMS: `INFO` lists the topics of the IVR's key 4 by number and
`INFO <n>` sends topic n's text, with one organisation of the referral directory.

The topics, their numbers and their texts are the voice prompts' own (`menu.yaml`'s
`sms_info_node` and each prompt's `sms` block, see `hotline.voice.sms_form`), so a
correction reaches callers and texters alike. Only the list's last line and the first
line of HELP come from the SMS scripts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.directory.models import Organisation
from hotline.directory.service import referral_text, search
from hotline.sms.scripts import SmsScripts
from hotline.voice import sms_form
from hotline.voice.scripts import Scripts, get_scripts

# Where to turn for each topic, best first: an organisation of one of these kinds, or
# the national line whose seed key starts so (the MHLW Labour Conditions Hotline has one
# entry per language; FRESC and the immigration centre share its kind `helpline`).
REFERRALS: dict[str, tuple[str, ...]] = {
    "info_wages": ("seed:mhlw-labour-hotline", "labour_inspection", "labour_bureau"),
    "info_hours": ("seed:mhlw-labour-hotline", "labour_inspection", "labour_bureau"),
    "info_injury": ("labour_inspection", "seed:mhlw-labour-hotline"),
    "info_harassment": ("labour_bureau", "seed:mhlw-labour-hotline"),
    "info_passport": ("otit",),
    "info_employer": ("otit",),
}


@dataclass(frozen=True)
class Topic:
    number: str
    prompt: str
    title: str
    text: str


def topics(language: str, voice: Scripts | None = None) -> list[Topic]:
    """The rights topics in `language`, numbered as on the phone."""
    voice = voice or get_scripts()
    prompts = voice.languages[language].prompts
    out = []
    for number, name in voice.menu.sms_topics:
        prompt = prompts[name]
        assert prompt.sms is not None  # the loader requires it
        text = sms_form.sms_text(prompt.text, prompt.sms)
        out.append(Topic(number, name, prompt.sms.title, text))
    return out


def chosen_topic(argument: str, language: str, voice: Scripts | None = None) -> Topic | None:
    """The topic `INFO <n>` asks for; None for no number or one that is not a topic.
    Any script's digits count (NFKC already made full-width ones ASCII)."""
    words = argument.split()
    if not words or not words[0].isdecimal():
        return None
    number = str(int(words[0]))
    return next((t for t in topics(language, voice) if t.number == number), None)


def topic_list(scripts: SmsScripts, language: str, voice: Scripts | None = None) -> str:
    """What this number is (HELP's first line, as carriers expect of INFO), the topics
    by number, and how to ask for one."""
    about = scripts.reply(language, "help").splitlines()[0]
    lines = [f"{t.number} {t.title}" for t in topics(language, voice)]
    return "\n".join([about, *lines, scripts.reply(language, "info_choose")])


def referral_for(session: Session, topic: Topic, language: str) -> str | None:
    """One organisation for the topic that speaks the worker's language, as an SMS.

    Only entries a supervisor has verified: nobody reads this answer before it goes,
    and the fact sheet asks that every number be checked before a worker is given it.
    Entries whose languages are not stated are left out for the same reason.
    """
    candidates = [
        org
        for org in search(session, language=language)
        if org.verified_at is not None and language in org.languages
    ]
    for wanted in REFERRALS.get(topic.prompt, ()):
        for org in candidates:
            if _is(org, wanted):
                return referral_text(org, language)
    return None


def _is(org: Organisation, wanted: str) -> bool:
    if wanted.startswith("seed:"):
        return (org.seed_key or "").startswith(wanted.removeprefix("seed:"))
    return org.kind == wanted
