"""Repeated deliveries and lost connections, through `@twilio_webhook`.

A repeat is not looked up before the view runs: the view runs again against the state
the first delivery left, and its work is rolled back when the receipt (or a unique row)
collides. These tests pin down that a repeat still gets the first answer when running
again would now fail, and that a delivery arriving on a connection the database dropped
is handled once on a fresh one.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint, Response, abort, g
from sqlalchemy import create_engine, func, select, text

import hotline.db
from hotline import create_app
from hotline.audit import AuditEvent
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.sms.processor import process_due
from hotline.voice.models import Call
from hotline.webhooks import BadWebhook, twilio_webhook
from tests.builders import auth, make_agent
from tests.conftest import both_backends
from tests.helpers import WORKER_NUMBER, twilio_post

replay_bp = Blueprint("test_replay", __name__, url_prefix="/sms")


@replay_bp.post("/once-then-<failure>")
@twilio_webhook(idempotency=lambda form: form.get("MessageSid"))
def once_then(failure: str) -> Response:
    """Answers the first delivery; any later run fails as `failure` says."""
    action = f"{failure}-later"
    done = g.db.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )
    if done and failure == "refused":
        raise BadWebhook("this step is over")
    if done and failure == "broken":
        raise RuntimeError("the state moved on")
    if done:
        abort(404)
    g.db.add(AuditEvent(action=action, subject_type="test", subject_id=None))
    return Response(f"<Response><Message>{action}</Message></Response>", content_type="text/xml")


@pytest.fixture
def replay_client(runtime: Runtime) -> Any:
    app = create_app(runtime=runtime)
    app.register_blueprint(replay_bp)
    return app.test_client()


def count(runtime: Runtime, model: Any, *where: Any) -> int:
    with runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@both_backends
@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/sms/once-then-refused", "refused-later"),
        ("/sms/once-then-broken", "broken-later"),
        ("/sms/once-then-gone", "gone-later"),
    ],
)
def test_a_repeat_gets_the_first_answer_even_when_running_again_would_fail(
    replay_client: Any, runtime: Runtime, path: str, action: str
) -> None:
    params = {"MessageSid": "SM" + "b" * 32, "From": WORKER_NUMBER, "Body": "hello"}
    first = twilio_post(replay_client, path, params)
    repeats = [twilio_post(replay_client, path, params) for _ in range(2)]
    assert first.status_code == 200
    for repeat in repeats:
        assert repeat.status_code == 200
        assert repeat.get_data() == first.get_data()
    assert count(runtime, AuditEvent, AuditEvent.action == action) == 1


def test_a_failure_that_is_not_a_repeat_is_still_an_error(replay_client: Any) -> None:
    """A new delivery the view refuses is refused: there is no earlier answer to give."""
    params = {"MessageSid": "SM" + "c" * 32, "From": WORKER_NUMBER, "Body": "hello"}
    twilio_post(replay_client, "/sms/once-then-refused", params)
    other = {**params, "MessageSid": "SM" + "d" * 32}
    answer = twilio_post(replay_client, "/sms/once-then-refused", other)
    assert answer.status_code == 400
    assert "this step is over" in answer.get_data(as_text=True)


def drop_every_connection(database_url: str) -> None:
    """What a database restart does to every pooled connection."""
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    assert dropped


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_text_arriving_after_the_database_dropped_our_connections_is_stored_once(
    client: Any, runtime: Runtime
) -> None:
    """A busy server does not ping connections before use (a round trip per request): a
    webhook whose pooled connection is dead is handled again on a fresh one."""
    first = {"MessageSid": "SM" + "e" * 32, "From": WORKER_NUMBER, "Body": "first"}
    assert twilio_post(client, "/sms/incoming", first).status_code == 200
    drop_every_connection(runtime.settings.database_url)
    second = {"MessageSid": "SM" + "f" * 32, "From": WORKER_NUMBER, "Body": "second"}
    answer = twilio_post(client, "/sms/incoming", second)
    assert answer.status_code == 200
    process_due(runtime)  # the worker's part: both stored deliveries become messages
    assert count(runtime, SmsMessage, SmsMessage.direction == "in") == 2


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_call_arriving_after_the_database_dropped_our_connections_is_answered(
    client: Any, runtime: Runtime
) -> None:
    """The same for a call's first step, ordinary ones included (hotline.voice.first_step
    uses the driver's connection: a dead one is dropped and the view answers)."""
    first = {"CallSid": "CA" + "e" * 32, "From": WORKER_NUMBER, "To": "+81500000000"}
    assert twilio_post(client, "/voice/incoming", first).status_code == 200
    assert count(runtime, Call) == 1
    drop_every_connection(runtime.settings.database_url)
    second = {"CallSid": "CA" + "f" * 32, "From": WORKER_NUMBER, "To": "+81500000000"}
    answer = twilio_post(client, "/voice/incoming", second)
    assert answer.status_code == 200 and "/voice/language?" in answer.get_data(as_text=True)
    third = {"CallSid": "CA" + "d" * 32, "From": WORKER_NUMBER, "To": "+81500000000"}
    assert "/voice/language?" in twilio_post(client, "/voice/incoming", third).get_data(
        as_text=True
    )
    runtime.db.engine.dispose()  # the test's own reads: its pooled connection was dropped too
    assert count(runtime, Call) == 3


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_connection_left_idle_is_pinged_so_an_agent_never_sees_a_restart(
    client: Any, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hotline.db, "IDLE_BEFORE_PING", 0.0)  # every connection is "idle"
    token = make_agent(runtime).token
    assert client.get("/api/queue", headers=auth(token)).status_code == 200
    drop_every_connection(runtime.settings.database_url)
    assert client.get("/api/queue", headers=auth(token)).status_code == 200


@pytest.mark.slow
@both_backends
@pytest.mark.parametrize(
    ("path", "params"),
    [
        (
            "/sms/incoming",
            {
                "MessageSid": "SM" + "5a" * 16,
                "From": WORKER_NUMBER,
                "To": "+81500000000",
                "Body": "my boss keeps my passport",
            },
        ),
        ("/voice/incoming", {"CallSid": "CA" + "5a" * 16, "From": WORKER_NUMBER}),
    ],
)
def test_a_delivery_replayed_after_its_receipt_was_pruned_is_answered_as_a_repeat(
    client: Any, runtime: Runtime, path: str, params: dict[str, str]
) -> None:
    import datetime as dt

    from hotline.db import utcnow
    from hotline.models import metadata
    from hotline.webhooks import WebhookReceipt, prune_receipts

    assert twilio_post(client, path, params).status_code == 200
    with runtime.db.session() as s:
        if path == "/voice/incoming":
            # A call's first answer is kept on its row, not in a receipt: a week on,
            # it is no longer replayed.
            from sqlalchemy import update

            from hotline.voice.models import Call

            s.execute(update(Call).values(started_at=utcnow() - dt.timedelta(days=8)))
        else:
            # A text is kept as its delivery row (unique MessageSid), never as a receipt.
            assert prune_receipts(s, now=utcnow() + dt.timedelta(days=8)) == 0
    if path == "/sms/incoming":
        process_due(runtime)  # the worker has acted on it

    def rows() -> int:
        return sum(count(runtime, table) for table in metadata.sorted_tables)

    before = rows()
    replay = twilio_post(client, path, params)
    assert replay.status_code == 200
    assert replay.get_data(as_text=True).startswith("<?xml")  # TwiML that does nothing
    assert "<Message" not in replay.get_data(as_text=True)
    assert "<Gather" not in replay.get_data(as_text=True)
    assert rows() == before
    assert count(runtime, WebhookReceipt) == 0
