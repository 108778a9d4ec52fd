"""Japan time. Stored times are UTC; opening hours, quiet hours, callback windows and
daily figures are read in Tokyo, and every "HH:MM-HH:MM" window is parsed here."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def parse_window(value: str) -> tuple[dt.time, dt.time]:
    """'21:00-08:00' → (21:00, 08:00); the settings have validated the shape."""
    start, _, end = value.partition("-")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def within(local: dt.time, start: dt.time, end: dt.time) -> bool:
    """Whether `local` falls in [start, end); a window may span midnight, and one that
    starts where it ends is empty."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def in_window(window: str, now: dt.datetime) -> bool:
    """Whether `now` (any time zone) falls in the "HH:MM-HH:MM" window, Japan time."""
    return within(now.astimezone(TOKYO).time(), *parse_window(window))
