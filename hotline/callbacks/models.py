"""Callback requests and the language-routed queue advisers work from."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.encryption import EncryptedText

WINDOWS = ("any", "morning", "afternoon", "evening")
OUTCOMES = ("reached", "no_answer", "busy", "wrong_number", "unsafe")
STATUSES = ("queued", "claimed", "closed")


class CallbackRequest(Base):
    """A worker's request to be called back, and its place in the queue.

    `status` is queued → claimed (a lease until `lease_expires_at`) → queued again after
    a missed call, or closed. The queue order is `priority` (urgent requests sit at
    100 and above) then `next_attempt_at`, the moment the request became due.
    """

    __tablename__ = "callback_requests"

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
    claimed_at: Mapped[dt.datetime | None]
    lease_expires_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    # reached | wrong_number | unsafe | max_attempts | superseded
    closed_reason: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(EncryptedText("callback_requests.note"))
    gave_up_sms_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[dt.datetime | None]


_QUEUED = text("status = 'queued'")
_CLAIMED = text("status = 'claimed'")

# The claim query walks this index in queue order and stops at the first eligible row,
# so its cost depends on how many rows it skips, not on the length of the queue.
Index(
    "ix_callbacks_claim",
    CallbackRequest.priority.desc(),
    CallbackRequest.next_attempt_at,
    CallbackRequest.id,
    postgresql_where=_QUEUED,
    sqlite_where=_QUEUED,
)
# The same order per language, for agents (or queues) with one language.
Index(
    "ix_callbacks_claim_language",
    CallbackRequest.language,
    CallbackRequest.priority.desc(),
    CallbackRequest.next_attempt_at,
    CallbackRequest.id,
    postgresql_where=_QUEUED,
    sqlite_where=_QUEUED,
)
# One open request per case, even when two calls ask at the same moment.
Index(
    "uq_callbacks_open_case",
    CallbackRequest.case_id,
    unique=True,
    postgresql_where=text("status <> 'closed'"),
    sqlite_where=text("status <> 'closed'"),
)
Index(
    "ix_callbacks_lease",
    CallbackRequest.lease_expires_at,
    postgresql_where=_CLAIMED,
    sqlite_where=_CLAIMED,
)
# One held request per agent: concurrent claims by the same agent cannot both win.
Index(
    "uq_callbacks_holder",
    CallbackRequest.claimed_by_id,
    unique=True,
    postgresql_where=_CLAIMED,
    sqlite_where=_CLAIMED,
)


class CallbackAttempt(Base):
    """One try at calling a worker back: the call to the agent, the bridge to the worker,
    and the outcome the agent recorded."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    number: Mapped[int] = mapped_column(Integer, default=1)
    # dial_requested | calling_agent | agent_answered | bridging | completed | failed
    state: Mapped[str] = mapped_column(String(20), default="dial_requested")
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    call_status: Mapped[str | None] = mapped_column(String(24))  # the agent's leg
    dial_status: Mapped[str | None] = mapped_column(String(24))  # the worker's leg
    dial_duration_seconds: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(EncryptedText("callback_attempts.note"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
