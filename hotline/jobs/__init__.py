"""Background jobs: a transactional outbox in the database, executed by RQ workers.

`defer()` writes an `OutboxJob` row in the caller's transaction; after commit its id is
pushed to Redis (in the web app: after the response has been sent). The RQ job only
carries that id. `execute()` claims the row with a conditional update, runs the
handler, and marks it done, so a duplicate push is harmless. A handler that raises
`RetryLater` is rescheduled with backoff by the relay, which also pushes whatever did
not reach Redis during an outage. The database loses nothing; Redis can.

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hotline.db import utcnow
from hotline.jobs.models import OutboxJob
from hotline.jobs.transport import push
from hotline.jobs.transport import queue as queue  # re-exported: RQ's queue of the outbox

if TYPE_CHECKING:
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


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Handler
    max_attempts: int
    backoff: Backoff
    on_give_up: Callable[..., None] | None


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
    ) -> None:
        """Handle jobs called `name` with `func(runtime, **args)`.

        Handlers must be idempotent: they re-read their rows by id and check state first.
        `on_give_up(runtime, error, **args)` runs once when the last attempt has failed.
        """
        self.jobs[name] = JobSpec(name, func, max_attempts, backoff, on_give_up)

    def every(self, name: str, func: Callable[[Runtime], object], *, seconds: float) -> None:
        """Run `func(runtime)` from the worker's relay loop about every `seconds`."""
        self.periodic[name] = PeriodicTask(name, func, seconds)

    def __contains__(self, name: object) -> bool:
        return name in self.jobs

    def __getitem__(self, name: str) -> JobSpec:
        return self.jobs[name]


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
    """Record a job in the session's transaction; it is pushed to Redis after commit."""
    if name not in REGISTRY:
        raise KeyError(f"no job handler named {name!r} (register_handlers not called?)")
    row = OutboxJob(name=name, args=args)
    session.add(row)
    session.flush()
    session.info.setdefault("hotline.outbox_new", []).append(row)
    return row


def relay(runtime: Runtime, *, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Push every job that is due and not on its way: never pushed, lost, or abandoned."""
    now = now or utcnow()
    with runtime.db.session() as session:
        ids = session.scalars(
            select(OutboxJob.id)
            .where(
                OutboxJob.done_at.is_(None),
                OutboxJob.failed_at.is_(None),
                or_(OutboxJob.run_after.is_(None), OutboxJob.run_after <= now),
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


def run_outbox_job(runtime: Runtime, outbox_id: int) -> str:
    now = utcnow()
    with runtime.db.session() as session:
        claimed = session.execute(
            update(OutboxJob)
            .where(
                OutboxJob.id == outbox_id,
                OutboxJob.done_at.is_(None),
                OutboxJob.failed_at.is_(None),
                or_(OutboxJob.started_at.is_(None), OutboxJob.heartbeat_at < now - LEASE),
            )
            .values(started_at=now, heartbeat_at=now, attempts=OutboxJob.attempts + 1)
        ).rowcount  # type: ignore[attr-defined]
        if not claimed:
            return "skipped"
        row = session.get(OutboxJob, outbox_id)
        assert row is not None
        name, args, attempts = row.name, dict(row.args), row.attempts

    spec = REGISTRY[name]
    with heartbeat(runtime, outbox_id, attempts):
        try:
            spec.func(runtime, **args)
        except RetryLater as exc:
            return _reschedule(runtime, outbox_id, spec, attempts, exc, exc.delay)
        except Exception as exc:
            log.exception("job %s (outbox %s) failed", name, outbox_id)
            return _reschedule(runtime, outbox_id, spec, attempts, exc, None)
    with runtime.db.session() as session:
        session.execute(update(OutboxJob).where(OutboxJob.id == outbox_id).values(done_at=utcnow()))
    return "done"


@contextlib.contextmanager
def heartbeat(runtime: Runtime, outbox_id: int, attempt: int) -> Iterator[None]:
    """Renew the lease of a running job every `HEARTBEAT_EVERY` seconds until it returns.

    Only this attempt's lease: once another worker has claimed the row (attempts moved
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
                            OutboxJob.id == outbox_id,
                            OutboxJob.attempts == attempt,
                            OutboxJob.started_at.is_not(None),
                        )
                        .values(heartbeat_at=utcnow())
                    )
            except Exception as exc:  # the database away: the job may lose its lease
                log.warning("job heartbeat (outbox %s) failed: %s", outbox_id, type(exc).__name__)

    thread = threading.Thread(target=beat, daemon=True, name=f"heartbeat-{outbox_id}")
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
