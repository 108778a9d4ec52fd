"""Safe answers for when the hotline cannot answer properly.

`/voice/fallback` and `/sms/fallback` are the fallback URLs set on the Twilio number:
Twilio calls them when a webhook failed or timed out. A voice step that raises answers
the same TwiML itself (`safe_voice_step`). None of this touches the database or Redis,
which may be what failed: the texts come from the prompt files (`fallback` in
`ivr_scripts/prompts/<lang>.yaml`), or from the constants below when even those cannot
be read. The caller's language comes from the request alone: `lang` in the query
string, the `l` the call flow puts in each step's URL (also inside Twilio's
`ErrorUrl`), or the country calling code of the number. Without one, or in a language
with neither a Twilio voice nor a recording, the answer is in Japanese and English.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import phonenumbers
from flask import Blueprint, Response, abort, request
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from hotline.languages import LANGUAGES, by_calling_code
from hotline.runtime import app_runtime
from hotline.voice.scripts import Scripts, get_scripts
from hotline.voice.twiml import Speaker
from hotline.webhooks import BadWebhook, parse_form, signature_is_valid, twiml

log = logging.getLogger(__name__)

voice_bp = Blueprint("voice_fallback", __name__, url_prefix="/voice")
sms_bp = Blueprint("sms_fallback", __name__, url_prefix="/sms")

PROMPT = "fallback"  # the prompt and the SMS template of that name in every language
DEFAULT_LANGUAGES = ("ja", "en")
# Only for when the prompt files cannot be loaded at all.
BUILT_IN_VOICE = {
    "ja": "申し訳ありません。ただいま相談窓口につながりません。しばらくしてから、"
    "もう一度お電話ください。緊急のときは、警察は110番、火事や救急車は119番です。",
    "en": "Sorry, the hotline cannot take your call right now. Please call again later. "
    "In an emergency: police, call 1 1 0. Fire or ambulance, call 1 1 9.",
}
BUILT_IN_SMS = {
    "ja": "申し訳ありません。メッセージを受け付けられませんでした。後でもう一度送ってください。"
    "緊急：警察110、火事・救急119",
    "en": "Sorry, the hotline could not take your message. Please send it again later. "
    "Emergency: police 110, fire/ambulance 119.",
}


def _scripts() -> Scripts | None:
    try:
        return get_scripts(app_runtime().settings)
    except Exception:
        log.exception("the prompt files cannot be loaded: the fallback uses its built-in text")
        return None


def hinted_language(args: Mapping[str, str], form: Mapping[str, str]) -> str | None:
    """The caller's language as far as this request tells it, without the database."""
    candidates = [args.get("lang"), args.get("l")]
    error_url = form.get("ErrorUrl")
    if error_url:
        query = parse_qs(urlsplit(error_url).query)
        candidates += query.get("l", [])
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    try:
        number = phonenumbers.parse(form.get("From", ""), None)
    except phonenumbers.NumberParseException:
        return None
    # A Japanese number says nothing: most workers have one.
    if number.country_code == 81:
        return None
    language = by_calling_code(str(number.country_code))
    return language.code if language else None


def voice_answer(public_url: str, language: str | None) -> VoiceResponse:
    """The safe answer to a call: sorry, call again, and the emergency numbers."""
    response = VoiceResponse()
    scripts = _scripts()
    spoken = False
    if language is not None and scripts is not None:
        # No phone recordings here (they live in the database): prompt files only.
        spoken = Speaker(scripts, LANGUAGES[language], public_url).add(response, PROMPT)
    if not spoken:
        for code in DEFAULT_LANGUAGES:
            lang = LANGUAGES[code]
            text = scripts.text(code, PROMPT) if scripts is not None else BUILT_IN_VOICE[code]
            response.say(text, language=lang.twilio_say_language, voice=lang.twilio_say_voice)
    response.hangup()
    return response


def sms_answer(language: str | None, body: str) -> MessagingResponse:
    """The safe answer to a text; nothing at all to a STOP (it may not be recorded)."""
    response = MessagingResponse()
    if _is_stop(body):
        return response
    scripts = _scripts()
    if scripts is None:
        response.message("\n".join(BUILT_IN_SMS[code] for code in DEFAULT_LANGUAGES))
    elif language is not None:
        response.message(scripts.sms_text(language, PROMPT))
    else:
        response.message("\n".join(scripts.sms_text(code, PROMPT) for code in DEFAULT_LANGUAGES))
    return response


def _is_stop(body: str) -> bool:
    from hotline.sms.scripts import default_scripts

    try:
        match = default_scripts(app_runtime().settings).match(body)
    except Exception:
        log.exception("the SMS keyword files cannot be loaded")
        return True  # when in doubt, send nothing
    return match is not None and match.keyword == "stop"


def _checked_form() -> MultiDict[str, str]:
    """The signed form, or 403: the fallback is a webhook like the others."""
    try:
        form = parse_form()
    except BadWebhook:
        abort(403 if not signature_is_valid(MultiDict()) else 400)
    if not signature_is_valid(form):
        abort(403)
    return form


def _public_url() -> str:
    return str(app_runtime().settings.public_url)


@voice_bp.post("/fallback")
def voice_fallback() -> Response:
    """Twilio could not get an answer for a call: a safe one, with the emergency numbers."""
    form = _checked_form()
    log.warning(
        "voice fallback: Twilio error %s on %s",
        form.get("ErrorCode", "-"),
        urlsplit(form.get("ErrorUrl", "")).path or "-",
    )
    return twiml(voice_answer(_public_url(), hinted_language(request.args, form)))


@sms_bp.post("/fallback")
def sms_fallback() -> Response:
    """Twilio could not get an answer for a text: ask the sender to send it again."""
    form = _checked_form()
    log.warning(
        "sms fallback: Twilio error %s on %s",
        form.get("ErrorCode", "-"),
        urlsplit(form.get("ErrorUrl", "")).path or "-",
    )
    return twiml(sms_answer(hinted_language(request.args, form), form.get("Body", "")))


def safe_voice_step(view: Callable[..., Response]) -> Callable[..., Response]:
    """A voice step that raises answers the fallback TwiML instead of a bare 500, which
    Twilio would read to the caller as "an application error has occurred"."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except HTTPException:
            raise
        except Exception:
            log.exception("voice step %s failed: answered the fallback", request.path)
            try:
                language = hinted_language(request.args, parse_form())
            except Exception:
                language = None
            return twiml(voice_answer(_public_url(), language))

    return wrapper
