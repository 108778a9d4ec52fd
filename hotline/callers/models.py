from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class Caller(Base):
    """A phone number that reached the hotline. The number is never stored in clear.

    `sms_allowed`, `may_identify` and `call_window` are the worker's current choices
    (None: never asked); every answer that set them is a `ConsentEntry`."""

    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[str] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(8))
    privacy_notice_at: Mapped[dt.datetime | None]
    sms_opted_out_at: Mapped[dt.datetime | None]
    sms_allowed: Mapped[bool | None] = mapped_column(Boolean)
    may_identify: Mapped[bool | None] = mapped_column(Boolean)
    call_window: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConsentEntry(Base):
    """One answer the worker gave, never changed afterwards: a choice (`sms`,
    `discretion`, `call_window`) or a consent (`privacy_notice` heard, `recording` of a
    voice message, `number_share` with a partner organisation). The newest entry per
    subject is the one that holds; STOP/START stay in `opt_out_events`."""

    __tablename__ = "consent_entries"
    __table_args__ = (Index("ix_consent_entries_caller_subject", "caller_id", "subject", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"))
    subject: Mapped[str] = mapped_column(String(24))
    value: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))  # voice | sms | agent | migration
    notice_version: Mapped[int | None] = mapped_column(ForeignKey("privacy_notices.version"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PrivacyNotice(Base):
    """One version of the privacy notice's text, in every language: a new row whenever
    the text in `ivr_scripts/` changes, so a worker's "heard it" names what they heard."""

    __tablename__ = "privacy_notices"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
