"""Key 0 then 1: an emergency — the caller's case is marked urgent for a callback."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from hotline.callbacks.service import request_callback
from hotline.callers.service import caller_phone
from hotline.voice.actions.registry import Turn, key_action


@key_action("mark_urgent", requires_nodes=("callback_other_number", "main"))
def mark_urgent(turn: Turn, play: list[str]) -> VoiceResponse:
    """An urgent callback to the calling number (or, withheld, to one keyed in)."""
    caller = turn.caller
    if caller is None:
        turn.set_answers(urgent=True)
        return turn.render_node("callback_other_number")
    lang = turn.language
    assert lang is not None
    case = turn.open_case()
    request_callback(
        turn.session,
        turn.settings.secret_key,
        case=case,
        caller=caller,
        language=lang.code,
        phone=caller_phone(turn.settings.secret_key, caller),
        urgent=True,
    )
    turn.update_state(phase="urgent_callback")
    turn.say(turn.response, "emergency_marked")
    turn.read_reference(case)
    return turn.render_node("main")
