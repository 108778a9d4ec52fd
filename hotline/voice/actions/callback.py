"""Key 2: a callback request — the number to call, then the answers, then one write.

The menu nodes between (window, may we say who we are, may we text) only move through
the menu: their answers travel in the step URLs. A number keyed in is the exception: it
is checked and stored (encrypted) on the call at once, and never put in a URL.
"""

from __future__ import annotations

import phonenumbers
from twilio.twiml.voice_response import VoiceResponse

from hotline.callbacks.service import request_callback
from hotline.callbacks.tollfraud import RefusedDestination, check_destination
from hotline.callers.service import caller_phone, get_or_create_caller
from hotline.crypto import InvalidPhoneNumber, decrypt_phone, encrypt_phone, normalise_phone
from hotline.sms.outbound import queue_sms
from hotline.voice.actions.registry import Turn, input_action, key_action

# Where the number keyed in waits (encrypted) for the request: on the call, not in a URL.
NUMBER_KEY = "number_encrypted"


@input_action("store_callback_number")
def store_callback_number(turn: Turn, digits: str) -> bool:
    """Another number keyed in: accepted when it is one the hotline may call."""
    settings = turn.settings
    try:
        e164 = normalise_phone(digits, "JP")
        check_destination(e164, settings.callback_countries)
    except (InvalidPhoneNumber, RefusedDestination, phonenumbers.NumberParseException):
        return False
    if turn.caller is None:
        # A withheld number: the number keyed in becomes the caller.
        caller = get_or_create_caller(turn.session, settings.secret_key, e164)
        turn.caller = caller
        turn.call.caller_id = caller.id
        lang = turn.language
        if lang is not None and caller.language is None:
            caller.language = lang.code
    turn.update_state(**{NUMBER_KEY: encrypt_phone(settings.secret_key, e164)})
    turn.set_answers(number="other")
    return True


@key_action("submit_callback", requires_nodes=("callback_other_number", "goodbye"))
def submit_callback(turn: Turn, play: list[str]) -> VoiceResponse:
    """The last answer given: the request is made, and its reference read out."""
    lang = turn.language
    answers = turn.answers
    caller = turn.caller
    if caller is None or answers.get("number") not in ("caller_id", "other"):
        return turn.render_node("callback_other_number")
    secret = turn.settings.secret_key
    own_number = answers.get("number") == "caller_id"
    if own_number:
        phone = caller_phone(secret, caller)
    else:
        stored = turn.state.get(NUMBER_KEY)
        if not stored:
            return turn.render_node("callback_other_number")
        phone = decrypt_phone(secret, str(stored))
    assert lang is not None
    case = turn.open_case()
    # Questions skipped because the worker answered them before are absent here:
    # their standing answers apply (request_callback reads them).
    callback = request_callback(
        turn.session,
        secret,
        case=case,
        caller=caller,
        language=lang.code,
        phone=phone,
        window=None if answers.get("window") is None else str(answers["window"]),
        may_identify=_maybe_bool(answers.get("may_identify")),
        sms_allowed=_maybe_bool(answers.get("sms_allowed")),
        urgent=bool(answers.get("urgent")),
        source="voice",
    )
    turn.update_state(phase="callback_requested")
    turn.say(turn.response, "callback_done")
    turn.read_reference(case)
    if callback.sms_allowed and own_number:
        body = turn.sms_text("callback_confirmation", reference=case.reference)
        sent = queue_sms(
            turn.session,
            purpose="callback_confirmation",
            caller=caller,
            body=body,
            case=case,
            kind="system",
            language=lang.code,
        )
        if sent is not None:
            turn.say(turn.response, "sms_sent")
    return turn.render_node("goodbye")


def _maybe_bool(value: object) -> bool | None:
    """An answer given in this call, or None when the question was skipped."""
    return None if value is None else bool(value)
