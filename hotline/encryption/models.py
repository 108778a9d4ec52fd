from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class DataKeyRecord(Base):
    """A key that has sealed stored data: its id and a check value, never the key.

    Start-up compares the configured keys with these rows, so a missing or wrong key
    stops the process with a clear message instead of failing on the first read.
    `retired_at` is set once `hotline keys rotate` has left no value sealed with it.
    """

    __tablename__ = "data_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    check_value: Mapped[str] = mapped_column(String(64))
    first_used_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]
