"""Background jobs: a transactional outbox in the database, executed by RQ workers.

`defer()` writes an `OutboxJob` row in the caller's transaction; after commit its id is
pushed to Redis (in the web app: after the response has been sent). The RQ job only
carries that id. `execute()` claims the row with a conditional update, runs the
handler, and marks it done, so a duplicate push is harmless. A handler that raises
`RetryLater` is rescheduled with backoff by the relay, which also pushes whatever did
not reach Redis during an outage. The database loses nothing; Redis can.

A job may be run in batches (`JobRegistry.add(..., batch=...)`, e.g. `sms.send`): its
rows still are one per job, with their own attempts, backoff and lease, but `push` hands
up to `batch_size` of them to RQ as one job, which claims them in one statement, renews
their leases together and records their outcomes together (`run_outbox_jobs`).

A running job holds a lease: the process running it renews `heartbeat_at` every
`HEARTBEAT_EVERY` seconds from a thread of its own. A job whose heartbeat is older than
`LEASE` was abandoned by a worker that died (SIGKILL, OOM, a lost machine); the relay
hands it out again and the next worker claims it. Handlers are idempotent, and
`sms.send` never repeats a send that may have reached Twilio, so a live but silent
worker (its heartbeat blocked by a database outage) costs nothing but a skipped run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, event, inspect, or_, select, tuple_, update
from sqlalchemy.orm import Session

from hotline.db import utcnow
from hotline.jobs.models import OutboxJob
from hotline.jobs.transport import BATCHED_JOBS, locked_in_order, push, stamp_rows
from hotline.jobs.transport import queue as queue  # re-exported: RQ's queue of the outbox

if TYPE_CHECKING:
    from hotline.config import Settings
    from hotline.runtime import Runtime

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "hotline_outbox"  # notified by a trigger on outbox_jobs (PostgreSQL)
STALE_PUSH = dt.timedelta(minutes=10)  # pushed but never started: Redis lost it
HEARTBEAT_EVERY = 10.0  # seconds between renewals of a running job's lease
LEASE = dt.timedelta(seconds=45)  # no heartbeat for this long: the worker died


class RetryLater(Exception):
    """A transient failure: run the job again later (after `delay` seconds if given)."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


@dataclass(frozen=True)
class Backoff:
    """How long a failed job waits before its next attempt: the n-th failure waits
    `delays[n-1]` seconds, and every failure after the last listed one the last."""

    delays: tuple[int, ...]

    def delay(self, attempts: int) -> int:
        return self.delays[min(attempts - 1, len(self.delays) - 1)]


DEFAULT_BACKOFF = Backoff((10, 30, 120, 600, 1800))

Handler = Callable[..., None]
# A batch handler: `func(runtime, [args, ...])` returns, for each job in that order, None
# (done) or the exception it ended with (`RetryLater` for a retry after its backoff).
BatchHandler = Callable[..., Sequence[Exception | None]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Handler
    max_attempts: int
    backoff: Backoff
    on_give_up: Callable[..., None] | None
    batch: BatchHandler | None = None


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    func: Callable[[Runtime], object]
    every_seconds: float


class JobRegistry:
    """The handlers a process knows, filled at start-up by `hotline.handlers.register_handlers`
    (the web app and the worker both call it), so a reader can follow a job name to its code
    and no module registers anything as a side effect of being imported."""

    def __init__(self) -> None:
        self.jobs: dict[str, JobSpec] = {}
        self.periodic: dict[str, PeriodicTask] = {}

    def add(
        self,
        name: str,
        func: Handler,
        *,
        max_attempts: int = 6,
        backoff: Backoff = DEFAULT_BACKOFF,
        on_give_up: Callable[..., None] | None = None,
        batch: BatchHandler | None = None,
        batch_size: int | Callable[[Settings], int] = 50,
    ) -> None:
        """Handle jobs called `name` with `func(runtime, **args)`.

        Handlers must be idempotent: they re-read their rows by id and check state first.
        `on_give_up(runtime, error, **args)` runs once when the last attempt has failed.
        With `batch`, up to `batch_size` due jobs of this name (a number, or one computed
        from the settings) run together as `batch(runtime, [args, ...])`; `func` should
        then be that same batch of one.
        """
        self.jobs[name] = JobSpec(name, func, max_attempts, backoff, on_give_up, batch)
        if batch is not None:
            BATCHED_JOBS[name] = batch_size if callable(batch_size) else _fixed(batch_size)

    def every(self, name: str, func: Callable[[Runtime], object], *, seconds: float) -> None:
        """Run `func(runtime)` from the worker's relay loop about every `seconds`."""
        self.periodic[name] = PeriodicTask(name, func, seconds)

    def __contains__(self, name: object) -> bool:
        return name in self.jobs

    def __getitem__(self, name: str) -> JobSpec:
        return self.jobs[name]


def _fixed(size: int) -> Callable[[Settings], int]:
    return lambda _settings: size


REGISTRY = JobRegistry()


def job(
    name: str,
    *,
    max_attempts: int = 6,
    backoff: Backoff | tuple[int, ...] = DEFAULT_BACKOFF,
    on_give_up: Callable[..., None] | None = None,
) -> Callable[[Handler], Handler]:
    """Register `func` in `REGISTRY` at once: for handlers defined in tests. The
    application's own handlers are added by `hotline.handlers.register_handlers`."""

    def register(func: Handler) -> Handler:
        policy = backoff if isinstance(backoff, Backoff) else Backoff(tuple(backoff))
        REGISTRY.add(name, func, max_attempts=max_attempts, backoff=policy, on_give_up=on_give_up)
        return func

    return register


def defer(session: Session, name: str, **args: Any) -> OutboxJob:
    """Record a job in the session's transaction (inserted at its next flush); it is
    pushed to Redis after commit."""
    if name not in REGISTRY:
        raise KeyError(f"no job handler named {name!r} (register_handlers not called?)")
    row = OutboxJob(name=name, args=args)
    session.add(row)
    session.info.setdefault("hotline.outbox_new", []).append(row)
    return row


AWAITING_IDS = "hotline.outbox_awaiting_ids"


def defer_for(session: Session, name: str, row: Any, key: str, **args: Any) -> None:
    """`defer` a job that names `row` by its id (`key=row.id`) as soon as the row has
    one: at once if it was inserted already, else just after the flush that inserts it
    (and inserted at the next, which a commit runs before it ends). Rows and their jobs
    are then inserted many to a statement, where a flush per row to learn its id costs
    a round trip each (the SMS processor's replies)."""
    if row.id is not None:
        defer(session, name, **{key: row.id}, **args)
        return
    session.info.setdefault(AWAITING_IDS, []).append((name, row, key, args))


@event.listens_for(Session, "after_flush_postexec")
def _defer_awaiting(session: Session, _context: object) -> None:
    awaiting = session.info.pop(AWAITING_IDS, None)
    if not awaiting:
        return
    still = []
    for name, row, key, args in awaiting:
        if row.id is not None:
            defer(session, name, **{key: row.id}, **args)
        elif not (inspect(row).transient or inspect(row).detached):
            still.append((name, row, key, args))  # not flushed yet; a rolled-back row is dropped
    if still:
        session.info[AWAITING_IDS] = still


@event.listens_for(Session, "after_soft_rollback")
def _forget_awaiting(session: Session, _previous: object) -> None:
    if not session.in_transaction():
        session.info.pop(AWAITING_IDS, None)


def due(now: dt.datetime) -> ColumnElement[bool]:
    """Outbox jobs neither done nor given up, whose time to run has come."""
    return and_(
        OutboxJob.done_at.is_(None),
        OutboxJob.failed_at.is_(None),
        or_(OutboxJob.run_after.is_(None), OutboxJob.run_after <= now),
    )


def relay(runtime: Runtime, *, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Push every job that is due and not on its way: never pushed, lost, or abandoned."""
    now = now or utcnow()
    with runtime.db.session() as session:
        ids = session.scalars(
            select(OutboxJob.id)
            .where(
                due(now),
                or_(
                    OutboxJob.pushed_at.is_(None),
                    (OutboxJob.started_at.is_(None) & (OutboxJob.pushed_at < now - STALE_PUSH)),
                    OutboxJob.heartbeat_at < now - LEASE,
                ),
            )
            .order_by(OutboxJob.id)
            .limit(limit)
        ).all()
    return push(runtime, ids) if ids else 0


def execute(outbox_id: int) -> str:
    """The RQ entry point: run one outbox job at most once to completion."""
    from hotline.runtime import current

    return run_outbox_job(current(), outbox_id)


def execute_batch(outbox_ids: list[int], name: str | None = None) -> dict[int, str]:
    """The RQ entry point of a batch (see `push`): each job at most once to completion,
    topped up with other due jobs called `name`."""
    from hotline.runtime import current

    return run_outbox_jobs(current(), outbox_ids, fill=name)


def run_outbox_job(runtime: Runtime, outbox_id: int) -> str:
    return run_outbox_jobs(runtime, [outbox_id]).get(outbox_id, "skipped")


def run_outbox_jobs(
    runtime: Runtime, outbox_ids: Sequence[int], *, fill: str | None = None
) -> dict[int, str]:
    """Claim these jobs in one statement (those not done, failed or held by a live lease),
    run them, and record how each ended: "done", "retry" or "failed"; a job another
    worker holds or finished is left out.

    `fill`, a batched job name: the claim also takes other due jobs of that name that no
    worker has started, up to its batch size in all (lowest ids first). A batch is made
    when it runs, not when it was pushed: at a steady trickle each push holds a text or
    two, and with Twilio's latency per batch, batches that small could not keep up; the
    RQ jobs whose rows were taken this way find nothing left to do.
    """
    now = utcnow()
    wanted: ColumnElement[bool] = OutboxJob.id.in_(list(outbox_ids))
    limit = None
    if fill is not None and fill in BATCHED_JOBS:
        limit = max(BATCHED_JOBS[fill](runtime.settings), len(outbox_ids))
        due = or_(OutboxJob.run_after.is_(None), OutboxJob.run_after <= now)
        wanted = or_(wanted, and_(OutboxJob.name == fill, OutboxJob.started_at.is_(None), due))
    with runtime.db.session() as session:
        claimed = list(
            session.execute(
                update(OutboxJob)
                .where(
                    locked_in_order(
                        wanted,
                        OutboxJob.done_at.is_(None),
                        OutboxJob.failed_at.is_(None),
                        or_(OutboxJob.started_at.is_(None), OutboxJob.heartbeat_at < now - LEASE),
                        limit=limit,
                    )
                )
                .values(started_at=now, heartbeat_at=now, attempts=OutboxJob.attempts + 1)
                .returning(OutboxJob.id, OutboxJob.name, OutboxJob.args, OutboxJob.attempts)
                .execution_options(synchronize_session=False)
            )
        )
    claimed.sort(key=lambda row: row.id)
    outcomes: dict[int, str] = {}
    by_name: dict[str, list[Any]] = {}
    for row in claimed:
        by_name.setdefault(row.name, []).append(row)
    with heartbeat(runtime, [(row.id, row.attempts) for row in claimed]):
        for name, rows in by_name.items():
            spec = REGISTRY[name]
            for row, error in zip(rows, _run(runtime, spec, rows), strict=True):
                outcomes[row.id] = _finish(runtime, spec, row, error)
    done = [outbox_id for outbox_id, outcome in outcomes.items() if outcome == "done"]
    if done:
        stamp_rows(runtime, done, done_at=utcnow())
    return outcomes


def _run(runtime: Runtime, spec: JobSpec, rows: list[Any]) -> list[Exception | None]:
    """How each of `rows` (jobs named `spec.name`) ended: None, or its exception."""
    if spec.batch is not None and len(rows) > 1:
        try:
            results = list(spec.batch(runtime, [dict(row.args) for row in rows]))
        except Exception as exc:
            return [exc] * len(rows)
        assert len(results) == len(rows), f"{spec.name}: one outcome per job"
        return results
    errors: list[Exception | None] = []
    for row in rows:
        try:
            spec.func(runtime, **row.args)
        except Exception as exc:
            errors.append(exc)
        else:
            errors.append(None)
    return errors


def _finish(runtime: Runtime, spec: JobSpec, row: Any, error: Exception | None) -> str:
    if error is None:
        return "done"
    if isinstance(error, RetryLater):
        return _reschedule(runtime, row.id, spec, row.attempts, error, error.delay)
    log.error("job %s (outbox %s) failed", spec.name, row.id, exc_info=error)
    return _reschedule(runtime, row.id, spec, row.attempts, error, None)


@contextlib.contextmanager
def heartbeat(runtime: Runtime, leases: Sequence[tuple[int, int]]) -> Iterator[None]:
    """Renew the leases of running jobs, (outbox id, attempt) pairs, every
    `HEARTBEAT_EVERY` seconds until the block ends.

    Only these attempts' leases: once another worker has claimed a row (attempts moved
    on), this one's renewals change nothing.
    """
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_EVERY):
            try:
                with runtime.db.session() as session:
                    session.execute(
                        update(OutboxJob)
                        .where(
                            locked_in_order(
                                tuple_(OutboxJob.id, OutboxJob.attempts).in_(list(leases)),
                                OutboxJob.started_at.is_not(None),
                            )
                        )
                        .values(heartbeat_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
            except Exception as exc:  # the database away: the jobs may lose their lease
                log.warning("job heartbeat (%d jobs) failed: %s", len(leases), type(exc).__name__)

    if not leases:
        yield
        return
    thread = threading.Thread(target=beat, daemon=True, name=f"heartbeat-{leases[0][0]}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=HEARTBEAT_EVERY)


def _reschedule(
    runtime: Runtime,
    outbox_id: int,
    spec: JobSpec,
    attempts: int,
    error: Exception,
    delay: float | None,
) -> str:
    message = f"{type(error).__name__}: {error}"[:2000]
    now = utcnow()
    if attempts >= spec.max_attempts:
        with runtime.db.session() as session:
            session.execute(
                update(OutboxJob)
                .where(OutboxJob.id == outbox_id)
                .values(failed_at=now, last_error=message)
            )
        if spec.on_give_up is not None:
            with runtime.db.session() as session:
                row = session.get(OutboxJob, outbox_id)
                args = dict(row.args) if row else {}
            spec.on_give_up(runtime, error, **args)
        return "failed"
    if delay is None:
        delay = spec.backoff.delay(attempts)
    with runtime.db.session() as session:
        session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == outbox_id)
            .values(
                started_at=None,
                heartbeat_at=None,
                pushed_at=None,
                run_after=now + dt.timedelta(seconds=delay),
                last_error=message,
            )
        )
    return "retry"
