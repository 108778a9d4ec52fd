from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.encryption import EncryptedText

# Twilio's message statuses in the order they can happen; a status only moves forward.
SMS_STATUS_ORDER = (
    "pending",  # recorded here, not yet handed to Twilio
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "receiving",
    "received",
    "delivered",
    "undelivered",
    "failed",
    "read",
    "canceled",
    "blocked",  # not sent: the number has opted out
)


class SmsMessage(Base):
    """One SMS, in or out. Bodies are personal data: never logged."""

    __tablename__ = "sms_messages"
    __table_args__ = (Index("ix_sms_messages_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(8))  # "in" | "out"
    kind: Mapped[str] = mapped_column(String(16), default="worker")  # worker|system|agent
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    body: Mapped[str] = mapped_column(EncryptedText("sms_messages.body"))
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(255))
    segments: Mapped[int | None] = mapped_column(Integer)
    num_media: Mapped[int] = mapped_column(Integer, default=0)
    media: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OptOutEvent(Base):
    """The opt-out ledger: every STOP and START a number ever sent, and 21610 answers."""

    __tablename__ = "opt_out_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"), index=True)
    action: Mapped[str] = mapped_column(String(8))  # "stop" | "start"
    source: Mapped[str] = mapped_column(String(32))  # keyword text class, "twilio-21610", ...
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


_STATUS_RANK = {name: i for i, name in enumerate(SMS_STATUS_ORDER)}


def advance_status(message: SmsMessage, new_status: str) -> bool:
    """Move a delivery status forward only; late or repeated callbacks change nothing."""
    rank = _STATUS_RANK.get(new_status)
    if rank is None or rank <= _STATUS_RANK.get(message.status, -1):
        return False
    message.status = new_status
    return True


class SmsConversation(Base):
    """A question the hotline asked by SMS and is waiting for an answer to.

    One row per number; it only counts until `expires_at`, after which the number is back
    in the plain keyword state (a late "1" is then an ordinary message to advisers).
    """

    __tablename__ = "sms_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"), unique=True)
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SmsDelivery(Base):
    """A text exactly as Twilio delivered it to `/sms/incoming`, stored before anything
    is done with it (hotline.sms.intake) and turned into a message, a case and replies
    afterwards by the worker (hotline.sms.processor).

    `sender_hash` is the keyed hash of the sender's number (as `callers.phone_hash`): it
    orders a sender's texts without opening the sealed `payload` (From, Body, media).
    A row is pending until `processed_at`; a failed attempt counts in `attempts`, waits
    until `run_after`, and after the last one is `failed_at` for `hotline inbound`.
    """

    __tablename__ = "sms_deliveries"
    __table_args__ = (
        Index("ix_sms_deliveries_sender", "sender_hash", "id"),
        Index(
            "ix_sms_deliveries_pending",
            "id",
            postgresql_where=text("processed_at IS NULL AND failed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL AND failed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    sender_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(EncryptedText("sms_deliveries.payload"))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(255))
