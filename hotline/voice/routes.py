"""Voice webhooks configured on the Twilio number, and the prompt audio Twilio plays.

Every step of a call has its own URL (a step counter `s` in the query string), so the
idempotency key CallSid + URL names exactly one delivery.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, current_app, g, request, send_file
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from hotline.db import utcnow
from hotline.fallback import safe_voice_step
from hotline.inputs import whole_number
from hotline.languages import LANGUAGES
from hotline.voice.flow import CallFlow, ended_reason, int_arg, save_recording
from hotline.voice.models import Call, PromptRecording
from hotline.voice.scripts import AUDIO_TYPES, audio_dir
from hotline.webhooks import BadWebhook, empty_ok, require, twilio_webhook

if TYPE_CHECKING:
    from hotline.voice.recording import StaffFlow

log = logging.getLogger(__name__)

bp = Blueprint("voice", __name__, url_prefix="/voice")
audio_bp = Blueprint("voice_audio", __name__, url_prefix="/audio")

FINAL_CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
AUDIO_MAX_AGE = 7 * 24 * 3600
_AUDIO_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\.(wav|mp3)$")


def _step_key(form: object) -> str:
    """CallSid + this step's URL: a repeated delivery of the same step is replayed."""
    sid = getattr(form, "get", lambda _k: None)("CallSid")
    return f"{sid}:{request.query_string.decode('latin-1')}"


def _flow(*, first_step: bool = False) -> CallFlow:
    require(g.form, "CallSid")
    settings = current_app.extensions["hotline"].settings
    return CallFlow(g.db, settings, g.form, int_arg(request.args, "s"), first_step=first_step)


@bp.post("/incoming")
@safe_voice_step
@twilio_webhook(idempotency=lambda form: f"{form.get('CallSid')}:incoming")
def incoming() -> Response:
    """A call comes in: greet a known caller in their language, or ask for one."""
    require(g.form, "CallSid", "From")
    from hotline.voice.recording import StaffFlow, staff_member_calling

    settings = current_app.extensions["hotline"].settings
    staff = staff_member_calling(g.db, settings.secret_key, g.form["From"])
    if staff is not None:
        return StaffFlow(g.db, settings, g.form, 0, first_step=True).start(staff)
    return _flow(first_step=True).incoming()


@bp.post("/language")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def language() -> Response:
    """The calling code the caller keyed (or silence: the next page of languages)."""
    flow = _flow()
    return flow.choose_language(
        int_arg(request.args, "p"),
        int_arg(request.args, "f"),
        g.form.get("Digits", ""),
        shared=request.args.get("c"),
    )


@bp.post("/node/<name>")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def node(name: str) -> Response:
    """The key pressed (or digits keyed) in answer to a menu node."""
    flow = _flow()
    return flow.answer_node(name, int_arg(request.args, "f"), g.form.get("Digits", ""))


@bp.post("/record/<name>")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def record(name: str) -> Response:
    """A `<Record>` finished (or recorded nothing: `empty=1` from the fallback redirect)."""
    flow = _flow()
    if flow.language is None:
        raise BadWebhook("no language chosen on this call")
    return flow.record_done(name, int_arg(request.args, "t"), request.args.get("empty") == "1")


@bp.post("/recording")
@twilio_webhook(
    idempotency=lambda form: f"{form.get('RecordingSid')}:{form.get('RecordingStatus')}"
)
def recording() -> Response:
    """Recording status callback: a finished voice message joins the caller's case."""
    require(g.form, "CallSid", "RecordingSid", "RecordingStatus")
    if g.form.get("RecordingStatus") == "completed":
        require(g.form, "RecordingUrl")
    save_recording(g.db, g.form, current_app.extensions["hotline"].settings)
    return empty_ok()


@bp.post("/queue/wait")
@safe_voice_step
@twilio_webhook(idempotency=lambda form: f"{_step_key(form)}:{form.get('QueueTime')}")
def queue_wait() -> Response:
    """Played while the caller waits: their place in line and the callback offer."""
    flow = _flow()
    if flow.language is None:
        raise BadWebhook("no language chosen on this call")
    return flow.queue_wait()


@bp.post("/queue/key")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def queue_key() -> Response:
    """A key pressed while waiting: `1` leaves the queue for a callback request."""
    return _flow().queue_key(g.form.get("Digits", ""))


@bp.post("/queue/done")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def queue_done() -> Response:
    """The caller left the queue: bridged, hung up, chose a callback, or an error."""
    flow = _flow()
    if flow.language is None:
        raise BadWebhook("no language chosen on this call")
    return flow.queue_done(g.form.get("QueueResult", ""))


def _staff() -> StaffFlow:
    from hotline.voice.recording import StaffFlow

    require(g.form, "CallSid")
    settings = current_app.extensions["hotline"].settings
    return StaffFlow(g.db, settings, g.form, int_arg(request.args, "s"))


@bp.post("/staff/pin")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def staff_pin() -> Response:
    """The staff line: the PIN keyed from a registered phone."""
    return _staff().check_pin(int_arg(request.args, "f"), g.form.get("Digits", ""))


@bp.post("/staff/language")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def staff_language() -> Response:
    """The staff line: the calling code of the language to record."""
    return _staff().choose_recording_language(int_arg(request.args, "f"), g.form.get("Digits", ""))


@bp.post("/staff/recorded")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def staff_recorded() -> Response:
    """The staff line: a prompt was recorded (or nothing was: `empty=1`)."""
    return _staff().recorded(int_arg(request.args, "i"), request.args.get("empty") == "1")


@bp.post("/staff/review")
@safe_voice_step
@twilio_webhook(idempotency=_step_key)
def staff_review() -> Response:
    """The staff line: keep (1), redo (2), skip (3) or stop (*) after listening back."""
    return _staff().reviewed(int_arg(request.args, "i"), g.form.get("Digits", ""))


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
    path = audio_dir(current_app.extensions["hotline"].settings) / folder / filename
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
