"""Twilio webhooks of a bridged callback: the agent answers, hears the case, presses 1,
and is connected to the worker from the hotline number.

Every URL carries the attempt id (recorded before the call was placed), so each step
has its own URL and replay key. The worker's number appears only inside the `<Dial>`
that Twilio reads, never in a URL or a log.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.agents.models import Agent
from hotline.callbacks.messages import Announcement, announcement
from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.callbacks.tollfraud import RefusedDestination, check_destination
from hotline.cases.models import Case
from hotline.crypto import decrypt_phone
from hotline.db import utcnow
from hotline.inputs import whole_number
from hotline.languages import get as get_language
from hotline.runtime import app_runtime
from hotline.webhooks import BadWebhook, empty_ok, id_arg, require, twilio_webhook, twiml

bp = Blueprint("callback_voice", __name__, url_prefix="/voice/callbacks")

FINAL_CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
CONNECT_DIGIT = "1"
DIAL_TIMEOUT_SECONDS = 30


def _attempt(callback_id: int) -> tuple[CallbackRequest, CallbackAttempt] | None:
    attempt_id = id_arg("attempt")
    if attempt_id is None:
        raise BadWebhook("the attempt query parameter must be a number")
    attempt = g.db.get(CallbackAttempt, attempt_id)
    if attempt is None or attempt.callback_id != callback_id:
        return None
    callback = g.db.get(CallbackRequest, callback_id)
    if callback is None:
        return None
    return callback, attempt


def _words(agent: Agent | None, callback: CallbackRequest) -> Announcement:
    case = g.db.get(Case, callback.case_id)
    return announcement(
        agent.ui_language if agent is not None else "en",
        case_language=callback.language,
        reference=case.reference if case is not None else "",
        may_identify=callback.may_identify,
    )


def _say(target: VoiceResponse | Gather, text: str, language: str) -> None:
    lang = get_language(language)
    target.say(text, language=lang.twilio_say_language, voice=lang.twilio_say_voice)


def _hang_up(text: str, language: str) -> Response:
    response = VoiceResponse()
    _say(response, text, language)
    response.hangup()
    return twiml(response)


def _still_held(callback: CallbackRequest, attempt: CallbackAttempt) -> bool:
    return callback.status == "claimed" and callback.claimed_by_id == attempt.agent_id


@bp.post("/<int:callback_id>/agent")
@twilio_webhook(idempotency=lambda form: f"{form.get('CallSid')}:agent")
def agent_answered(callback_id: int) -> Response:
    """The agent picked up: tell them the case and wait for 1 before ringing the worker
    (so an agent's voicemail never gets connected to a worker)."""
    require(g.form, "CallSid")
    found = _attempt(callback_id)
    if found is None:
        return _hang_up("This call is not expected. Goodbye.", "en")
    callback, attempt = found
    agent = g.db.get(Agent, attempt.agent_id)
    words = _words(agent, callback)
    if attempt.call_sid is None:
        attempt.call_sid = g.form["CallSid"]
    if not _still_held(callback, attempt):
        attempt.state = "failed"
        attempt.error = "the callback was no longer held when the agent answered"
        return _hang_up(words.not_yours, words.language)
    attempt.state = "agent_answered"
    attempt.call_status = "in-progress"
    response = VoiceResponse()
    gather = Gather(
        num_digits=1,
        timeout=10,
        action=f"{request.path.rsplit('/', 1)[0]}/connect?attempt={attempt.id}",
        method="POST",
    )
    _say(gather, words.intro, words.language)
    _say(gather, words.prompt, words.language)
    response.append(gather)
    _say(response, words.no_input, words.language)
    response.hangup()
    return twiml(response)


@bp.post("/<int:callback_id>/connect")
@twilio_webhook(idempotency=lambda form: f"{form.get('CallSid')}:connect")
def connect(callback_id: int) -> Response:
    """The agent pressed a key: 1 bridges to the worker from the hotline number."""
    require(g.form, "CallSid")
    found = _attempt(callback_id)
    if found is None:
        return _hang_up("This call is not expected. Goodbye.", "en")
    callback, attempt = found
    agent = g.db.get(Agent, attempt.agent_id)
    words = _words(agent, callback)
    if g.form.get("Digits", "") != CONNECT_DIGIT:
        attempt.state = "failed"
        attempt.error = "the agent did not press 1"
        return _hang_up(words.cancelled, words.language)
    if not _still_held(callback, attempt):
        attempt.state = "failed"
        attempt.error = "the callback was no longer held when the agent pressed 1"
        return _hang_up(words.not_yours, words.language)
    settings = app_runtime().settings
    worker = decrypt_phone(settings.secret_key, callback.phone_encrypted)
    try:
        check_destination(worker, settings.callback_countries)
    except RefusedDestination:
        attempt.state = "failed"
        attempt.error = "the worker's number failed the toll-fraud guard"
        return _hang_up(words.cancelled, words.language)
    attempt.state = "bridging"
    response = VoiceResponse()
    dial = response.dial(
        caller_id=settings.twilio_number,
        action=f"{request.path.rsplit('/', 1)[0]}/dial-status?attempt={attempt.id}",
        method="POST",
        timeout=DIAL_TIMEOUT_SECONDS,
    )
    dial.number(worker)
    return twiml(response)


@bp.post("/<int:callback_id>/dial-status")
@twilio_webhook(idempotency=lambda form: f"{form.get('CallSid')}:dial-status")
def dial_status(callback_id: int) -> Response:
    """The worker's leg ended (Dial action): record how, then end the agent's call."""
    require(g.form, "CallSid")
    found = _attempt(callback_id)
    if found is None:
        return _hang_up("Goodbye.", "en")
    callback, attempt = found
    attempt.dial_status = g.form.get("DialCallStatus") or "unknown"
    duration = g.form.get("DialCallDuration", "")
    attempt.dial_duration_seconds = whole_number(duration)
    attempt.state = "completed"
    agent = g.db.get(Agent, attempt.agent_id)
    words = _words(agent, callback)
    return _hang_up(words.ended, words.language)


@bp.post("/<int:callback_id>/agent-status")
@twilio_webhook(idempotency=lambda form: f"{form.get('CallSid')}:{form.get('CallStatus')}")
def agent_status(callback_id: int) -> Response:
    """Status callbacks of the call to the agent. Unknown ids still get 200."""
    require(g.form, "CallSid", "CallStatus")
    found = _attempt(callback_id)
    if found is None:
        return empty_ok()
    _callback, attempt = found
    status = g.form["CallStatus"]
    attempt.call_status = status
    if attempt.call_sid is None:
        attempt.call_sid = g.form["CallSid"]
    if status in FINAL_CALL_STATUSES and attempt.state in ("dial_requested", "calling_agent"):
        attempt.state = "failed"
        attempt.error = f"the agent's phone: {status}"
    attempt.updated_at = utcnow()
    return empty_ok()
