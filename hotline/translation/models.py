from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class Translation(Base):
    """A machine translation of one text (an SMS or a transcript) into one language."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("source_kind", "source_id", "target_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(16))  # sms | voicemail
    source_id: Mapped[int] = mapped_column(Integer)
    source_language: Mapped[str | None] = mapped_column(String(8))
    target_language: Mapped[str] = mapped_column(String(8))
    # pending | done | failed | not_configured
    status: Mapped[str] = mapped_column(String(16), default="pending")
    text: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
