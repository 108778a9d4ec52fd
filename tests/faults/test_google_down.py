"""Google Translation answering 503, then timing out, while texts keep arriving: every
text is answered at once (webhooks never call Google), the translation jobs are retried
with their backoff, and once Google is back every text is translated; nothing is lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from hotline import create_app
from hotline.jobs import DEFAULT_BACKOFF
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.models import Translation
from tests.fakes.google_translate import FakeGoogleTranslate
from tests.helpers import run_jobs
from tests.sms.helpers import messages_in, text_in
from tests.translation.conftest import run_jobs_later

pytestmark = pytest.mark.slow  # faults injected into running servers

TEXTS = [f"Công ty không trả lương cho tôi {n} tháng." for n in range(1, 6)]
FIRST_RETRY = dt.timedelta(seconds=DEFAULT_BACKOFF.delays[0] + 1)


def texts_arrive(client: Any) -> list[int]:
    """Five workers text the hotline; each gets its answer in the webhook's TwiML."""
    answered = 0
    for n, body in enumerate(TEXTS):
        response = text_in(client, body, sender=f"+8190000003{n:02d}")
        answered += bool(messages_in(response))
    assert answered == len(TEXTS)
    return list(range(len(TEXTS)))


def translation_state(runtime: Runtime) -> tuple[dict[int, set[str]], list[OutboxJob]]:
    with runtime.db.session() as session:
        incoming = session.scalars(select(SmsMessage.id).where(SmsMessage.direction == "in"))
        states: dict[int, set[str]] = {message_id: set() for message_id in incoming}
        for row in session.scalars(select(Translation).where(Translation.source_kind == "sms")):
            if row.source_id in states:
                states[row.source_id].add(row.status)
        jobs = list(session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.translate")))
        session.expunge_all()
    return states, jobs


def assert_all_translated(runtime: Runtime) -> None:
    states, jobs = translation_state(runtime)
    assert len(states) == len(TEXTS)
    assert all(statuses == {"done"} for statuses in states.values()), states
    assert jobs and all(job.done_at is not None and job.failed_at is None for job in jobs)


@pytest.mark.slow
def test_google_answering_503_delays_translations_and_loses_none(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    client = create_app(runtime=google_runtime).test_client()
    fake_translate.fail(503, times=1000)  # Google is down
    texts_arrive(client)
    assert not fake_translate.requests  # the webhooks did not wait on Google
    run_jobs(google_runtime, rounds=1)  # the worker's first attempts all meet the 503
    assert fake_translate.requests
    states, jobs = translation_state(google_runtime)
    assert all("done" not in statuses for statuses in states.values())
    assert all(job.done_at is None and job.failed_at is None for job in jobs)
    assert jobs and all(job.attempts == 1 for job in jobs)
    assert all("unavailable" in (job.last_error or "") for job in jobs)

    fake_translate.failures.clear()  # Google is back
    run_jobs_later(google_runtime, after=FIRST_RETRY)  # the first retry translates them all
    assert_all_translated(google_runtime)


@pytest.mark.slow
def test_google_timing_out_delays_translations_and_loses_none(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Google's 30 s limit scaled down: it answers after 1.5 s, we wait 0.5 s.
    monkeypatch.setattr("hotline.translation.google.TIMEOUT_SECONDS", 0.5)
    fake_translate.latency = 1.5
    client = create_app(runtime=google_runtime).test_client()
    texts_arrive(client)
    run_jobs(google_runtime, rounds=1)
    assert fake_translate.requests
    states, jobs = translation_state(google_runtime)
    assert all("done" not in statuses for statuses in states.values())
    assert all(job.done_at is None and job.failed_at is None for job in jobs)
    assert jobs and all(job.attempts == 1 for job in jobs)
    assert all("Google unreachable: ReadTimeout" in (job.last_error or "") for job in jobs), [
        j.last_error for j in jobs
    ]

    fake_translate.latency = 0.0  # Google answers in time again
    run_jobs_later(google_runtime, after=FIRST_RETRY)
    assert_all_translated(google_runtime)
