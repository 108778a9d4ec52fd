"""Claims on translation work: who asks Google for a text, so no text is sent twice.

Two things are claimed the same way: a cache entry (one distinct text and language pair,
`TranslationCacheEntry`) and a text's translation rows (`Translation`, one per target
language). A claim is a row written with `claimed_at`, taken with a conditional update
whose row count says who won; one older than `CLAIM_TIMEOUT` was abandoned by a worker
that died and may be taken over. Whoever finds the work held waits for it with
`wait_for_claim`, for at most `WAIT_FOR_CLAIM_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.db import utcnow
from hotline.translation.models import Translation, TranslationCacheEntry

if TYPE_CHECKING:
    from hotline.runtime import Runtime

CLAIM_TIMEOUT = dt.timedelta(seconds=60)  # a claim older than this was abandoned
WAIT_FOR_CLAIM_SECONDS = 20.0
POLL_SECONDS = 0.05

T = TypeVar("T")


def wait_for_claim(
    attempt: Callable[[], T | None], *, on_timeout: Callable[[], NoReturn], wait: bool = True
) -> T | None:
    """Call `attempt()` until it returns something (None: another worker holds the
    claim), for at most `WAIT_FOR_CLAIM_SECONDS`; then `on_timeout()` raises. With
    `wait=False`, a single attempt."""
    deadline = time.monotonic() + WAIT_FOR_CLAIM_SECONDS
    while (result := attempt()) is None:
        if not wait:
            return None
        if time.monotonic() > deadline:
            on_timeout()
        time.sleep(POLL_SECONDS)
    return result


def claim_cache_entry(
    db: Session,
    key: str,
    *,
    kind: str,
    source: str,
    target: str,
    entry: TranslationCacheEntry | None,
) -> bool:
    """Claim the right to ask Google for `key`: a new pending row, or a stale one taken over."""
    now = utcnow()
    if entry is None:
        try:
            with db.begin_nested():
                db.add(
                    TranslationCacheEntry(
                        key=key,
                        kind=kind,
                        source_language=source,
                        target_language=target,
                        status="pending",
                        claimed_at=now,
                    )
                )
            return True
        except IntegrityError:
            return False
    if entry.claimed_at < now - CLAIM_TIMEOUT:
        taken = db.execute(
            update(TranslationCacheEntry)
            .where(
                TranslationCacheEntry.id == entry.id,
                TranslationCacheEntry.status == "pending",
                TranslationCacheEntry.claimed_at == entry.claimed_at,
            )
            .values(claimed_at=now)
        ).rowcount  # type: ignore[attr-defined]
        return bool(taken)
    return False


def claim_rows_in(
    session: Session, kind: str, source_id: int, source: str, targets: list[str]
) -> list[str] | None:
    """Create this text's pending rows and claim them: the targets to translate, [] if
    none, None if another worker is translating them right now."""
    now = utcnow()
    rows = {
        row.target_language: row
        for row in session.scalars(
            select(Translation).where(
                Translation.source_kind == kind, Translation.source_id == source_id
            )
        )
    }
    claimed: list[str] = []
    held = False
    for target in targets:
        row = rows.get(target)
        if row is None:
            session.add(
                Translation(
                    source_kind=kind,
                    source_id=source_id,
                    source_language=source,
                    target_language=target,
                    status="pending",
                    claimed_at=now,
                )
            )
            claimed.append(target)
        elif row.status in ("pending", "failed", "not_configured"):
            took = session.execute(
                update(Translation)
                .where(
                    Translation.id == row.id,
                    Translation.status == row.status,
                    or_(
                        Translation.claimed_at.is_(None),
                        Translation.claimed_at < now - CLAIM_TIMEOUT,
                    ),
                )
                .values(status="pending", claimed_at=now, source_language=source, error=None)
            ).rowcount  # type: ignore[attr-defined]
            if took:
                claimed.append(target)
            else:
                held = True
    session.flush()
    return None if held and not claimed else claimed


def claim_rows(
    runtime: Runtime, kind: str, source_id: int, source: str, targets: list[str]
) -> list[str] | None:
    try:
        with runtime.db.session() as session:
            return claim_rows_in(session, kind, source_id, source, targets)
    except IntegrityError:
        return None  # another worker created the rows a moment ago: it holds them


def release_rows(runtime: Runtime, kind: str, source_id: int) -> None:
    with runtime.db.session() as session:
        session.execute(
            update(Translation)
            .where(
                Translation.source_kind == kind,
                Translation.source_id == source_id,
                Translation.status == "pending",
            )
            .values(claimed_at=None)
        )
