from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow

WINDOWS = ("any", "morning", "afternoon", "evening")
OUTCOMES = ("reached", "no_answer", "busy", "wrong_number", "unsafe")


class CallbackRequest(Base):
    """A worker's request to be called back, and its place in the queue."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        Index("ix_callbacks_queue", "status", "language", "priority", "created_at"),
        Index("ix_callbacks_lease", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"))
    language: Mapped[str] = mapped_column(String(8))
    phone_encrypted: Mapped[str] = mapped_column(String(255))
    window: Mapped[str] = mapped_column(String(16), default="any")
    may_identify: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(8), default="voice")  # voice | sms
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|claimed|closed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    lease_expires_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[dt.datetime | None]


class CallbackAttempt(Base):
    """One try at calling a worker back, with what the agent recorded."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    call_status: Mapped[str | None] = mapped_column(String(24))
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
