"""Redis stopped while calls and texts arrive, then started again, with a real
`hotline worker` running throughout: every webhook is answered (none waits on Redis),
the jobs wait in the outbox, and once Redis is back the worker runs every one of them,
each adviser's reply reaching Twilio exactly once."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline import create_app
from hotline.callbacks.models import CallbackRequest
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from tests.conftest import RedisProcess, make_settings, open_runtime, truncate_all
from tests.faults.test_worker_killed import start_worker, wait_until
from tests.helpers import WORKER_NUMBER
from tests.sms.helpers import text_in
from tests.sms.test_opt_out import queue_from_elsewhere
from tests.voice.helpers import place_call

pytestmark = pytest.mark.slow  # faults injected into running servers

REPLIES = 5


@pytest.fixture
def runtime_private_redis(
    tmp_path: Path, postgres_url: str, redis_process: RedisProcess, fake_twilio: Any
) -> Iterator[Runtime]:
    truncate_all(postgres_url)
    settings = make_settings(
        tmp_path, postgres_url, redis_process.url, twilio_api_url=fake_twilio.url
    )
    yield from open_runtime(settings)


def open_jobs(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxJob)
                .where(OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None))
            )
            or 0
        )


@pytest.mark.slow
@pytest.mark.postgres
def test_redis_down_and_back_loses_no_job_and_sends_nothing_twice(
    runtime_private_redis: Runtime, redis_process: RedisProcess, fake_twilio: Any, tmp_path: Path
) -> None:
    runtime = runtime_private_redis
    client = create_app(runtime=runtime).test_client()
    # The worker's number becomes a known caller with a case, once the worker below has
    # processed this text and sent its answer: so the worker is running before the outage.
    text_in(client, "hello", process=False)
    worker, log_path = start_worker(runtime, fake_twilio, tmp_path)
    try:
        # All caught up: the stored text processed and its answer sent by the worker.
        wait_until(
            lambda: bool(fake_twilio.sms_to(WORKER_NUMBER)) and open_jobs(runtime) == 0,
            worker,
            log_path,
        )

        acknowledged = len(fake_twilio.sms_to(WORKER_NUMBER))  # answers before the outage
        redis_process.stop()
        answered = []
        slowest = 0.0
        for n in range(REPLIES):
            began = time.monotonic()
            # Stored by the webhook; the worker's processor acts on it (never Redis inline).
            answered.append(text_in(client, f"text {n}", process=False).status_code)
            call = place_call(client, "84#2 1 3 2 1 2", from_number=f"+8190000004{n:02d}")
            answered.extend(exchange.status for exchange in call.exchanges)
            slowest = max(slowest, time.monotonic() - began)
            assert queue_from_elsewhere(runtime, f"Your adviser replied ({n})") is not None
        assert len(answered) > 2 * REPLIES and set(answered) == {200}
        with runtime.db.session() as session:  # the calls' requests are stored, not the fallback
            requests = session.scalar(select(func.count()).select_from(CallbackRequest))
            assert requests == REPLIES
        assert client.get("/readyz").status_code == 503
        waiting = open_jobs(runtime)
        assert waiting >= REPLIES  # recorded in the outbox, not lost with Redis
        time.sleep(1)  # the worker meets the outage too
        assert len(fake_twilio.sms_to(WORKER_NUMBER)) == acknowledged

        redis_process.start()
        recovered = wait_until(lambda: open_jobs(runtime) == 0, worker, log_path)
        sent = [
            m["Body"]
            for m in fake_twilio.sms_to(WORKER_NUMBER)[acknowledged:]
            if m["Body"].startswith("Your adviser replied")
        ]
        assert sorted(sent) == sorted(f"Your adviser replied ({n})" for n in range(REPLIES))
        assert worker.poll() is None  # it outlived the outage
        worker.terminate()  # and a stop asked for still ends it
        assert worker.wait(timeout=30) == 0
        print(  # the figures in docs/reliability.md
            f"\nanswered {len(answered)}/{len(answered)} (slowest text and call {slowest:.2f} s), "
            f"{waiting} jobs waited, all done {recovered:.2f} s after Redis came back"
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:  # never leave a worker behind on the test database
            worker.kill()
            worker.wait(timeout=30)
            raise


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_asked_to_stop_while_redis_is_down_stops(
    runtime_private_redis: Runtime, redis_process: RedisProcess, fake_twilio: Any, tmp_path: Path
) -> None:
    """A process manager's SIGTERM during an outage ends the worker: RQ's own handler asks
    Redis for the worker's state, and its connection error used to be taken for a lost
    connection, so the worker started again instead of stopping."""
    runtime = runtime_private_redis
    client = create_app(runtime=runtime).test_client()
    text_in(client, "hello", process=False)
    worker, log_path = start_worker(runtime, fake_twilio, tmp_path)
    try:
        wait_until(lambda: bool(fake_twilio.sms_to(WORKER_NUMBER)), worker, log_path)
        redis_process.stop()
        time.sleep(3)  # the worker meets the outage and starts RQ's worker again
        assert worker.poll() is None, log_path.read_text()
        worker.terminate()
        try:
            assert worker.wait(timeout=30) == 0, log_path.read_text()
        except subprocess.TimeoutExpired:
            pytest.fail("SIGTERM did not stop the worker:\n" + log_path.read_text())
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
