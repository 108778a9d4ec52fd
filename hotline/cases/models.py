from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.encryption import EncryptedText

# A case's life: worked while `open`, `waiting` for the worker's answer, `referred` to an
# organisation that gives remedy, then `closed` with an outcome. Any worker contact
# reopens a closed case.
CASE_STATUSES = ("open", "waiting", "referred", "closed")
ACTIVE_STATUSES = ("open", "waiting", "referred")
CASE_OUTCOMES = ("resolved", "referred", "no_contact", "withdrawn", "out_of_scope")


class Case(Base):
    """A worker's request for help, across calls, texts, voicemails and callbacks."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_activity", "status", "last_activity_at"),
        # The inbox's pages, read in order among the cases not yet closed: latest
        # activity first, or what needs an answer first (urgent, then the oldest
        # unanswered worker contact). Language and assignment narrow them down.
        Index(
            "ix_cases_active_activity",
            "last_activity_at",
            "id",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        Index(
            "ix_cases_active_language",
            "language",
            "awaiting_reply_since",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        Index(
            "ix_cases_active_assigned",
            "assigned_agent_id",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        # One case not yet closed per caller, even when two texts arrive at the same moment.
        Index(
            "uq_cases_one_active_per_caller",
            "caller_id",
            unique=True,
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str | None] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    # When the oldest worker contact (text or voice message) that no adviser has answered
    # yet arrived; None when nothing waits for an answer.
    awaiting_reply_since: Mapped[dt.datetime | None]
    # The worker agreed that their number may be given to a partner organisation.
    number_share_agreed_at: Mapped[dt.datetime | None]
    number_share_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]


# What needs an answer first, in the inbox's order (see hotline.cases.inbox).
Index(
    "ix_cases_active_needs_reply",
    Case.urgent.desc(),
    Case.awaiting_reply_since,
    Case.last_activity_at.desc(),
    Case.id.desc(),
    postgresql_where=text("status <> 'closed'"),
    sqlite_where=text("status <> 'closed'"),
)


class CaseTopic(Base):
    """What a case is about; several per case (codes from `hotline/data/topics.csv`)."""

    __tablename__ = "case_topics"
    __table_args__ = (Index("ix_case_topics_topic", "topic", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)


class CaseEvent(Base):
    """One entry of a case's timeline that is not a message, voicemail or callback:
    internal notes, assignments, hand-overs, status changes, referrals, reopenings.
    Notes are for advisers only and never sent to the worker."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    kind: Mapped[str] = mapped_column(String(24))
    body: Mapped[str | None] = mapped_column(EncryptedText("case_events.body"))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CaseRead(Base):
    """When an adviser last opened a case: newer worker contact shows it as unread."""

    __tablename__ = "case_reads"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    read_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Referral(Base):
    """An organisation an adviser pointed the worker to, and the SMS that told them."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("sms_messages.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
