"""What the language pipeline costs: Google usage per day (Japan time) and language,
summed from `TranslationUsage` for the dashboard and `hotline translation usage`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.clock import TOKYO
from hotline.db import utcnow
from hotline.translation.models import TranslationUsage


@dataclass
class UsageDay:
    day: dt.date
    language: str
    characters: int = 0
    requests: int = 0
    cache_hits: int = 0
    detect_characters: int = 0
    audio_seconds: int = 0


@dataclass
class UsageSummary:
    since: dt.date
    rows: list[UsageDay] = field(default_factory=list)

    @property
    def characters(self) -> int:
        return sum(r.characters + r.detect_characters for r in self.rows)

    @property
    def cache_hits(self) -> int:
        return sum(r.cache_hits for r in self.rows)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.rows)

    @property
    def audio_seconds(self) -> int:
        return sum(r.audio_seconds for r in self.rows)

    @property
    def hit_rate(self) -> float:
        total = self.requests + self.cache_hits
        return self.cache_hits / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "characters_billed": self.characters,
            "requests": self.requests,
            "cache_hits": self.cache_hits,
            "cache_hit_rate": round(self.hit_rate, 4),
            "audio_seconds": self.audio_seconds,
            "days": [
                {
                    "day": r.day.isoformat(),
                    "language": r.language,
                    "characters_billed": r.characters,
                    "detect_characters": r.detect_characters,
                    "requests": r.requests,
                    "cache_hits": r.cache_hits,
                    "audio_seconds": r.audio_seconds,
                }
                for r in self.rows
            ],
        }


def japan_day(moment: dt.datetime) -> dt.date:
    """Usage is counted per day in Japan, like every other figure on the dashboard."""
    return moment.astimezone(TOKYO).date()


def usage_summary(
    session: Session, days: int = 30, *, today: dt.date | None = None
) -> UsageSummary:
    """Characters sent to Google per day and language, requests, cache hits, audio seconds.

    Translation is billed per character sent per target language, detection per
    character, Speech-to-Text per second of audio; `language` is the target language
    (translations), "detect", or the spoken language (transcriptions).
    """
    today = today or japan_day(utcnow())
    since = today - dt.timedelta(days=max(1, days) - 1)
    U = TranslationUsage
    rows = session.execute(
        select(
            U.day,
            U.kind,
            U.language,
            U.cache_hit,
            func.count(U.id),
            func.coalesce(func.sum(U.characters), 0),
            func.coalesce(func.sum(U.audio_seconds), 0),
        )
        .where(U.day >= since)
        .group_by(U.day, U.kind, U.language, U.cache_hit)
    ).all()
    by_key: dict[tuple[dt.date, str], UsageDay] = {}
    for day, kind, language, hit, count, characters, seconds in rows:
        item = by_key.setdefault((day, language), UsageDay(day, language))
        if hit:
            item.cache_hits += int(count)
        elif kind == "translate":
            item.requests += int(count)
            item.characters += int(characters)
        elif kind == "detect":
            item.requests += int(count)
            item.detect_characters += int(characters)
        elif kind == "transcribe":
            item.requests += int(count)
            item.audio_seconds += int(seconds)
    ordered = sorted(by_key.values(), key=lambda r: (r.day, r.language), reverse=True)
    return UsageSummary(since=since, rows=ordered)
