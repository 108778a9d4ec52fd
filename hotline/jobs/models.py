from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class OutboxJob(Base):
    """A job written in the same transaction as the event that causes it.

        The database, not Redis, is the source of truth: Redis only carries the id of a
        row to run. A row without `pushed_at` is pushed by the relay; a row with `done_at`
        or `failed_at` never runs again. A started row whose `heartbeat_at` is older than
    `hotline.jobs.LEASE` was abandoned by a dead worker and is handed out again.
    """

    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_pending", "done_at", "failed_at", "pushed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    run_after: Mapped[dt.datetime | None]
    pushed_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]  # renewed while it runs: see hotline.jobs
    done_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
