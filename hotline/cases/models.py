from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow

CASE_STATUSES = ("open", "closed")


class Case(Base):
    """A worker's request for help, across calls, texts, voicemails and callbacks."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_activity", "status", "last_activity_at"),
        # One open case per caller, even when two texts arrive at the same moment.
        Index(
            "uq_cases_one_open_per_caller",
            "caller_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    topic: Mapped[str | None] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
