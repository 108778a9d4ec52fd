"""The live texts: the pack files with the latest reviewed or edited versions over them.

Calls and SMS ask `live_scripts` / `live_sms_scripts` instead of the loaders. The
overlaid packs are cached per process and rebuilt only when the newest version in the
database changes: each request asks one small aggregate query (the newest id and time,
read from the primary key's index), so every process serves an edit at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.config import Settings
from hotline.review.models import PromptVersion
from hotline.review.packs import Packs, overlay, packs
from hotline.sms.scripts import SmsScripts
from hotline.voice.scripts import Scripts

LIVE_TEXTS_MAX_AGE = 60.0  # seconds a call step may speak this process's overlay unchecked


@dataclass
class _Cached:
    base: Packs
    stamp: tuple[Any, ...]
    live: Packs
    at: float  # time.monotonic() of the last check against the database


_cache: dict[tuple[int, int], _Cached] = {}
_lock = threading.Lock()


def latest_versions(session: Session) -> dict[tuple[str, str, str], PromptVersion]:
    """(language, channel, key) -> the newest version of that text."""
    newest = (
        select(func.max(PromptVersion.id))
        .group_by(PromptVersion.language, PromptVersion.channel, PromptVersion.key)
        .scalar_subquery()
    )
    rows = session.scalars(select(PromptVersion).where(PromptVersion.id.in_(newest)))
    return {(r.language, r.channel, r.key): r for r in rows}


def live_packs(
    session: Session, settings: Settings | None = None, *, max_age: float | None = None
) -> Packs:
    """The overlay, checked against the database now, or, with `max_age`, as this
    process last checked it when that was under `max_age` seconds ago (no query)."""
    base = packs(settings)
    key = (id(base.voice), id(base.sms))
    if max_age is not None:
        recent = _recent(base, max_age)
        if recent is not None:
            return recent
    stamp = tuple(
        session.execute(
            select(func.max(PromptVersion.id), func.max(PromptVersion.created_at))
        ).one()
    )
    with _lock:
        cached = _cache.get(key)
    if (
        cached is not None
        and cached.base.voice is base.voice
        and cached.base.sms is base.sms
        and cached.stamp == stamp
    ):
        cached.at = time.monotonic()
        return cached.live
    versions = {k: (v.text, v.reviewed) for k, v in latest_versions(session).items()}
    live = overlay(base, versions)
    with _lock:
        _cache[key] = _Cached(base, stamp, live, time.monotonic())
    return live


def _recent(base: Packs, max_age: float) -> Packs | None:
    with _lock:
        recent = _cache.get((id(base.voice), id(base.sms)))
    if (
        recent is not None
        and recent.base.voice is base.voice
        and recent.base.sms is base.sms
        and time.monotonic() - recent.at < max_age
    ):
        return recent.live
    return None


def recent_scripts(settings: Settings | None = None, *, max_age: float) -> Scripts | None:
    """The voice scripts as this process last checked them, if under `max_age` seconds
    ago; None when they are due for a check (`live_scripts` then reads the database)."""
    recent = _recent(packs(settings), max_age)
    return recent.voice if recent is not None else None


def live_scripts(
    session: Session, settings: Settings | None = None, *, max_age: float | None = None
) -> Scripts:
    """The voice scripts a call speaks: pack files plus the latest versions."""
    return live_packs(session, settings, max_age=max_age).voice


def live_sms_scripts(session: Session, settings: Settings | None = None) -> SmsScripts:
    """The SMS scripts a text is answered with: pack files plus the latest versions."""
    return live_packs(session, settings).sms


def invalidate() -> None:
    """Forget the overlay: this process has just stored a version."""
    with _lock:
        _cache.clear()
