"""Store first, work after: /sms/incoming keeps each delivery once and answers empty
TwiML; the worker's processor acts on it, retries what fails, keeps each sender's order,
and shows what it gave up on (`hotline inbound failed` / `replay`)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from hotline.cases.models import Case
from hotline.cli import main
from hotline.db import libpq_url, utcnow
from hotline.runtime import Runtime
from hotline.sms import inbound as domain
from hotline.sms import processor
from hotline.sms.models import SmsDelivery, SmsMessage
from hotline.web.stats import delivery
from hotline.worker import processor_loop
from tests.conftest import both_backends
from tests.helpers import OTHER_WORKER_NUMBER, PUBLIC_URL, WORKER_NUMBER, twilio_post
from tests.sms.helpers import (
    deliver,
    expected,
    expected_help,
    fake_twilio_of,
    inbound,
    new_sid,
    opted_out,
    outbound,
    reply_of,
    runtime_of,
    text_in,
)


def deliveries(runtime: Runtime) -> list[SmsDelivery]:
    with runtime.db.session() as session:
        return list(session.scalars(select(SmsDelivery).order_by(SmsDelivery.id)))


def make_due(runtime: Runtime) -> None:
    """The backoff has passed (without waiting for it)."""
    with runtime.db.session() as session:
        session.execute(update(SmsDelivery).values(run_after=utcnow() - dt.timedelta(seconds=1)))


class FailingOnce:
    """A test double for the domain: texts containing `marker` raise on their first
    attempt (or always), everything else is processed for real. An attempt is the
    delivery's, as counted in the database: a batch tried whole and then text by text
    is one attempt."""

    def __init__(self, marker: str, *, always: bool = False) -> None:
        self.marker = marker
        self.always = always
        self.fixed = False  # set when "the bug is fixed": nothing fails any more
        self.real = domain.act

    def __call__(self, session: Any, settings: Any, inbound: Any, *args: Any, **kw: Any) -> Any:
        failing = self.always or not self._attempted(session, inbound)
        if self.marker in inbound.body and failing and not self.fixed:
            # What a bug half-way through looks like: rows written, then an error.
            self.real(session, settings, inbound, *args, **kw)
            raise RuntimeError("processing failed (test double)")
        return self.real(session, settings, inbound, *args, **kw)

    @staticmethod
    def _attempted(session: Any, inbound: Any) -> bool:
        query = select(SmsDelivery.attempts).where(SmsDelivery.sid == inbound.sid)
        return bool(session.scalar(query))


@both_backends
def test_the_webhook_stores_the_delivery_once_and_answers_empty_twiml(
    client: Any, runtime: Any
) -> None:
    sid = new_sid()
    answers = [text_in(client, "HELP", sid=sid, process=False) for _ in range(3)]
    assert {a.get_data(as_text=True) for a in answers} == {
        '<?xml version="1.0" encoding="UTF-8"?><Response />'
    }
    [stored] = deliveries(runtime)
    assert (stored.sid, stored.processed_at, stored.attempts) == (sid, None, 0)
    assert "HELP" not in str(stored.payload) or stored.payload.startswith("{")  # opened
    with runtime.db.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT payload FROM sms_deliveries").scalar()
    assert "HELP" not in raw and WORKER_NUMBER not in raw  # sealed at rest
    deliver(runtime)
    text_in(client, "HELP", sid=sid)  # a repeat after processing: nothing more
    assert [m.body for m in inbound(runtime)] == ["HELP"]
    assert [m.body for m in outbound(runtime)] == [expected_help("en")]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"From": "not a number"}, "From is not a phone number"),
        ({"NumMedia": "x"}, "NumMedia must be a whole number"),
        ({"NumMedia": "1", "MediaUrl0": "file:///etc/passwd"}, "MediaUrl0 must be an http(s)"),
        ({"MessageSid": ""}, "missing required parameter"),
    ],
)
@both_backends
def test_malformed_deliveries_get_a_clear_400_and_nothing_is_stored(
    client: Any, runtime: Any, params: dict[str, str], message: str
) -> None:
    form = {"MessageSid": new_sid(), "From": WORKER_NUMBER, "Body": "HELP", **params}
    response = twilio_post(client, "/sms/incoming", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert deliveries(runtime) == []


@pytest.mark.slow
@both_backends
def test_a_failure_is_retried_and_the_text_is_not_lost(
    client: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domain, "act", FailingOnce("passport"))
    assert reply_of(text_in(client, "Công ty giữ passport của tôi")) is None
    [failed] = deliveries(runtime)
    assert failed.processed_at is None and failed.attempts == 1
    assert failed.last_error == "RuntimeError: processing failed (test double)"
    assert failed.run_after is not None and failed.run_after > utcnow()
    with runtime.db.session() as session:  # everything it did was rolled back
        assert session.scalar(select(func.count()).select_from(SmsMessage)) == 0
        assert delivery(session, utcnow()).retrying_texts == 1

    make_due(runtime)
    deliver(runtime)
    [done] = deliveries(runtime)
    assert done.processed_at is not None and done.attempts == 1
    [message] = inbound(runtime)
    assert message.body == "Công ty giữ passport của tôi" and message.case_id is not None
    [reply] = outbound(runtime)
    assert fake_twilio_of(runtime).sms_to(WORKER_NUMBER)[0]["Body"] == reply.body


@both_backends
def test_a_senders_texts_are_acted_on_in_arrival_order_even_across_a_retry(
    client: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domain, "act", FailingOnce("LANG"))
    # Stored in one burst, processed afterwards: LANG fails first, and must come first.
    for body in ("LANG 84", "HELP", "STOP"):
        text_in(client, body, process=False)
    text_in(client, "HELP", sender=OTHER_WORKER_NUMBER, process=False)
    deliver(runtime)
    # The other sender is not held up; this one's HELP and STOP wait for its LANG.
    assert [m.body for m in inbound(runtime, OTHER_WORKER_NUMBER)] == ["HELP"]
    assert [d.processed_at is not None for d in deliveries(runtime)] == [False] * 3 + [True]
    assert fake_twilio_of(runtime).sms_to(WORKER_NUMBER) == []
    make_due(runtime)
    deliver(runtime)
    assert [m.body for m in inbound(runtime)] == ["LANG 84", "HELP", "STOP"]
    # Replies in Vietnamese: LANG 84 was applied first. The STOP was processed before the
    # earlier replies left, so only its confirmation is sent (STOP wins over the queue).
    replies = [(m.body, m.status) for m in outbound(runtime)]
    assert replies == [
        (expected("vi", "lang_set", language="Tiếng Việt"), "blocked"),
        (expected_help("vi"), "blocked"),
        (expected("vi", "stopped"), "queued"),
    ]
    sent = [m["Body"] for m in fake_twilio_of(runtime).sms_to(WORKER_NUMBER)]
    assert sent == [expected("vi", "stopped")]
    assert opted_out(runtime)


@both_backends
def test_after_stop_nothing_is_sent_not_even_to_texts_already_stored(
    client: Any, runtime: Any
) -> None:
    text_in(client, "hello")
    fake = fake_twilio_of(runtime)
    fake.messages.clear()
    for body in ("STOP", "HELP", "INFO 2", "CALL"):
        text_in(client, body, process=False)
    deliver(runtime)
    assert [m["Body"] for m in fake.sms_to(WORKER_NUMBER)] == [expected("en", "stopped")]
    assert len(inbound(runtime)) == 5


def test_a_text_that_keeps_failing_is_listed_and_can_be_replayed(
    client: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    double = FailingOnce("wages", always=True)
    monkeypatch.setattr(domain, "act", double)
    monkeypatch.setattr(processor, "MAX_ATTEMPTS", 2)
    text_in(client, "They did not pay my wages")
    text_in(client, "HELP")  # not held up once the first one has given up
    make_due(runtime)
    deliver(runtime)
    first, second = deliveries(runtime)
    assert first.failed_at is not None and first.attempts == 2
    assert second.processed_at is not None
    env = {
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "cli"),
        "DATABASE_URL": runtime.settings.database_url,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "HOTLINE_SECRET_KEY": runtime.settings.secret_key,
    }
    listed = CliRunner().invoke(main, ["inbound", "failed"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"#{first.id} received " in listed.output
    assert "attempts=2 error=RuntimeError: processing failed (test double)" in listed.output
    assert "wages" not in listed.output and WORKER_NUMBER not in listed.output
    with runtime.db.session() as session:
        assert delivery(session, utcnow()).failed_texts == 1
    metrics = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    if metrics.status_code == 200:
        assert "hotline_sms_inbound_failed 1.0" in metrics.get_data(as_text=True)

    double.fixed = True
    refused = CliRunner().invoke(main, ["inbound", "replay"], env=env)
    assert refused.exit_code == 2 and "--all" in refused.output
    replayed = CliRunner().invoke(main, ["inbound", "replay", str(first.id)], env=env)
    assert replayed.exit_code == 0, replayed.output
    assert "1 text(s) queued again" in replayed.output
    deliver(runtime)
    assert [m.body for m in inbound(runtime)] == ["HELP", "They did not pay my wages"]
    assert CliRunner().invoke(main, ["inbound", "failed"], env=env).output == "no failed texts\n"
    again = CliRunner().invoke(main, ["inbound", "replay", "--all"], env=env)
    assert "0 text(s) queued again" in again.output


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_on_postgresql_a_stored_text_wakes_the_processor_by_notification(
    client: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processor, "POLL_SECONDS", 60.0)  # only a notification can wake it
    stop = threading.Event()
    loop = threading.Thread(target=processor_loop, args=(runtime, stop), daemon=True)
    loop.start()
    try:
        stop.wait(1.0)  # the loop's first pass, then it listens
        text_in(client, "HELP", process=False)
        for _ in range(200):
            if all(d.processed_at for d in deliveries(runtime)):
                break
            stop.wait(0.05)
    finally:
        stop.set()
    assert [d.processed_at is not None for d in deliveries(runtime)] == [True]
    loop.join(timeout=5)
    assert runtime_of(client) is runtime


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_text_is_answered_and_kept_while_its_wakeup_cannot_be_sent(
    client: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The NOTIFY is sent after the answer by a thread of the web process: a database
    # that takes it slowly, or refuses it, neither delays the webhook nor loses the text.
    release = threading.Event()
    sent: list[str] = []

    def stuck(channel: str) -> None:
        release.wait(10)
        sent.append(channel)
        raise ConnectionError("notification refused")

    monkeypatch.setattr(runtime.db, "_notify", stuck)
    text_in(client, "HELP", process=False)
    text_in(client, "They did not pay my wages", process=False)
    assert sent == []  # both answered while the first wake-up was stuck
    release.set()
    assert [d.processed_at for d in deliveries(runtime)] == [None, None]
    deliver(runtime)  # as the worker's poll finds them
    assert [m.body for m in inbound(runtime)] == ["HELP", "They did not pay my wages"]
    for _ in range(100):
        if len(sent) == 2:
            break
        release.wait(0.05)
    assert sent == ["hotline_inbound", "hotline_inbound"]  # the second asked while stuck


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_wakeup_connection_the_server_dropped_is_opened_again(runtime: Any) -> None:
    listener = psycopg.connect(libpq_url(runtime.db.url), autocommit=True)
    listener.execute("LISTEN hotline_inbound")
    runtime.db._notify("hotline_inbound")  # opens the wake-ups' connection
    [conn] = runtime.db._wakeup_conns.values()
    listener.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
    with pytest.raises(psycopg.Error):
        runtime.db._notify("hotline_inbound")  # the thread logs it; the poll covers it
    runtime.db._notify("hotline_inbound")  # a new connection
    heard = list(listener.notifies(timeout=2, stop_after=2))
    listener.close()
    assert [n.channel for n in heard] == ["hotline_inbound", "hotline_inbound"]


@both_backends
def test_a_burst_from_one_number_is_acted_on_in_one_batch_as_if_text_by_text(
    client: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "settings", runtime.settings.with_overrides(sms_flood_limit=3))
    bodies = ["LANG 84", "HELP", "Công ty giữ hộ chiếu của tôi", "HELP", "HELP"]
    for body in bodies:
        text_in(client, body, process=False)
    text_in(client, "HELP", sender=OTHER_WORKER_NUMBER, process=False)
    assert processor.process_batch(runtime).processed == 6  # one batch, in rounds
    # Each text saw the ones before it: LANG was applied before the HELP after it, the
    # free text opened a case, and the fourth and fifth texts were over the flood limit.
    texts = inbound(runtime)
    assert [m.body for m in texts] == bodies
    [case_id] = {m.case_id for m in texts if m.case_id is not None}
    assert texts[2].case_id == case_id and texts[2].language == "vi"
    with runtime.db.session() as session:
        reference = session.scalars(select(Case.reference).where(Case.id == case_id)).one()
    assert [m.body for m in outbound(runtime)] == [
        expected("vi", "lang_set", language="Tiếng Việt"),
        expected_help("vi"),
        expected("vi", "received", reference=reference),
    ]
    assert [m.body for m in outbound(runtime, OTHER_WORKER_NUMBER)] == [expected_help("en")]
