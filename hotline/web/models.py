"""Browser sign-in state kept in the database, so every web process sees the same.

Gunicorn runs several processes and no state may live in one, so failed sign-ins are
counted here (for rate limiting) and signed-in sessions are rows that sign-out deletes:
a copied cookie stops working the moment its owner signs out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class SignInFailure(Base):
    """One failed sign-in, counted per name and per client address (both hashed)."""

    __tablename__ = "web_sign_in_failures"
    __table_args__ = (Index("ix_web_sign_in_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A signed-in browser. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
