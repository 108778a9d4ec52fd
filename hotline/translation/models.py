from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.encryption import EncryptedText

TRANSLATION_STATUSES = ("pending", "done", "failed", "not_configured")


class Translation(Base):
    """A machine translation of one text (an SMS or a transcript) into one language.

    `status` says honestly what agents are looking at: only `done` rows carry a
    translation; `pending`, `failed` and `not_configured` rows leave the original as the
    only text to read.
    """

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("source_kind", "source_id", "target_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(16))  # sms | voicemail
    source_id: Mapped[int] = mapped_column(Integer)
    source_language: Mapped[str | None] = mapped_column(String(8))
    target_language: Mapped[str] = mapped_column(String(8))
    # pending | done | failed | not_configured
    status: Mapped[str] = mapped_column(String(16), default="pending")
    text: Mapped[str | None] = mapped_column(EncryptedText("translations.text"))
    provider: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(255))
    # Set while a worker is translating the pending rows of this text; a claim older
    # than a minute was abandoned and may be taken over.
    claimed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TranslationCacheEntry(Base):
    """What Google answered for one redacted text, so the same text is never sent twice.

    The key is a keyed hash (HMAC) of the text exactly as it would be sent (already
    redacted, with placeholders) and the language pair, and the answer is encrypted:
    two messages that differ only in a phone number share an entry. A `pending` entry is a
    claim by the worker that is asking Google right now; others wait for its answer.
    """

    __tablename__ = "translation_cache"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # translate | detect
    source_language: Mapped[str] = mapped_column(String(16))  # "" when detected by Google
    target_language: Mapped[str] = mapped_column(String(16))  # "" for detection
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done
    result: Mapped[str | None] = mapped_column(EncryptedText("translation_cache.result"))
    confidence: Mapped[float | None]
    characters: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TranslationUsage(Base):
    """One billable request to Google, or one answer served from the cache instead.

    Append-only, so concurrent workers never contend on a counter row; supervisors read
    sums per day and language (`hotline.translation.usage.usage_summary`).
    """

    __tablename__ = "translation_usage"
    __table_args__ = (Index("ix_translation_usage_day_language", "day", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # translate | detect | transcribe
    language: Mapped[str] = mapped_column(String(16))  # target, or spoken language
    characters: Mapped[int] = mapped_column(Integer, default=0)  # billed by Google
    audio_seconds: Mapped[int] = mapped_column(Integer, default=0)
    cache_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
