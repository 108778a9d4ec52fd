"""Opening hours as compact text, and their rendering in a worker's language.

Hours are stored the way a supervisor types them, in Japan time:
`mon-fri 09:00-17:00; sat,sun 09:00-21:00`. Rules are separated by `;`; each has
optional days (`mon`..`sun`, ranges with `-`, lists with `,`) and one or more time
ranges (`09:00-12:00,13:00-17:00`). A rule without days gives the times only, for
sources that do not say which days (the OTIT lines: "days vary by language"). An empty
text means always open. Weekday names come from CLDR (Babel), so a Vietnamese worker
reads "Thứ 2–Thứ 6" and a Nepali one "सोम–शुक्र" without anyone translating them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import get_day_names
from babel.lists import format_list

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = "24h"  # shown for an empty text: digits and a unit people read everywhere
_TIME = re.compile(r"^(\d{1,2}):([0-5]\d)$")
# Babel's locale name where it differs from our language code.
_BABEL_LOCALES = {"zh": "zh_Hans", "pt": "pt_BR", "fil": "fil"}


class HoursError(ValueError):
    """The hours text cannot be read; the message says which part and why."""


@dataclass(frozen=True)
class Rule:
    days: tuple[int, ...] | None  # 0 = Monday; None: days not stated
    spans: tuple[tuple[int, int], ...]  # (start, end) in minutes after midnight


def _minutes(text: str, whole: str) -> int:
    match = _TIME.match(text)
    if not match:
        raise HoursError(f"'{text}' in '{whole}' is not a time like 09:00")
    value = int(match.group(1)) * 60 + int(match.group(2))
    if value > 24 * 60:
        raise HoursError(f"'{text}' in '{whole}' is after 24:00")
    return value


def _day(text: str, whole: str) -> int:
    try:
        return DAYS.index(text)
    except ValueError:
        raise HoursError(f"'{text}' in '{whole}' is not a day: use {', '.join(DAYS)}") from None


def _parse_days(text: str, whole: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        start = _day(first, whole)
        end = _day(last, whole) if dash else start
        if end < start:
            raise HoursError(f"'{part}' in '{whole}' runs backwards: write it Monday first")
        days += range(start, end + 1)
    if len(set(days)) != len(days):
        raise HoursError(f"'{text}' in '{whole}' names a day twice")
    return tuple(sorted(days))


def _parse_spans(text: str, whole: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if not dash:
            raise HoursError(f"'{part}' in '{whole}' needs a start and an end, e.g. 09:00-17:00")
        start, end = _minutes(first, whole), _minutes(last, whole)
        if end <= start:
            raise HoursError(f"'{part}' in '{whole}' ends before it starts")
        if spans and start < spans[-1][1]:
            raise HoursError(f"'{part}' in '{whole}' overlaps or precedes the time before it")
        spans.append((start, end))
    return tuple(spans)


def parse(text: str) -> list[Rule]:
    """The rules of an hours text; HoursError says what is wrong with it."""
    rules: list[Rule] = []
    seen_days: set[int] = set()
    for raw in text.strip().lower().split(";"):
        words = raw.split()
        if not words:
            if text.strip():
                raise HoursError(f"'{text}' has an empty rule between semicolons")
            continue
        if len(words) > 2:
            raise HoursError(f"'{raw.strip()}' should be days then times, e.g. mon-fri 09:00-17:00")
        days = _parse_days(words[0], raw.strip()) if len(words) == 2 else None
        rules.append(Rule(days, _parse_spans(words[-1], raw.strip())))
        if days is not None:
            if seen_days & set(days):
                raise HoursError(f"'{raw.strip()}' repeats a day of an earlier rule")
            seen_days |= set(days)
    if any(rule.days is None for rule in rules) and len(rules) > 1:
        raise HoursError(f"'{text}': times without days must be the only rule")
    return rules


def _runs(days: tuple[int, ...]) -> list[tuple[int, int]]:
    """Consecutive days as (first, last) pairs: mon,tue,wed,fri -> (0, 2), (4, 4)."""
    runs: list[tuple[int, int]] = []
    for day in days:
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def normalise(text: str) -> str:
    """The canonical spelling of an hours text (validated): lower case, days as ranges
    where three or more follow each other, times zero-padded."""
    parts = []
    for rule in parse(text):
        spans = ",".join(f"{_clock(a)}-{_clock(b)}" for a, b in rule.spans)
        if rule.days is None:
            parts.append(spans)
            continue
        days = []
        for first, last in _runs(rule.days):
            if last - first >= 2:
                days.append(f"{DAYS[first]}-{DAYS[last]}")
            else:
                days += [DAYS[d] for d in range(first, last + 1)]
        parts.append(f"{','.join(days)} {spans}")
    return "; ".join(parts)


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(_BABEL_LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def render(
    text: str,
    language: str,
    *,
    width: Literal["abbreviated", "short"] = "abbreviated",
    dash: str = "–",
) -> str:
    """The hours in `language`: CLDR weekday names (`width` "abbreviated" or "short"),
    ranges joined with `dash`, e.g. vi "Thứ 2–Thứ 6 09:00–17:00"."""
    locale = _locale(language)
    names = get_day_names(width, locale=locale)
    parts = []
    for rule in parse(text):
        times = ", ".join(f"{_clock(a)}{dash}{_clock(b)}" for a, b in rule.spans)
        if rule.days is None:
            parts.append(times)
            continue
        pieces = []
        for first, last in _runs(rule.days):
            if last - first >= 2:
                pieces.append(f"{names[first]}{dash}{names[last]}")
            else:
                pieces += [names[d] for d in range(first, last + 1)]
        days = format_list(pieces, style="standard", locale=locale)
        parts.append(f"{days} {times}")
    return "; ".join(parts) if parts else ALWAYS_OPEN
