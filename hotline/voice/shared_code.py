"""A calling code several languages share asks which one, in each of them.

Sri Lanka's 94 is Sinhala and Tamil, India's 91 Hindi and Tamil: after `94#` the caller
hears, each in its own language, "Sinhala: press 1", "Tamil: press 2" (every language's
`language_pick` prompt, then the key), and one key chooses. The languages and their
order are `language_selection.shared_calling_codes` in menu.yaml; the validator
(hotline.packs.table) reports a shared code that has no such question. The flow's
language choice hands over here with one call (`CallFlow.choose_language`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response

from hotline.languages import LANGUAGES
from hotline.packs.menu import Menu

if TYPE_CHECKING:
    from hotline.voice.flow import CallFlow

PICK_PROMPT = "language_pick"


def shared_code(menu: Menu, digits: str) -> str | None:
    """The calling code keyed, when it is one that several languages share."""
    code = digits.strip().strip("#*").lstrip("+")
    return code if code in menu.shared_codes else None


def ask(flow: CallFlow, code: str, failures: int, cue: str | None = None) -> Response:
    """Which of the languages of `code`? Each says its own line and key."""
    menu = flow.scripts.menu
    gather = flow.response.gather(
        action=flow.url("/voice/language", p=0, f=failures, c=code),
        method="POST",
        num_digits=1,
        timeout=menu.gather_timeout,
        action_on_empty_result=True,
    )
    for key, language in enumerate(menu.shared_codes[code], start=1):
        speaker = flow.speaker_for(language)
        if cue:
            speaker.add(gather, cue)
        speaker.add(gather, PICK_PROMPT)
        speaker.add_digits(gather, str(key))
    return flow.done()


def answer(flow: CallFlow, code: str, failures: int, digits: str) -> Response:
    """The key pressed after the question: its language, or the question again."""
    choices = flow.scripts.menu.shared_codes.get(code)
    if choices is None:
        return flow.render_language(0, failures, cue="language_not_recognised")
    index = int(digits) - 1 if digits.isdigit() else -1
    if 0 <= index < len(choices) and choices[index] in LANGUAGES:
        return flow.language_chosen(LANGUAGES[choices[index]])
    failures += 1
    if failures >= flow.scripts.menu.max_failures:
        return flow.goodbye_without_language()
    return ask(flow, code, failures)
