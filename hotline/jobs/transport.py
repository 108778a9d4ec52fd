"""The hand-off of outbox rows to RQ. Apart from the rest of `hotline.jobs` so that the
runtime can push what a session committed without depending on the job machinery."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rq import Queue, SimpleWorker
from rq.exceptions import DuplicateJobError
from sqlalchemy import ColumnElement, select, update

from hotline.db import utcnow
from hotline.jobs.models import OutboxJob

if TYPE_CHECKING:
    from hotline.config import Settings
    from hotline.runtime import Runtime

log = logging.getLogger("hotline.jobs")

QUEUE_NAME = "hotline"
# Job names whose due rows go to RQ together, and how many at most per RQ job under
# these settings; filled by `JobRegistry.add(..., batch=...)` (hotline.jobs), run by
# `hotline.jobs.execute_batch`.
BATCHED_JOBS: dict[str, Callable[[Settings], int]] = {}


class BurstWorker(SimpleWorker):
    """RQ's worker for one pass over the queue (`work(burst=True)`): it does not subscribe
    to RQ's command channel, since a worker that stops when the queue is empty has no use
    for remote stop/kill commands, and subscribing costs a thread that is joined at the
    end of every pass (0.2 s each, in tests that run the jobs after every request)."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def locked_in_order(
    *conditions: ColumnElement[bool], limit: int | None = None
) -> ColumnElement[bool]:
    """`id IN` the rows matching `conditions` (the first `limit` of them), locked in id
    order first: every statement that changes several outbox rows (push, claim,
    heartbeat, done) goes through this, so that two of them never lock the same rows in
    opposite orders and deadlock (PostgreSQL; SQLite has a single writer, no row locks)."""
    rows = select(OutboxJob.id).where(*conditions).order_by(OutboxJob.id).limit(limit)
    return OutboxJob.id.in_(rows.with_for_update())


def stamp_rows(runtime: Runtime, ids: Iterable[int], **values: Any) -> None:
    """Set `values` on the outbox rows `ids`, in a transaction of its own, rows locked in
    id order (`locked_in_order`)."""
    with runtime.db.session() as session:
        session.execute(
            update(OutboxJob)
            .where(locked_in_order(OutboxJob.id.in_(list(ids))))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def rq_job_id(outbox_id: int, attempt: int) -> str:
    return f"outbox-{outbox_id}-{attempt}"


def rq_batch_id(attempts: list[tuple[int, int]]) -> str:
    """The same rows at the same attempts make the same id: pushed twice, queued once."""
    digest = hashlib.blake2b(repr(sorted(attempts)).encode(), digest_size=8).hexdigest()
    return f"outbox-batch-{attempts[0][0]}-{len(attempts)}-{digest}"


def _rq_jobs(
    rows: Iterable[tuple[int, str, int]], settings: Settings
) -> list[tuple[str, tuple[object, ...], str, list[int]]]:
    """The RQ jobs for these (id, name, attempt) rows, in id order: (function, arguments,
    job id, outbox ids); one per row, or one per `BATCHED_JOBS[name]` rows of a batched job."""
    jobs: list[tuple[str, tuple[object, ...], str, list[int]]] = []
    batches: list[tuple[str, list[tuple[int, int]]]] = []
    open_batch: dict[str, list[tuple[int, int]]] = {}
    for outbox_id, name, attempt in sorted(rows):
        batch_size = BATCHED_JOBS.get(name)
        if batch_size is None:
            job_id = rq_job_id(outbox_id, attempt)
            jobs.append(("hotline.jobs.execute", (outbox_id,), job_id, [outbox_id]))
            continue
        batch = open_batch.get(name)
        if batch is None or len(batch) >= batch_size(settings):
            batch = open_batch[name] = []
            batches.append((name, batch))
        batch.append((outbox_id, attempt))
    for name, batch in batches:
        ids = [outbox_id for outbox_id, _ in batch]
        jobs.append(("hotline.jobs.execute_batch", (ids, name), rq_batch_id(batch), ids))
    return jobs


def queue(runtime: Runtime) -> Queue:
    return Queue(QUEUE_NAME, connection=runtime.redis)


def push(runtime: Runtime, outbox_ids: Iterable[int]) -> int:
    """Hand these outbox rows to RQ. Returns how many were pushed; failures wait for the relay."""
    pushed: list[int] = []
    try:
        q = queue(runtime)
        with runtime.db.session() as session:
            rows = session.execute(
                select(OutboxJob.id, OutboxJob.name, OutboxJob.attempts).where(
                    OutboxJob.id.in_(list(outbox_ids))
                )
            ).all()
        rq_jobs = _rq_jobs(((r.id, r.name, r.attempts) for r in rows), runtime.settings)
        for func, args, job_id, ids in rq_jobs:
            # An attempt already in Redis raises DuplicateJobError: nothing to add.
            with contextlib.suppress(DuplicateJobError):
                q.enqueue_call(
                    func,
                    args=args,
                    job_id=job_id,
                    unique=True,
                    result_ttl=3600,
                    failure_ttl=7 * 24 * 3600,
                )
            pushed.extend(ids)
    except Exception as exc:  # Redis down or slow: the relay will push these later.
        log.warning("outbox push deferred to relay: %s", type(exc).__name__)
    if pushed:
        stamp_rows(runtime, pushed, pushed_at=utcnow())
    return len(pushed)
