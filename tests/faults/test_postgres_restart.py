"""PostgreSQL restarted while calls and texts keep arriving.

Every text the hotline answered 200 must be stored exactly once (Twilio does not
redeliver a text; an answer other than 200 sends it to `/sms/fallback`, which asks the
sender to send it again), and every call must hear an answer, the safe fallback at worst.
"""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from hotline import create_app
from hotline.migrate import upgrade
from hotline.runtime import Runtime, set_current
from hotline.sms.models import SmsMessage
from hotline.sms.processor import process_due
from tests.conftest import make_settings
from tests.faults.conftest import PrivatePostgres
from tests.helpers import twilio_post

pytestmark = pytest.mark.slow  # faults injected into running servers

SENDERS = 2
MAX_EACH = 2000  # requests per sender at most; traffic stops once recovery is seen
RESTART_AFTER = 20  # answered requests before the restart
RECOVERED_AFTER = 10  # normal answers after the restart before traffic stops


@dataclass
class Answer:
    kind: str  # sms | voice
    sid: str
    status: int
    at: float
    fallback: bool = False


@pytest.fixture
def runtime_on_private(
    private_postgres: PrivatePostgres, tmp_path: Path, redis_url: str
) -> Iterator[Runtime]:
    upgrade(private_postgres.url)
    runtime = Runtime(make_settings(tmp_path, private_postgres.url, redis_url))
    set_current(runtime)
    yield runtime
    set_current(None)
    runtime.close()


@pytest.mark.slow
def test_a_postgres_restart_during_traffic_loses_no_answered_text(
    private_postgres: PrivatePostgres, runtime_on_private: Runtime
) -> None:
    app = create_app(runtime=runtime_on_private)
    app.testing = False  # a failure is a 500, as gunicorn would answer it
    answers: list[Answer] = []
    lock = threading.Lock()
    enough = threading.Event()  # traffic is flowing: restart now
    restarted_at: list[float] = []  # when the server was up again
    recovered = threading.Event()  # normal answers again after the restart: stop
    stop = threading.Event()

    def record(answer: Answer) -> None:
        with lock:
            answers.append(answer)
            if len(answers) >= RESTART_AFTER:
                enough.set()
            normal_after = [
                a
                for a in answers
                if restarted_at and a.at > restarted_at[0] and a.status == 200 and not a.fallback
            ]
            if len(normal_after) >= RECOVERED_AFTER:
                recovered.set()

    def sender(n: int) -> None:
        client = app.test_client()
        for i in range(MAX_EACH):
            if stop.is_set():
                return
            sid = f"SM{n:02d}{i:030d}"
            params = {"MessageSid": sid, "From": f"+819{n:02d}{i:07d}", "Body": "help me"}
            response = twilio_post(client, "/sms/incoming", params)
            record(Answer("sms", sid, response.status_code, time.monotonic()))
            call_sid = f"CA{n:02d}{i:030d}"
            call = {"CallSid": call_sid, "From": f"+818{n:02d}{i:07d}", "To": "+81500000000"}
            response = twilio_post(client, "/voice/incoming", call)
            said = response.get_data(as_text=True)
            fallback = response.status_code == 200 and _is_fallback(said)
            record(Answer("voice", call_sid, response.status_code, time.monotonic(), fallback))

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    try:
        assert enough.wait(120), "no traffic before the restart"
        restart_began = time.monotonic()
        private_postgres.restart()
        restarted = time.monotonic()
        with lock:
            # Normal answers count once the server is back: during its shutdown the
            # webhooks' open connections still answer for a moment.
            restarted_at.append(restarted)
        assert recovered.wait(120), "the hotline did not recover after the restart"
    finally:
        stop.set()
        for thread in threads:
            thread.join(180)
    assert not any(thread.is_alive() for thread in threads)

    texts = [a for a in answers if a.kind == "sms"]
    calls = [a for a in answers if a.kind == "voice"]
    answered = {a.sid for a in texts if a.status == 200}
    _process_when_reachable(runtime_on_private)  # the worker's part: deliveries become messages
    with runtime_on_private.db.session() as session:
        stored = dict(
            session.execute(
                select(SmsMessage.sid, func.count())
                .where(SmsMessage.direction == "in")
                .group_by(SmsMessage.sid)
            ).all()
        )
    lost = answered - set(stored)
    assert lost == set(), f"{len(lost)} answered texts were lost"
    assert all(count == 1 for count in stored.values())
    assert all(a.status == 200 for a in calls), "a caller met an error instead of an answer"
    degraded = [a.at for a in answers if a.status != 200 or a.fallback]
    first_bad = min(degraded, default=restart_began)
    back = min(a.at for a in answers if a.at > max(degraded, default=0) and a.status == 200)
    print(
        f"\npostgres restart took {restarted - restart_began:.2f} s;"
        f" texts: {len(answered)}/{len(texts)} answered 200, {len(lost)} lost;"
        f" calls: {len(calls)} answered, {sum(a.fallback for a in calls)} with the fallback;"
        f" degraded for {back - first_bad:.2f} s"
    )


def _process_when_reachable(runtime: Runtime) -> None:
    """`process_due` as the worker runs it, which tries again after an error: the web's
    answers can be back (on the webhooks' own connections) while this process's engine
    still refuses new connections for `UNREACHABLE_FOR` after a failed one."""
    deadline = time.monotonic() + 30
    while True:
        try:
            process_due(runtime)
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _is_fallback(twiml: str) -> bool:
    from hotline.voice.scripts import get_scripts

    says = [v.text for v in ET.fromstring(twiml) if v.tag == "Say"]  # noqa: S314
    return get_scripts().text("en", "fallback") in says


def test_the_private_cluster_is_really_stopped_and_started(
    private_postgres: PrivatePostgres,
) -> None:
    from sqlalchemy import create_engine, pool, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(private_postgres.url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT 1")) == 1
    private_postgres.stop()
    with pytest.raises(OperationalError), engine.connect():
        pass
    private_postgres.start()
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT 1")) == 1
    engine.dispose()
