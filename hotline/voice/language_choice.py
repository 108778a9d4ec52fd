"""Choosing the call's language: the caller keys a country calling code and `#`.

While they are silent they hear each language name in the language itself, a page at a
time (`language_selection` in menu.yaml). Moving between pages and re-prompting change
nothing durable and are answered from the step's URL; the language chosen is written
(on the call and the caller) in that step's transaction. A language with no recordings
yet takes the no-voice path: a callback with discreet defaults.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from hotline.callbacks.service import request_callback
from hotline.callers.service import caller_phone
from hotline.languages import LANGUAGES, Language, by_calling_code
from hotline.voice.actions.registry import Turn
from hotline.voice.no_voice import announce as announce_no_voice
from hotline.voice.scripts import Menu, get_scripts
from hotline.voice.state import BadStep

PICK_PROMPT = "language_pick"
SHARED_CODE_PARAM = "sc"  # the shared calling code a "which language?" step answers


def _menu(turn: Turn) -> Menu:
    return get_scripts(turn.settings).menu


def render_language(turn: Turn, page: int, failures: int, cue: str | None = None) -> VoiceResponse:
    menu = _menu(turn)
    gather = turn.response.gather(
        action=turn.url("/voice/language", p=page, f=failures),
        method="POST",
        finish_on_key="#",
        timeout=menu.gather_timeout,
        action_on_empty_result=True,
    )
    if page == 0:
        for code in menu.intro_languages:
            if cue:
                turn.say_in(code, gather, cue)
            turn.say_in(code, gather, "language_intro")
    for code in menu.pages[page]:
        turn.say_in(code, gather, "language_choice")
    return turn.response


def choose_language(
    turn: Turn, page: int, failures: int, digits: str, shared: str | None = None
) -> VoiceResponse:
    """The calling code keyed (or silence: the next page of languages); `shared`: the
    calling code whose "which language?" question this step answers."""
    menu = _menu(turn)
    if shared is not None:
        return _answer_shared(turn, shared, failures, digits)
    if (code := _shared_code(menu, digits)) is not None:
        return _ask_shared(turn, code, failures)
    if page >= len(menu.pages):
        raise BadStep("no such language page")
    if not digits:
        page += 1
        if page >= len(menu.pages):
            page, failures = 0, failures + 1
        if failures >= menu.max_failures:
            return goodbye_without_language(turn)
        return render_language(turn, page, failures)
    lang = by_calling_code(digits)
    if lang is None:
        failures += 1
        if failures >= menu.max_failures:
            return goodbye_without_language(turn)
        return render_language(turn, 0, failures, cue="language_not_recognised")
    return language_chosen(turn, lang)


def language_chosen(turn: Turn, lang: Language) -> VoiceResponse:
    """Written on the call and the caller in this step's transaction; then the greeting."""
    caller = turn.caller
    if caller is not None:
        caller.language = lang.code
    turn.call.language = lang.code
    return turn.enter_language()


# --- a calling code several languages share --------------------------------------------
# Sri Lanka's 94 is Sinhala and Tamil, India's 91 Hindi and Tamil: after `94#` the caller
# hears, each in its own language, "Sinhala: press 1", "Tamil: press 2" (every language's
# `language_pick` prompt, then the key), and one key chooses. The languages and their
# order are `language_selection.shared_calling_codes` in menu.yaml; the validator
# (hotline.packs.table) reports a shared code that has no such question.


def _shared_code(menu: Menu, digits: str) -> str | None:
    """The calling code keyed, when it is one that several languages share."""
    code = digits.strip().strip("#*").lstrip("+")
    return code if code in menu.shared_codes else None


def _ask_shared(turn: Turn, code: str, failures: int) -> VoiceResponse:
    """Which of the languages of `code`? Each says its own line and key."""
    menu = _menu(turn)
    gather = turn.response.gather(
        action=turn.url("/voice/language", p=0, f=failures, **{SHARED_CODE_PARAM: code}),
        method="POST",
        num_digits=1,
        timeout=menu.gather_timeout,
        action_on_empty_result=True,
    )
    for key, language in enumerate(menu.shared_codes[code], start=1):
        speaker = turn.speaker_for(language)
        speaker.add(gather, PICK_PROMPT)
        speaker.add_digits(gather, str(key))
    return turn.response


def _answer_shared(turn: Turn, code: str, failures: int, digits: str) -> VoiceResponse:
    """The key pressed after the question: its language, or the question again."""
    menu = _menu(turn)
    choices = menu.shared_codes.get(code)
    if choices is None:
        return render_language(turn, 0, failures, cue="language_not_recognised")
    index = int(digits) - 1 if digits.isascii() and digits.isdigit() else -1
    if 0 <= index < len(choices) and choices[index] in LANGUAGES:
        return language_chosen(turn, LANGUAGES[choices[index]])
    failures += 1
    if failures >= menu.max_failures:
        return goodbye_without_language(turn)
    return _ask_shared(turn, code, failures)


def goodbye_without_language(turn: Turn) -> VoiceResponse:
    """No language after every page and retry: goodbye in the intro languages."""
    for code in _menu(turn).intro_languages:
        turn.say_in(code, turn.response, "goodbye")
    turn.response.hangup()
    turn.update_state(phase="no_language")
    return turn.response


def no_voice(turn: Turn) -> VoiceResponse:
    """No recordings in this language yet: a callback with discreet defaults."""
    lang = turn.language
    assert lang is not None
    caller = turn.caller
    if caller is not None:
        case = turn.open_case()
        request_callback(
            turn.session,
            turn.settings.secret_key,
            case=case,
            caller=caller,
            language=lang.code,
            phone=caller_phone(turn.settings.secret_key, caller),
        )
    turn.update_state(phase="no_voice_callback")
    if not turn.say(turn.response, "no_voice_notice"):
        # Nothing in a language the caller understands: tones, its own name, "noted".
        announce_no_voice(
            turn.response, turn.settings.public_url, get_scripts(turn.settings).audio_root, lang
        )
    turn.response.hangup()
    return turn.response
