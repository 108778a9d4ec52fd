"""The worker's side of store-first SMS: stored deliveries become messages, cases,
keyword actions and replies.

`process_batch` takes up to `BATCH` due deliveries in arrival order and acts on them in
one transaction, which also marks them processed: a delivery is acted on exactly once, or
not at all if the worker dies before the commit (it is then taken again).

The batch is first tried whole, in rounds: each sender's first text of the batch, then
each one's second, and so on, so that a round's texts are from distinct senders. A
round's senders (callers, open cases, recent texts) are asked together
(hotline.sms.senders) and its messages, replies and their jobs inserted together at its
end, where the next round's questions see them: a few statements a round instead of
several round trips a text. If anything in the batch raises, it is rolled back and tried
again text by text, each in a savepoint: a delivery whose processing raises is rolled
back alone, counted, and tried again after `BACKOFF`, and its sender's later texts wait
for it, so each sender's texts are acted on in the order they arrived; after
`MAX_ATTEMPTS` it is `failed` for `hotline inbound failed` and `replay`.

One batch runs at a time across all worker processes (a transaction-scoped advisory lock
on PostgreSQL; SQLite's write lock, taken by BEGIN IMMEDIATE, does the same), so order
holds with any number of workers. Replies are recorded through `queue_sms`, so they go
out by the `sms.send` job through the REST API with the opt-out gate, pushed to RQ as
soon as the batch commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from hotline.db import utcnow
from hotline.review.live import live_sms_scripts
from hotline.runtime import Runtime
from hotline.sms import inbound as domain
from hotline.sms.intake import Delivery
from hotline.sms.models import SmsDelivery
from hotline.sms.scripts import SmsScripts
from hotline.sms.senders import sender_states

log = logging.getLogger(__name__)

BATCH = 200
MAX_ATTEMPTS = 6
BACKOFF = (2, 10, 60, 300, 1800)  # seconds before the 2nd, 3rd, ... attempt
LOCK_KEY = 0x5E13A  # pg_try_advisory_xact_lock: one batch at a time
POLL_SECONDS = 1.0  # SQLite, and the retries that come due: picked up within this


@dataclass
class BatchResult:
    processed: int = 0
    failed: int = 0  # attempts that raised in this batch
    busy: bool = False  # another process held the batch lock
    due: int = 0  # deliveries that were due when the batch began
    errors: list[str] = field(default_factory=list)


def _pending() -> list[ColumnElement[bool]]:
    return [SmsDelivery.processed_at.is_(None), SmsDelivery.failed_at.is_(None)]


def _due_query(now: dt.datetime, limit: int) -> Select[int, str, str, str, dt.datetime, int]:
    """Due deliveries, oldest first, less those behind a text of theirs awaiting a retry."""
    earlier = aliased(SmsDelivery)
    waiting = exists().where(
        earlier.sender_hash == SmsDelivery.sender_hash,
        earlier.id < SmsDelivery.id,
        earlier.processed_at.is_(None),
        earlier.failed_at.is_(None),
        earlier.run_after > now,
    )
    return (
        select(
            SmsDelivery.id,
            SmsDelivery.sid,
            SmsDelivery.sender_hash,
            SmsDelivery.payload,
            SmsDelivery.received_at,
            SmsDelivery.attempts,
        )
        .where(
            *_pending(),
            or_(SmsDelivery.run_after.is_(None), SmsDelivery.run_after <= now),
            ~waiting,
        )
        .order_by(SmsDelivery.id)
        .limit(limit)
    )


def describe_error(exc: BaseException) -> str:
    """What went wrong, without the values involved (a statement's parameters, a text)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc).__name__}: {type(exc.orig).__name__}"[:255]
    first_line = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first_line}"[:255]


class _TryTextByText(Exception):
    """Something in the batch raised: try it again with a savepoint per text."""


def process_batch(runtime: Runtime, *, limit: int = BATCH) -> BatchResult:
    """Act on up to `limit` due deliveries, in one transaction; see the module's doc."""
    try:
        return _run_batch(runtime, limit, whole=True)
    except _TryTextByText:
        return _run_batch(runtime, limit, whole=False)


def _run_batch(runtime: Runtime, limit: int, *, whole: bool) -> BatchResult:
    result = BatchResult()
    now = utcnow()
    with runtime.session() as session:
        if not runtime.db.is_sqlite and not session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}
        ):
            result.busy = True
            return result
        rows = session.execute(_due_query(now, limit)).all()
        result.due = len(rows)
        if not rows:
            return result
        # The reviewers' latest texts, asked once for the batch rather than once a text.
        scripts = live_sms_scripts(session, runtime.settings)
        texts = [(row, Delivery.opened(row.sid, row.payload)) for row in rows]
        if whole:
            _act_on_all(session, runtime, texts, scripts)
            done = [row.id for row, _ in texts]
            failures: list[tuple[int, int, str]] = []
        else:
            done, failures = _act_text_by_text(session, runtime, texts, scripts)
        if done:
            session.execute(
                update(SmsDelivery).where(SmsDelivery.id.in_(done)).values(processed_at=now)
            )
        for delivery_id, attempts, error in failures:
            _record_failure(session, delivery_id, attempts, error, now)
        result.processed = len(done)
        result.failed = len(failures)
        result.errors = [error for _, _, error in failures]
    return result


def _inbound(delivery: Delivery) -> domain.Inbound:
    return domain.Inbound(delivery.sid, delivery.sender, delivery.body, delivery.media)


def _rounds(texts: list[tuple[Any, Delivery]]) -> list[list[tuple[Any, Delivery]]]:
    """The texts as rounds: every sender's first text, then every second one, ..."""
    rounds: list[list[tuple[Any, Delivery]]] = []
    seen: dict[str, int] = {}
    for row, delivery in texts:
        n = seen[row.sender_hash] = seen.get(row.sender_hash, -1) + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append((row, delivery))
    return rounds


def _act_on_all(
    session: Session, runtime: Runtime, texts: list[tuple[Any, Delivery]], scripts: SmsScripts
) -> None:
    """The whole batch, round by round; `_TryTextByText` if any of it raises, the
    transaction then being rolled back."""
    try:
        for texts_of_round in _rounds(texts):
            senders = sender_states(
                session,
                runtime.settings.secret_key,
                [(delivery.sender, row.received_at) for row, delivery in texts_of_round],
            )
            for (row, delivery), sender in zip(texts_of_round, senders, strict=True):
                domain.act(
                    session,
                    runtime.settings,
                    _inbound(delivery),
                    sender,
                    scripts,
                    received_at=row.received_at,
                )
            session.flush()  # what the next round asks about its senders includes these
        session.flush()  # the jobs of the last round's rows (`jobs.defer_for`)
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise  # the database went away: the batch is tried again on a new connection
        raise _TryTextByText from exc
    except Exception as exc:
        raise _TryTextByText from exc


def _act_text_by_text(
    session: Session, runtime: Runtime, texts: list[tuple[Any, Delivery]], scripts: SmsScripts
) -> tuple[list[int], list[tuple[int, int, str]]]:
    """Each text in a savepoint of its own: the ones acted on, and the ones that raised
    (id, attempts so far, what went wrong)."""
    done: list[int] = []
    failures: list[tuple[int, int, str]] = []
    held: set[str] = set()  # senders with a text that failed in this batch
    for row, delivery in texts:
        if row.sender_hash in held:
            continue  # its earlier text waits for a retry: so does this one
        try:
            with session.begin_nested():
                inbound = _inbound(delivery)
                domain.receive(
                    session, runtime.settings, inbound, scripts, received_at=row.received_at
                )
        except Exception as exc:
            log.warning("sms delivery %s failed: %s", row.id, describe_error(exc))
            if row.attempts + 1 < MAX_ATTEMPTS:
                held.add(row.sender_hash)  # given up: the sender's next texts go on
            failures.append((row.id, row.attempts + 1, describe_error(exc)))
            continue
        done.append(row.id)
    return done, failures


def _record_failure(
    session: Session, delivery_id: int, attempts: int, error: str, now: dt.datetime
) -> None:
    values: dict[str, object] = {"attempts": attempts, "last_error": error}
    if attempts >= MAX_ATTEMPTS:
        values["failed_at"] = now
    else:
        delay = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
        values["run_after"] = now + dt.timedelta(seconds=delay)
    session.execute(update(SmsDelivery).where(SmsDelivery.id == delivery_id).values(**values))


def process_due(runtime: Runtime, *, limit: int = BATCH) -> int:
    """Batches until nothing due is left (or another process is at it); how many were
    processed."""
    total = 0
    reconnected = False
    while True:
        try:
            result = process_batch(runtime, limit=limit)
        except DBAPIError as exc:
            # A pooled connection the database dropped (a restart): the pool has been
            # emptied, so the batch is tried once more on a fresh connection.
            if not exc.connection_invalidated or reconnected:
                raise
            reconnected = True
            continue
        total += result.processed
        if result.busy or result.due < limit or result.processed == 0:
            return total


def replay(runtime: Runtime, ids: list[int] | None) -> int:
    """Make failed deliveries due again (the given ids, or all of them): how many."""
    with runtime.session() as session:
        condition = and_(SmsDelivery.failed_at.is_not(None), SmsDelivery.processed_at.is_(None))
        if ids is not None:
            condition = and_(condition, SmsDelivery.id.in_(ids))
        changed = session.execute(
            update(SmsDelivery).where(condition).values(failed_at=None, run_after=None, attempts=0)
        ).rowcount  # type: ignore[attr-defined]
    return int(changed or 0)


def failed_deliveries(runtime: Runtime) -> list[SmsDelivery]:
    """Deliveries whose processing gave up, oldest first."""
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(SmsDelivery)
                .where(SmsDelivery.failed_at.is_not(None), SmsDelivery.processed_at.is_(None))
                .order_by(SmsDelivery.id)
            )
        )
