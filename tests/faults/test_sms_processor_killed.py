"""Store first, nothing lost: 300 texts stored by /sms/incoming, 1 in 10 failing once in
processing, and the worker SIGKILLed in the middle of a batch and started again. Every
text ends as exactly one stored message and gets exactly one reply (HELP), sent once."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline import create_app
from hotline.runtime import Runtime
from hotline.sms.models import SmsDelivery, SmsMessage
from tests.faults.test_worker_killed import runtime_pg, start_worker, wait_until  # noqa: F401
from tests.sms.helpers import new_sid, text_in

TEXTS = 300
SENDERS = 30  # 10 texts each: under the flood limit, so each HELP gets its answer
FLAKY_WORKER = "tests.faults.flaky_sms_worker"  # `hotline worker` with a failing test double


def counts(runtime: Runtime, fake_twilio: Any, senders: list[str]) -> tuple[int, int, int]:
    """Texts processed, messages stored from the senders, replies the REST API took."""
    with runtime.db.session() as session:
        processed = session.scalar(
            select(func.count()).where(SmsDelivery.processed_at.is_not(None))
        )
        stored = session.scalar(select(func.count()).where(SmsMessage.direction == "in"))
    replies = sum(1 for m in fake_twilio.messages if m["To"] in senders)
    return int(processed or 0), int(stored or 0), replies


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_mid_batch_with_failing_texts_loses_nothing_and_repeats_nothing(
    runtime_pg: Runtime,  # noqa: F811
    fake_twilio: Any,
    tmp_path: Path,
) -> None:
    runtime = runtime_pg
    client = create_app(runtime=runtime).test_client()
    senders = [f"+8190000{i:05d}" for i in range(SENDERS)]
    for i in range(TEXTS):
        body = "HELP #flaky" if i % 10 == 3 else "HELP"
        text_in(client, body, sender=senders[i % SENDERS], sid=new_sid(), process=False)
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SmsDelivery)) == TEXTS

    mark = tmp_path / "mid-batch"
    worker, log = start_worker(
        runtime,
        fake_twilio,
        tmp_path,
        module=FLAKY_WORKER,
        FLAKY_DELAY="0.01",
        FLAKY_MARK=str(mark),
        FLAKY_MARK_AT="20",
    )
    try:
        wait_until(mark.exists, worker, log, seconds=120)  # a loaded machine starts slowly
    finally:
        worker.send_signal(signal.SIGKILL)  # in the middle of its first batch
        worker.wait(timeout=30)
    # The batch was one transaction: nothing of it is left half-done.
    assert counts(runtime, fake_twilio, senders) == (0, 0, 0)

    worker, log = start_worker(runtime, fake_twilio, tmp_path, module=FLAKY_WORKER)
    try:
        # The retries come due after a couple of seconds.
        done = (TEXTS, TEXTS, TEXTS)
        wait_until(lambda: counts(runtime, fake_twilio, senders) == done, worker, log, 300)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    with runtime.db.session() as session:
        stored = Counter(
            session.scalars(select(SmsMessage.sid).where(SmsMessage.direction == "in")).all()
        )
        deliveries = session.scalars(select(SmsDelivery)).all()
    assert len(deliveries) == TEXTS and all(d.processed_at for d in deliveries)
    assert len(stored) == TEXTS and set(stored.values()) == {1}
    retried = [d for d in deliveries if d.attempts]
    assert len(retried) == TEXTS // 10  # each #flaky text failed once, then went through
    per_sender = Counter(m["To"] for m in fake_twilio.messages if m["To"] in senders)
    assert per_sender == {sender: TEXTS // SENDERS for sender in senders}  # one reply each
