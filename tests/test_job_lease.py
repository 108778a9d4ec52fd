"""A running job's lease: renewed by a heartbeat while it runs, so a long job is never
handed out twice, and a job whose worker died is handed out again after `LEASE`."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import time_machine

from hotline.audit import AuditEvent
from hotline.db import utcnow
from hotline.jobs import LEASE, defer, job, relay, run_outbox_job
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from tests.conftest import both_backends

RELEASE = threading.Event()
RUNNING = threading.Event()


@job("tests.long")
def long_job(runtime: Runtime, *, label: str) -> None:
    RUNNING.set()
    assert RELEASE.wait(30), "the test never released the job"
    with runtime.db.session() as session:
        session.add(AuditEvent(action=label, subject_type="test", subject_id=None))


def stored(runtime: Runtime, outbox_id: int) -> OutboxJob:
    with runtime.db.session() as session:
        row = session.get(OutboxJob, outbox_id)
        assert row is not None
        session.expunge(row)
        return row


@both_backends
def test_a_long_job_keeps_its_lease_and_is_not_handed_out_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hotline.jobs.HEARTBEAT_EVERY", 0.05)
    RELEASE.clear()
    RUNNING.clear()
    with runtime.session() as session:
        row = defer(session, "tests.long", label="long-done")
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(run_outbox_job(runtime, row.id)))
    worker.start()
    try:
        assert RUNNING.wait(30)
        first = stored(runtime, row.id)
        assert first.heartbeat_at is not None and first.started_at is not None
        for _ in range(400):  # until the heartbeat has renewed the lease
            if stored(runtime, row.id).heartbeat_at != first.heartbeat_at:
                break
            time.sleep(0.05)
        renewed = stored(runtime, row.id).heartbeat_at
        assert renewed is not None and renewed > first.heartbeat_at
        # Long after its start, but within the lease of its last heartbeat: not abandoned.
        assert relay(runtime, now=renewed + LEASE - dt.timedelta(seconds=1)) == 0
        with time_machine.travel(renewed + LEASE - dt.timedelta(seconds=1), tick=False):
            assert run_outbox_job(runtime, row.id) == "skipped"
    finally:
        RELEASE.set()
        worker.join(timeout=30)
    assert outcome == ["done"]
    assert stored(runtime, row.id).done_at is not None


@both_backends
def test_a_job_whose_heartbeat_stopped_is_handed_out_again_after_the_lease(
    runtime: Runtime,
) -> None:
    with runtime.session() as session:
        row = defer(session, "tests.long", label="abandoned-then-done")
    relay(runtime)
    started = utcnow()
    with runtime.db.session() as session:  # a worker claimed it, then died without a word
        session.get(OutboxJob, row.id).started_at = started  # type: ignore[union-attr]
        session.get(OutboxJob, row.id).heartbeat_at = started  # type: ignore[union-attr]
        session.get(OutboxJob, row.id).attempts = 1  # type: ignore[union-attr]
    assert relay(runtime, now=started + LEASE - dt.timedelta(seconds=1)) == 0
    assert relay(runtime, now=started + LEASE + dt.timedelta(seconds=1)) == 1
    RELEASE.set()
    with time_machine.travel(started + LEASE + dt.timedelta(seconds=1), tick=False):
        assert run_outbox_job(runtime, row.id) == "done"
    assert stored(runtime, row.id).attempts == 2
