from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow

ORGANISATION_KINDS = (
    "labour_inspection",  # Labour Standards Inspection Office
    "labour_bureau",  # prefectural labour bureau
    "helpline",  # government multilingual lines (MHLW, FRESC, ISA)
    "otit",  # Organization for Technical Intern Training
    "legal_aid",
    "embassy",  # embassy or consulate of one country
    "union",
    "ngo",
    "shelter",
    "medical_interpretation",
)


class Organisation(Base):
    """Somewhere a worker can turn. Phone numbers and hours change: `verified_at` says
    when a supervisor last checked the entry against its official source."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Seeded entries carry a stable key so seeding again updates rather than duplicates.
    seed_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    known_as: Mapped[str | None] = mapped_column(String(120))  # what workers call it
    kind: Mapped[str] = mapped_column(String(32), index=True)
    prefecture: Mapped[str | None] = mapped_column(String(32))  # None: nationwide
    country: Mapped[str | None] = mapped_column(String(2))  # embassies: ISO region
    phone: Mapped[str] = mapped_column(String(40))
    # Opening hours, Japan time, e.g. "mon-fri 09:00-17:00; sat,sun 09:00-21:00"
    # (empty: always open); shown to workers with weekday names in their language.
    hours: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[dt.datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
