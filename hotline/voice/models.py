from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.db import Base, utcnow
from hotline.encryption import EncryptedBytes, EncryptedText


class Call(Base):
    """A phone call through the hotline number, in either direction."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    purpose: Mapped[str] = mapped_column(String(16), default="ivr")  # ivr|callback|live
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callback_requests.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(24), default="in-progress")
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
    # A live caller's time in a language queue (pressed 1 → bridged, hung up or left).
    queued_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    dequeued_at: Mapped[dt.datetime | None]
    # Where the IVR is and the answers given so far (phone numbers only encrypted).
    ivr_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Voicemail(Base):
    """A voice message left with `3`; transcribed and translated by the worker."""

    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str] = mapped_column(String(512))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))
    # pending | done | not_configured | failed
    transcription_status: Mapped[str] = mapped_column(String(16), default="pending")
    transcript: Mapped[str | None] = mapped_column(EncryptedText("voicemails.transcript"))
    transcript_confidence: Mapped[float | None]
    twilio_deleted_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VoicemailAudio(Base):
    """The hotline's own copy of a voicemail's recording, fetched from Twilio by the worker.

    Kept in the database, not on a disk: web and worker processes may run on different
    machines, and once Twilio's copy is deleted this row is the only one left. A table of
    its own, so reading voicemails never loads their audio.
    """

    __tablename__ = "voicemail_audio"

    id: Mapped[int] = mapped_column(primary_key=True)
    voicemail_id: Mapped[int] = mapped_column(
        ForeignKey("voicemails.id", ondelete="CASCADE"), unique=True
    )
    audio: Mapped[bytes] = mapped_column(EncryptedBytes("voicemail_audio.audio"))
    content_type: Mapped[str] = mapped_column(String(64), default="audio/wav")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PromptRecording(Base):
    """A prompt recorded by a staff member over the phone: a language's real voice.

    The audio is kept here (fetched from Twilio by a job) so every web process can
    serve it; `hotline prompts export` writes kept recordings into `audio/`.
    """

    __tablename__ = "prompt_recordings"
    __table_args__ = (Index("ix_prompt_recordings_lookup", "language", "prompt", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    prompt: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str] = mapped_column(String(512))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    audio: Mapped[bytes | None] = mapped_column(EncryptedBytes("prompt_recordings.audio"))
    status: Mapped[str] = mapped_column(String(16), default="kept")  # kept|replaced|pending
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecorderPin(Base):
    """The PIN a staff member keys, from their registered phone, to record prompts."""

    __tablename__ = "voice_recorder_pins"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Caller ID can be spoofed, so wrong PINs count across calls: enough of them lock
    # the PIN for a while (longer each time) or until it is issued again.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None]


def replace_kept_recording(session: Session, language: str, prompt: str) -> None:
    """The prompt's live recording, if any, is `replaced` (a new take is about to be kept)."""
    session.execute(
        update(PromptRecording)
        .where(
            PromptRecording.language == language,
            PromptRecording.prompt == prompt,
            PromptRecording.status == "kept",
        )
        .values(status="replaced")
    )
