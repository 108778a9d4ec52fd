"""The hand-off of outbox rows to RQ. Apart from the rest of `hotline.jobs` so that the
runtime can push what a session committed without depending on the job machinery."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rq import Queue, SimpleWorker
from rq.exceptions import DuplicateJobError
from sqlalchemy import select, update

from hotline.db import utcnow
from hotline.jobs.models import OutboxJob

if TYPE_CHECKING:
    from hotline.runtime import Runtime

log = logging.getLogger("hotline.jobs")

QUEUE_NAME = "hotline"


class BurstWorker(SimpleWorker):
    """RQ's worker for one pass over the queue (`work(burst=True)`): it does not subscribe
    to RQ's command channel, since a worker that stops when the queue is empty has no use
    for remote stop/kill commands, and subscribing costs a thread that is joined at the
    end of every pass (0.2 s each, in tests that run the jobs after every request)."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def rq_job_id(outbox_id: int, attempt: int) -> str:
    return f"outbox-{outbox_id}-{attempt}"


def queue(runtime: Runtime) -> Queue:
    return Queue(QUEUE_NAME, connection=runtime.redis)


def push(runtime: Runtime, outbox_ids: Iterable[int]) -> int:
    """Hand these outbox rows to RQ. Returns how many were pushed; failures wait for the relay."""
    pushed: list[int] = []
    try:
        q = queue(runtime)
        with runtime.db.session() as session:
            rows = session.scalars(select(OutboxJob).where(OutboxJob.id.in_(list(outbox_ids))))
            attempts = {row.id: row.attempts for row in rows}
        for outbox_id, attempt in attempts.items():
            # An attempt already in Redis raises DuplicateJobError: nothing to add.
            with contextlib.suppress(DuplicateJobError):
                q.enqueue_call(
                    "hotline.jobs.execute",
                    args=(outbox_id,),
                    job_id=rq_job_id(outbox_id, attempt),
                    unique=True,
                    result_ttl=3600,
                    failure_ttl=7 * 24 * 3600,
                )
            pushed.append(outbox_id)
    except Exception as exc:  # Redis down or slow: the relay will push these later.
        log.warning("outbox push deferred to relay: %s", type(exc).__name__)
    if pushed:
        with runtime.db.session() as session:
            session.execute(
                update(OutboxJob).where(OutboxJob.id.in_(pushed)).values(pushed_at=utcnow())
            )
    return len(pushed)
