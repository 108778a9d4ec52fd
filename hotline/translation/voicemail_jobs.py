"""Voicemail jobs of the language pipeline: transcribe a voicemail (then translate the
transcript for agents), and delete recordings at Twilio once the hotline holds its own
copy (in the database). Retried and given up like `sms.translate`."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.db import utcnow
from hotline.jobs import JobRegistry, RetryLater
from hotline.languages import LANGUAGES
from hotline.runtime import Runtime
from hotline.telephony import TelephonyError, telephony
from hotline.translation import speech
from hotline.translation.audio import store_audio, stored_audio
from hotline.translation.google import GoogleSpeech, ProviderError
from hotline.translation.rows import finish_rows, retry_for, translate_rows
from hotline.translation.service import from_google_code, record_transcription
from hotline.voice.models import Voicemail, VoicemailAudio

log = logging.getLogger(__name__)

TRANSCRIBE_JOB = "voicemail.transcribe"
RECORDING_NOT_FOUND = 20404
RECORDING_GRACE = dt.timedelta(minutes=15)


def _voicemail_give_up(runtime: Runtime, error: Exception, *, voicemail_id: int) -> None:
    with runtime.db.session() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        if voicemail is not None and voicemail.transcription_status == "pending":
            voicemail.transcription_status = "failed"
    finish_rows(runtime, "voicemail", voicemail_id, "failed", f"gave up: {error}")


def transcribe_voicemail(runtime: Runtime, *, voicemail_id: int) -> None:
    """Fetch the recording, transcribe it in the caller's language, translate the text."""
    with runtime.db.session() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        if voicemail is None:
            return
        case = session.get(Case, voicemail.case_id)
        caller = session.get(Caller, case.caller_id) if case else None
        language = (
            voicemail.language
            or (case.language if case else None)
            or (caller.language if caller else None)
        )
        url = voicemail.recording_url
        status = voicemail.transcription_status
        created_at = voicemail.created_at
        stored = stored_audio(session, voicemail_id)
        audio = stored.audio if stored is not None else None

    if audio is None:
        try:
            audio = telephony(runtime.settings).fetch_recording(url)
        except TelephonyError as exc:
            if not exc.permanent:
                raise retry_for(exc) from exc
            if exc.code == RECORDING_NOT_FOUND and utcnow() - created_at < RECORDING_GRACE:
                # The Record action can arrive before Twilio has finished the file.
                raise RetryLater("recording not available yet", delay=30) from exc
            log.warning("voicemail %s: recording unavailable (%s)", voicemail_id, exc)
            # Without speech-to-text it would not have been transcribed anyway: say that.
            unconfigured = status == "pending" and not runtime.settings.google_configured
            _set_voicemail(
                runtime,
                voicemail_id,
                transcription_status="not_configured" if unconfigured else "failed",
            )
            return
        with runtime.db.session() as session:
            store_audio(session, voicemail_id, audio)  # committed before anything else

    if status == "pending":
        if not runtime.settings.google_configured:
            _set_voicemail(runtime, voicemail_id, transcription_status="not_configured")
            return
        try:
            transcript = speech.transcribe(GoogleSpeech(runtime.settings), audio, language)
        except ProviderError as exc:
            if not exc.permanent:
                raise retry_for(exc) from exc
            log.warning("voicemail %s: transcription refused (%s)", voicemail_id, exc)
            _set_voicemail(runtime, voicemail_id, transcription_status="failed")
            return
        heard = language or _language_from_stt(transcript.language)
        record_transcription(
            runtime, language=heard or "und", audio_seconds=transcript.audio_seconds
        )
        _set_voicemail(
            runtime,
            voicemail_id,
            transcription_status="done",
            transcript=transcript.text,
            transcript_confidence=transcript.confidence,
            language=heard,
        )
        language, status = heard, "done"

    if status != "done":
        return
    with runtime.db.session() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        assert voicemail is not None
        text = voicemail.transcript or ""
    if text.strip() and language:
        translate_rows(runtime, "voicemail", voicemail_id, text, language)


def _language_from_stt(code: str | None) -> str | None:
    if not code:
        return None
    for lang in LANGUAGES.values():
        if lang.google_stt.lower() == code.lower():
            return lang.code
    return from_google_code(code)


def _set_voicemail(runtime: Runtime, voicemail_id: int, **values: object) -> None:
    with runtime.db.session() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        assert voicemail is not None
        for name, value in values.items():
            if name == "language" and (value is None or voicemail.language is not None):
                continue
            setattr(voicemail, name, value)


# --- Deleting recordings at Twilio -------------------------------------------------


def delete_expired_recordings(runtime: Runtime, *, now: dt.datetime | None = None) -> int:
    """Delete Twilio's copy of every recording we hold and that is past the retention.

    Only recordings whose audio the database already holds are deleted, so a voicemail
    is never lost; a failure is simply tried again on the next pass.
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(hours=runtime.settings.recording_retention_hours)
    with runtime.db.session() as session:
        held = select(VoicemailAudio.voicemail_id).where(
            VoicemailAudio.voicemail_id == Voicemail.id
        )
        due = session.execute(
            select(Voicemail.id, Voicemail.recording_sid).where(
                Voicemail.twilio_deleted_at.is_(None),
                Voicemail.created_at <= cutoff,
                held.exists(),
            )
        ).all()
    deleted = 0
    client = telephony(runtime.settings)
    for voicemail_id, recording_sid in due:
        try:
            client.delete_recording(recording_sid)
        except TelephonyError as exc:
            if exc.code != 20404:  # already gone at Twilio: that is what we wanted
                log.warning("voicemail %s: recording not deleted yet (%s)", voicemail_id, exc)
                continue
        with runtime.db.session() as session:
            voicemail = session.get(Voicemail, voicemail_id)
            assert voicemail is not None
            voicemail.twilio_deleted_at = now
        deleted += 1
    return deleted


def delete_twilio_recordings(runtime: Runtime) -> None:
    delete_expired_recordings(runtime)


def register(registry: JobRegistry) -> None:
    registry.add(TRANSCRIBE_JOB, transcribe_voicemail, on_give_up=_voicemail_give_up)
    registry.every("voicemail.delete_twilio_recordings", delete_twilio_recordings, seconds=3600)
