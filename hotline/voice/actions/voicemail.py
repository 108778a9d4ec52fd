"""Key 3: a voice message — recorded, kept on the caller's case, then transcribed.

A take too short to keep is recorded again (once); a take we do not keep is deleted at
Twilio by a job. The `<Record>` action and the recording status callback both carry the
recording: whichever arrives first stores the voicemail, the other finds it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from hotline.callers.consent import record_answer
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.cases.service import open_case_for, worker_contacted
from hotline.db import utcnow
from hotline.inputs import whole_number
from hotline.jobs import defer
from hotline.translation.voicemail_jobs import TRANSCRIBE_JOB
from hotline.voice.actions.registry import Turn, step
from hotline.voice.jobs import DISCARD_RECORDING_JOB
from hotline.voice.models import Call, Voicemail

# The node whose `record:` settings the recording status callback applies.
VOICEMAIL_NODE = "voicemail"


@step("record_voicemail", requires_nodes=("callback_other_number", "main", VOICEMAIL_NODE))
def render_record(
    turn: Turn, name: str, attempt: int, cue: list[str] | None = None
) -> VoiceResponse:
    """Ask for the message and record it (a node with `record:`)."""
    spec = turn.recording(name)
    if turn.caller is None:
        # A withheld number: the message needs a number to belong to. Once keyed
        # in, the caller comes back here to record it.
        turn.set_resume(name)
        return turn.render_node("callback_other_number")
    turn.open_case()
    turn.update_state(phase="voicemail")
    turn.say(turn.response, *(list(cue) if cue else spec.prompts))
    turn.response.record(
        action=turn.url(f"/voice/record/{name}", t=attempt),
        method="POST",
        timeout=5,
        finish_on_key=spec.finish_on_key,
        max_length=spec.max_length,
        play_beep=True,
        trim="trim-silence",
        recording_status_callback=turn.settings.public_url + "/voice/recording",
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    # Twilio goes on to the next verb when nothing at all was recorded.
    turn.response.redirect(turn.url(f"/voice/record/{name}", t=attempt, empty=1), method="POST")
    return turn.response


def record_done(turn: Turn, name: str, attempt: int, empty: bool) -> VoiceResponse:
    """A `<Record>` finished (or recorded nothing: `empty`)."""
    spec = turn.recording(name)
    form = turn.form
    duration = whole_number(form.get("RecordingDuration", "")) or 0
    if empty or duration < spec.min_seconds or not form.get("RecordingUrl"):
        discard_take(turn.session, form.get("RecordingSid", ""))
        if attempt < spec.retries:
            return render_record(turn, name, attempt + 1, cue=["voicemail_too_short"])
        turn.update_state(phase="menu")
        return turn.render_node("main", cue=["voicemail_not_saved"])
    turn.update_state(phase="voicemail_left")
    if form.get("RecordingSid"):
        save_recording(turn.session, {**form, "RecordingStatus": "completed"}, spec.min_seconds)
    case = turn.open_case()
    turn.say(turn.response, "voicemail_saved")
    turn.read_reference(case)
    return turn.render_node("main")


def discard_take(session: Session, recording_sid: str) -> None:
    """A take we do not keep (too short, or re-recorded) is deleted at Twilio by a job:
    it is a worker's voice, and nothing of ours points at it any more."""
    if not recording_sid:
        return
    defer(
        session, DISCARD_RECORDING_JOB, recording_sid=recording_sid, taken_at=utcnow().isoformat()
    )


def save_recording(session: Session, form: Mapping[str, str], min_seconds: int) -> Voicemail | None:
    """A finished voicemail recording becomes a `Voicemail` on the caller's case."""
    if form.get("RecordingStatus") != "completed":
        return None
    call = session.scalar(select(Call).where(Call.sid == form["CallSid"]))
    if call is None or call.caller_id is None:
        return None
    duration = whole_number(form.get("RecordingDuration", "")) or 0
    if duration < min_seconds:
        return None  # the too-short attempt the caller was asked to repeat
    existing = session.scalar(
        select(Voicemail).where(Voicemail.recording_sid == form["RecordingSid"])
    )
    if existing is not None:
        return existing
    caller = session.get(Caller, call.caller_id)
    assert caller is not None
    case = session.get(Case, call.case_id) if call.case_id else None
    if case is None:
        case = open_case_for(session, caller, call.language)
        call.case_id = case.id
    worker_contacted(case)
    voicemail = Voicemail(
        call_id=call.id,
        case_id=case.id,
        recording_sid=form["RecordingSid"],
        recording_url=form["RecordingUrl"],
        duration_seconds=duration,
        language=call.language or case.language,
    )
    try:
        with session.begin_nested():
            session.add(voicemail)
    except IntegrityError:
        # The Record action and the status callback raced; the other one stored it.
        return session.scalars(
            select(Voicemail).where(Voicemail.recording_sid == form["RecordingSid"])
        ).one()
    # Leaving a message after the notice is the worker agreeing to its recording.
    record_answer(session, caller, "recording", "yes", channel="voice", case=case)
    defer(session, TRANSCRIBE_JOB, voicemail_id=voicemail.id)
    return voicemail
