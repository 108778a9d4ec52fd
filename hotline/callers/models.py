from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class Caller(Base):
    """A phone number that reached the hotline. The number is never stored in clear."""

    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[str] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(8))
    privacy_notice_at: Mapped[dt.datetime | None]
    sms_opted_out_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def sms_opted_out(self) -> bool:
        return self.sms_opted_out_at is not None
