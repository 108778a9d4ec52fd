"""The transactional outbox: jobs are recorded with the event, pushed after commit,
run exactly once, survive a Redis outage and are retried with backoff."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
import redis
from flask import Blueprint, Response, g
from sqlalchemy import func, select, text

from hotline import create_app
from hotline.audit import AuditEvent
from hotline.callers.models import Caller
from hotline.callers.service import get_or_create_caller
from hotline.db import utcnow
from hotline.jobs import RetryLater, defer, job, queue, relay, run_outbox_job
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime, set_current
from hotline.webhooks import twilio_webhook
from hotline.worker import relay_loop
from tests.conftest import both_backends, make_settings
from tests.helpers import WORKER_NUMBER, run_jobs, twilio_post

FLAKY: dict[str, int] = {}


@job("tests.audit")
def audit_job(runtime: Runtime, *, caller_id: int, label: str) -> None:
    with runtime.db.session() as session:
        session.add(AuditEvent(action=label, subject_type="caller", subject_id=caller_id))


@job("tests.flaky", max_attempts=3, backoff=(5, 10))
def flaky_job(runtime: Runtime, *, key: str) -> None:
    FLAKY[key] = FLAKY.get(key, 0) + 1
    if FLAKY[key] < 3:
        raise RetryLater("not yet")
    with runtime.db.session() as session:
        session.add(AuditEvent(action="flaky-done", subject_type="test", subject_id=None))


# A webhook of the tests' own, built with the same decorator as /sms/incoming.
event_bp = Blueprint("test_events", __name__, url_prefix="/sms")


@event_bp.post("/test-event")
@twilio_webhook(idempotency=lambda form: form.get("MessageSid"))
def record_event() -> Response:
    caller = get_or_create_caller(g.db, "test-secret-key-not-for-production", g.form["From"])
    defer(g.db, "tests.audit", caller_id=caller.id, label="event")
    return Response(
        f"<Response><Message>caller {caller.id}</Message></Response>", 200, content_type="text/xml"
    )


@pytest.fixture
def event_app(runtime: Runtime) -> Any:
    app = create_app(runtime=runtime)
    app.register_blueprint(event_bp)
    return app


def count(runtime: Runtime, model: Any, *where: Any) -> int:
    with runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


EVENT = {"MessageSid": "SM" + "a" * 32, "From": WORKER_NUMBER, "Body": "hello"}


@both_backends
def test_same_webhook_three_times_makes_one_row_one_job_same_answer(
    event_app: Any, runtime: Runtime
) -> None:
    client = event_app.test_client()
    answers = [twilio_post(client, "/sms/test-event", EVENT) for _ in range(3)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.get_data() for a in answers}) == 1
    assert count(runtime, Caller) == 1
    assert count(runtime, OutboxJob) == 1
    assert run_jobs(runtime) == 1
    assert count(runtime, AuditEvent, AuditEvent.action == "event") == 1


def test_on_sqlite_a_job_is_pushed_to_redis_after_the_response(
    event_app: Any, runtime: Runtime
) -> None:
    twilio_post(event_app.test_client(), "/sms/test-event", EVENT)
    with runtime.db.session() as s:
        row = s.scalars(select(OutboxJob)).one()
    assert row.pushed_at is not None  # pushed by the response's close hook, not the relay


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_on_postgres_the_commit_wakes_the_relay_which_pushes_the_job(
    event_app: Any, runtime: Runtime
) -> None:
    """The web process does not push (no Redis work in a request): the commit notifies
    the worker's relay, which pushes long before its next timed pass."""
    stop = threading.Event()
    relay_thread = threading.Thread(target=relay_loop, args=(runtime, stop, 120.0), daemon=True)
    relay_thread.start()
    try:
        listening, deadline = False, time.monotonic() + 20
        while not listening and time.monotonic() < deadline:
            time.sleep(0.05)
            with runtime.db.session() as s:
                listening = bool(
                    s.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE query = 'LISTEN hotline_outbox'"
                        )
                    )
                )
        assert listening, "the relay never LISTENed"
        time.sleep(0.3)  # its pass right after LISTEN is over: only a NOTIFY can wake it now
        twilio_post(event_app.test_client(), "/sms/test-event", EVENT)
        deadline = time.monotonic() + 20
        pushed = None
        while pushed is None and time.monotonic() < deadline:
            with runtime.db.session() as s:
                pushed = s.scalars(select(OutboxJob.pushed_at)).one()
            time.sleep(0.05)
    finally:
        stop.set()
        relay_thread.join(timeout=130)
    assert pushed is not None
    assert queue(runtime).count == 1
    assert run_jobs(runtime) == 1
    assert count(runtime, AuditEvent, AuditEvent.action == "event") == 1


def test_a_rolled_back_transaction_leaves_no_job(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), runtime.session() as session:
        caller = get_or_create_caller(session, runtime.settings.secret_key, WORKER_NUMBER)
        defer(session, "tests.audit", caller_id=caller.id, label="lost")
        raise RuntimeError("the event failed")
    assert count(runtime, OutboxJob) == 0
    assert run_jobs(runtime) == 0


def test_a_duplicate_push_runs_the_job_once(runtime: Runtime) -> None:
    with runtime.session() as session:
        caller = get_or_create_caller(session, runtime.settings.secret_key, WORKER_NUMBER)
        row = defer(session, "tests.audit", caller_id=caller.id, label="dup")
    # The relay believes it was lost and pushes it again; then a worker runs both copies.
    assert run_outbox_job(runtime, row.id) == "done"
    assert run_outbox_job(runtime, row.id) == "skipped"
    assert count(runtime, AuditEvent, AuditEvent.action == "dup") == 1


def test_transient_failures_are_retried_with_backoff_then_succeed(runtime: Runtime) -> None:
    FLAKY.clear()
    with runtime.session() as session:
        row = defer(session, "tests.flaky", key="k1")
    assert run_outbox_job(runtime, row.id) == "retry"
    with runtime.db.session() as s:
        stored = s.get(OutboxJob, row.id)
        assert stored is not None and stored.run_after is not None
        assert stored.run_after > utcnow() + dt.timedelta(seconds=3)
    assert relay(runtime) == 0  # not due yet
    later = utcnow() + dt.timedelta(seconds=6)
    assert relay(runtime, now=later) == 1
    assert run_outbox_job(runtime, row.id) == "retry"
    assert relay(runtime, now=utcnow() + dt.timedelta(seconds=11)) == 1
    assert run_outbox_job(runtime, row.id) == "done"
    assert count(runtime, AuditEvent, AuditEvent.action == "flaky-done") == 1


def test_redis_outage_delays_work_and_loses_nothing(
    tmp_path: Any, database_url: str, redis_process: Any
) -> None:
    settings = make_settings(tmp_path, database_url, redis_process.url)
    runtime = Runtime(settings)  # the real connection, with the production timeouts
    set_current(runtime)
    app = create_app(runtime=runtime)
    app.register_blueprint(event_bp)
    client = app.test_client()
    try:
        redis_process.stop()
        for i in range(5):
            params = {**EVENT, "MessageSid": f"SM{i:032d}", "From": f"+8190000001{i:02d}"}
            assert twilio_post(client, "/sms/test-event", params).status_code == 200
        assert client.get("/readyz").status_code == 503
        assert count(runtime, OutboxJob) == 5
        assert count(runtime, OutboxJob, OutboxJob.pushed_at.is_(None)) == 5

        redis_process.start()
        runtime.redis.connection_pool.disconnect()
        assert run_jobs(runtime) == 5
        assert run_jobs(runtime) == 0
        assert count(runtime, AuditEvent, AuditEvent.action == "event") == 5
        assert count(runtime, OutboxJob, OutboxJob.done_at.is_(None)) == 0
        assert client.get("/readyz").status_code == 200
    finally:
        set_current(None)
        runtime.close()


def test_defer_refuses_an_unknown_job_name(runtime: Runtime) -> None:
    with pytest.raises(KeyError), runtime.session() as session:
        defer(session, "no.such.job", x=1)


def test_readiness_reports_database_and_redis(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert isinstance(redis.Redis, type)


def test_stored_answers_are_encrypted_and_pruned_after_a_week(
    event_app: Any, runtime: Runtime
) -> None:
    from hotline.webhooks import WebhookReceipt, prune_receipts

    answer = twilio_post(event_app.test_client(), "/sms/test-event", EVENT)
    with runtime.db.session() as s:
        receipt = s.scalars(select(WebhookReceipt)).one()
        assert answer.get_data(as_text=True) not in receipt.body
        assert "caller" not in receipt.body
        assert prune_receipts(s, now=utcnow() + dt.timedelta(days=6)) == 0
        assert prune_receipts(s, now=utcnow() + dt.timedelta(days=8)) == 1


def test_pushing_a_job_already_in_redis_does_not_hold_up_the_others(runtime: Runtime) -> None:
    from hotline.jobs import push

    with runtime.session() as session:
        caller = get_or_create_caller(session, runtime.settings.secret_key, WORKER_NUMBER)
        first = defer(session, "tests.audit", caller_id=caller.id, label="first")
    # The relay thinks the first was lost and pushes it again, together with a new one.
    with runtime.db.session() as session:
        session.get(OutboxJob, first.id).pushed_at = None  # type: ignore[union-attr]
        second = defer(session, "tests.audit", caller_id=caller.id, label="second")
    assert push(runtime, [first.id, second.id]) == 2
    assert run_jobs(runtime) == 2
    assert count(runtime, AuditEvent, AuditEvent.action.in_(["first", "second"])) == 2
