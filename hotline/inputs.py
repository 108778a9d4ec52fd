"""What no request may carry, whatever route it takes: control characters and ids no
row can have. PostgreSQL refuses NUL in text and integers beyond 32 bits, so these
are refused at the edge with a 4xx instead of failing in the driver with a 500."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Tab and line breaks are text; every other C0/C1 control character is not.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_ID = 2**31 - 1  # the largest id a row can have (a 32-bit INTEGER on PostgreSQL)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def first_with_control_characters(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of the first (name, value) pair with a control character in either."""
    for name, value in pairs:
        if has_control_characters(name) or has_control_characters(value):
            return name
    return None


def whole_number(raw: str, limit: int = MAX_ID) -> int | None:
    """An ASCII whole number no larger than `limit` (so it fits a column), else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(limit)):
        return None
    value = int(raw)
    return value if value <= limit else None
