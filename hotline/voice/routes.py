"""Voice webhooks configured on the Twilio number, and the prompt audio Twilio plays.

Every step of a call has its own URL (a step counter `s` in the query string), so the
idempotency key CallSid + URL names exactly one delivery.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from flask import Blueprint, Response, abort, g, request, send_file
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.datastructures import MultiDict

from hotline.config import Settings
from hotline.crypto import decrypt_text, encrypt_text
from hotline.db import utcnow
from hotline.fallback import safe_voice_step
from hotline.inputs import whole_number
from hotline.languages import LANGUAGES
from hotline.runtime import app_runtime
from hotline.twiml_xml import to_xml
from hotline.voice.actions import live_queue, voicemail
from hotline.voice.case_status import caller_and_case_status, with_new_caller
from hotline.voice.engine import MenuEngine
from hotline.voice.first_step import FIRST_ANSWER_KEY
from hotline.voice.language_choice import SHARED_CODE_PARAM
from hotline.voice.models import Call, PromptRecording
from hotline.voice.recording import StaffFlow, staff_member_calling
from hotline.voice.scripts import AUDIO_TYPES, audio_dir, get_scripts
from hotline.voice.state import BadStep, int_arg
from hotline.webhooks import (
    RECEIPT_RETENTION,
    BadWebhook,
    empty_ok,
    require,
    twilio_webhook,
    twiml,
)

log = logging.getLogger(__name__)

bp = Blueprint("voice", __name__, url_prefix="/voice")
audio_bp = Blueprint("voice_audio", __name__, url_prefix="/audio")

FINAL_CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
AUDIO_MAX_AGE = 7 * 24 * 3600
_AUDIO_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\.(wav|mp3)$")


def _settings() -> Settings:
    return app_runtime().settings


def _step_key(form: object) -> str:
    """CallSid + this step's URL: a repeated delivery of the same step is replayed."""
    sid = getattr(form, "get", lambda _k: None)("CallSid")
    return f"{sid}:{request.query_string.decode('latin-1')}"


def _args() -> MultiDict[str, str]:
    """The step's query: a parameter given twice is not one of our URLs."""
    args = request.args
    if any(len(values) > 1 for values in args.listvalues()):
        raise BadStep("a query parameter is repeated")
    return args


def _answer(run: Callable[[], VoiceResponse]) -> Response:
    """The TwiML of a call step; a step the call flow refuses is a 400."""
    try:
        return twiml(run())
    except BadStep as exc:
        raise BadWebhook(str(exc)) from exc


def _engine() -> MenuEngine:
    require(g.form, "CallSid")
    return MenuEngine(g.db, _settings(), g.form, _args(), request.path)


@bp.post("/incoming")
@safe_voice_step
@twilio_webhook()
def incoming() -> Response:
    """A call comes in: greet a known caller in their language, or ask for one.

    On PostgreSQL an ordinary first step (a new number, or a returning caller who has
    heard the privacy notice) is answered before Flask, by `hotline.voice.first_step`:
    this view answers the rest, in one transaction. For a returning caller that is one
    read (caller, case status, whether any staff member has a PIN) and one write (the
    call, holding this answer). A repeated delivery collides on the call's unique
    CallSid and gets the stored answer back."""
    require(g.form, "CallSid", "From")
    settings, session, number = _settings(), g.db, g.form["From"]
    try:
        lookup = caller_and_case_status(session, settings.secret_key, number)
        staff = (
            staff_member_calling(session, settings.secret_key, number)
            if lookup.staff_possible
            else None
        )
        lookup = with_new_caller(lookup, session, settings.secret_key, number)
        if staff is not None:
            flow = StaffFlow(session, settings, g.form, request.args, request.path, first=lookup)
            answer, call = flow.start(staff), flow.call
        else:
            engine = MenuEngine(session, settings, g.form, request.args, request.path, first=lookup)
            answer, call = engine.incoming(), engine.call
        body = to_xml(answer)
        call.ivr_state = {
            **(call.ivr_state or {}),
            FIRST_ANSWER_KEY: encrypt_text(settings.secret_key, body),
        }
        session.commit()
    except IntegrityError:
        session.rollback()
        return _first_answer(g.form["CallSid"])
    return twiml(body)


def _first_answer(sid: str) -> Response:
    """The answer an earlier delivery of this call's first step gave."""
    call = g.db.scalar(select(Call).where(Call.sid == sid))
    stored = (call.ivr_state or {}).get(FIRST_ANSWER_KEY) if call is not None else None
    if call is None or not stored or call.started_at < utcnow() - RECEIPT_RETENTION:
        # Twilio repeats for minutes: older than a receipt would be kept, it is a
        # repeat all the same, answered with TwiML that does nothing.
        return twiml(VoiceResponse())
    return twiml(decrypt_text(_settings().secret_key, str(stored)))


@bp.post("/language")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def language() -> Response:
    """The calling code the caller keyed (or silence: the next page of languages)."""
    return _answer(
        lambda: _engine().choose_language(
            int_arg(request.args, "p"),
            int_arg(request.args, "f"),
            g.form.get("Digits", ""),
            shared=request.args.get(SHARED_CODE_PARAM),
        )
    )


@bp.post("/node/<name>")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def node(name: str) -> Response:
    """The key pressed (or digits keyed) in answer to a menu node."""
    return _answer(
        lambda: _engine().answer_node(name, int_arg(request.args, "f"), g.form.get("Digits", ""))
    )


def _with_language() -> MenuEngine:
    engine = _engine()
    if engine.language is None:
        raise BadStep("no language chosen on this call")
    return engine


@bp.post("/record/<name>")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def record(name: str) -> Response:
    """A `<Record>` finished (or recorded nothing: `empty=1` from the fallback redirect)."""
    return _answer(
        lambda: voicemail.record_done(
            _with_language(),
            name,
            int_arg(request.args, "t"),
            request.args.get("empty") == "1",
        )
    )


@bp.post("/recording")
@twilio_webhook(
    idempotency=lambda form: f"{form.get('RecordingSid')}:{form.get('RecordingStatus')}"
)
def recording() -> Response:
    """Recording status callback: a finished voice message joins the caller's case."""
    require(g.form, "CallSid", "RecordingSid", "RecordingStatus")
    if g.form.get("RecordingStatus") == "completed":
        require(g.form, "RecordingUrl")
    node = get_scripts(_settings()).menu.nodes.get(voicemail.VOICEMAIL_NODE)
    min_seconds = node.record.min_seconds if node is not None and node.record else 1
    voicemail.save_recording(g.db, g.form, min_seconds)
    return empty_ok()


@bp.post("/queue/wait")
@safe_voice_step
@twilio_webhook(idempotency=lambda form: f"{_step_key(form)}:{form.get('QueueTime')}")
def queue_wait() -> Response:
    """Played while the caller waits: their place in line and the callback offer."""
    return _answer(lambda: live_queue.queue_wait(_with_language()))


@bp.post("/queue/key")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def queue_key() -> Response:
    """A key pressed while waiting: `1` leaves the queue for a callback request."""
    return _answer(lambda: live_queue.queue_key(_engine(), g.form.get("Digits", "")))


@bp.post("/queue/done")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def queue_done() -> Response:
    """The caller left the queue: bridged, hung up, chose a callback, or an error."""
    return _answer(lambda: live_queue.queue_done(_with_language(), g.form.get("QueueResult", "")))


def _staff() -> StaffFlow:
    require(g.form, "CallSid")
    return StaffFlow(g.db, _settings(), g.form, _args(), request.path)


@bp.post("/staff/pin")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def staff_pin() -> Response:
    """The staff line: the PIN keyed from a registered phone."""
    return _answer(lambda: _staff().check_pin(int_arg(request.args, "f"), g.form.get("Digits", "")))


@bp.post("/staff/language")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def staff_language() -> Response:
    """The staff line: the calling code of the language to record."""
    return _answer(
        lambda: _staff().choose_recording_language(
            int_arg(request.args, "f"), g.form.get("Digits", "")
        )
    )


@bp.post("/staff/recorded")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def staff_recorded() -> Response:
    """The staff line: a prompt was recorded (or nothing was: `empty=1`)."""
    return _answer(
        lambda: _staff().recorded(int_arg(request.args, "i"), request.args.get("empty") == "1")
    )


@bp.post("/staff/review")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def staff_review() -> Response:
    """The staff line: keep (1), redo (2), skip (3) or stop (*) after listening back."""
    return _answer(lambda: _staff().reviewed(int_arg(request.args, "i"), g.form.get("Digits", "")))


def ended_reason(call: Call) -> str:
    """How a call ended, from where the IVR last was."""
    phase = (call.ivr_state or {}).get("phase") or "menu"
    return {
        "queue": "abandoned_in_queue",
        "menu": "hung_up_in_menu",
        "voicemail": "hung_up_in_voicemail",
        "voicemail_left": "voicemail",
    }.get(phase, phase)


@bp.post("/status")
@twilio_webhook(idempotency=lambda form: f"{form.get('CallSid')}:{form.get('CallStatus')}")
def status() -> Response:
    """Record how a call ended. Unknown CallSids still get 200 so Twilio stops retrying."""
    form = g.form
    require(form, "CallSid", "CallStatus")
    call = g.db.scalar(select(Call).where(Call.sid == form["CallSid"]))
    if call is not None and call.ended_at is None:
        call.status = form["CallStatus"]
        if form["CallStatus"] in FINAL_CALL_STATUSES:
            call.ended_at = utcnow()
            duration = form.get("CallDuration", "")
            call.duration_seconds = whole_number(duration)
            if call.ended_reason is None:
                call.ended_reason = (
                    ended_reason(call) if form["CallStatus"] == "completed" else form["CallStatus"]
                )
    return empty_ok()


@audio_bp.get("/<folder>/<filename>")
def audio(folder: str, filename: str) -> Response:
    """A recorded prompt for Twilio's `<Play>`: public, cacheable, never a directory walk."""
    if (folder not in LANGUAGES and folder != "tones") or not _AUDIO_NAME.match(filename):
        abort(404)
    stem, ext = filename.rsplit(".", 1)
    if ext == "wav" and folder in LANGUAGES:
        recorded = _phone_recording(folder, stem)
        if recorded is not None and recorded.audio is not None:
            response = Response(recorded.audio, content_type="audio/wav")
            response.set_etag(f"r{recorded.id}")
            response.cache_control.public = True
            response.cache_control.max_age = AUDIO_MAX_AGE
            response.make_conditional(request)
            return response
    path = audio_dir(app_runtime().settings) / folder / filename
    if not path.is_file():
        abort(404)
    ext = path.suffix
    response = send_file(
        path, mimetype=AUDIO_TYPES[ext], max_age=AUDIO_MAX_AGE, conditional=True, etag=True
    )
    response.cache_control.public = True
    return response


def _phone_recording(language: str, prompt: str) -> PromptRecording | None:
    """The kept phone recording of a prompt; None (the file is played) when the database
    cannot answer, since the fallback answer plays its prompt file while it is down."""
    try:
        return g.db.scalars(
            select(PromptRecording)
            .where(
                PromptRecording.language == language,
                PromptRecording.prompt == prompt,
                PromptRecording.status == "kept",
                PromptRecording.audio.is_not(None),
            )
            .order_by(PromptRecording.id.desc())
            .limit(1)
        ).first()
    except SQLAlchemyError:
        log.warning("audio %s/%s: the database did not answer; playing the file", language, prompt)
        g.db.rollback()
        return None
