"""Incoming texts translated for agents: languages, glossary, cache, failures."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.jobs import run_outbox_job
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.models import Translation
from hotline.translation.service import translate_text
from hotline.translation.usage import usage_summary
from tests.builders import make_case, make_message
from tests.conftest import both_backends
from tests.fakes.google_translate import FakeGoogleTranslate
from tests.helpers import OTHER_WORKER_NUMBER, run_jobs
from tests.translation.conftest import run_jobs_later

VIETNAMESE = "Công ty không trả lương cho tôi ba tháng."


def translations(runtime: Runtime, message_id: int) -> dict[str, Translation]:
    with runtime.db.session() as session:
        rows = session.scalars(
            select(Translation).where(
                Translation.source_kind == "sms", Translation.source_id == message_id
            )
        )
        return {row.target_language: row for row in rows}


@both_backends
def test_sms_in_vietnamese_is_translated_into_english_and_japanese(
    google_runtime: Runtime,
) -> None:
    case = make_case(google_runtime, language="vi")
    message = make_message(google_runtime, case=case, body=VIETNAMESE)

    run_jobs(google_runtime)

    rows = translations(google_runtime, message.id)
    assert sorted(rows) == ["en", "ja"]
    assert rows["en"].status == "done"
    assert rows["en"].text == "The company has not paid me for three months."
    assert rows["ja"].text == "会社は3か月間給料を払っていません。"
    assert {r.source_language for r in rows.values()} == {"vi"}
    assert {r.provider for r in rows.values()} == {"google"}


def test_sms_in_an_agent_language_is_translated_only_into_the_others(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    case = make_case(google_runtime, language="en")
    message = make_message(google_runtime, case=case, body="We will call you tomorrow morning.")

    run_jobs(google_runtime)

    rows = translations(google_runtime, message.id)
    assert list(rows) == ["ja"]
    assert rows["ja"].text == "明日の朝お電話します。"
    assert [r["targetLanguageCode"] for r in fake_translate.translate_requests()] == ["ja"]


def test_language_is_detected_and_remembered_when_nobody_knew_it(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    case = make_case(google_runtime, language=None)
    message = make_message(google_runtime, case=case, body=VIETNAMESE, language=None)

    run_jobs(google_runtime)

    assert len(fake_translate.detect_requests()) == 1
    with google_runtime.db.session() as session:
        assert session.get(SmsMessage, message.id).language == "vi"  # type: ignore[union-attr]
        assert session.get(Caller, case.caller_id).language == "vi"  # type: ignore[union-attr]
        assert session.get(Case, case.id).language == "vi"  # type: ignore[union-attr]
    rows = translations(google_runtime, message.id)
    assert rows["en"].text == "The company has not paid me for three months."


@pytest.mark.slow
def test_glossary_terms_come_out_the_same_in_every_language(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    case = make_case(google_runtime, language="vi")
    message = make_message(google_runtime, case=case, body="Tôi là thực tập sinh kỹ năng")

    run_jobs(google_runtime)

    rows = translations(google_runtime, message.id)
    assert rows["en"].text == "I am a technical intern trainee"
    assert rows["ja"].text == "私は 技能実習生"
    assert "thực tập sinh" not in fake_translate.sent_text()


@both_backends
def test_a_repeated_text_costs_nothing(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    first = make_case(google_runtime, language="vi")
    make_message(google_runtime, case=first, body=VIETNAMESE)
    run_jobs(google_runtime)
    with google_runtime.db.session() as session:
        billed_before = usage_summary(session, days=1).characters
    requests_before = len(fake_translate.requests)

    second = make_case(google_runtime, language="vi", number=OTHER_WORKER_NUMBER)
    repeat = make_message(
        google_runtime, case=second, body="  Công ty không trả lương cho tôi   ba tháng. "
    )
    run_jobs(google_runtime)

    assert len(fake_translate.requests) == requests_before
    with google_runtime.db.session() as session:
        summary = usage_summary(session, days=1)
    assert summary.characters == billed_before
    assert summary.cache_hits == 2
    assert translations(google_runtime, repeat.id)["en"].text == (
        "The company has not paid me for three months."
    )


def test_transient_google_error_is_retried_with_backoff_then_succeeds(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    fake_translate.fail(503)
    case = make_case(google_runtime, language="vi")
    message = make_message(google_runtime, case=case, body=VIETNAMESE)

    run_jobs(google_runtime)

    rows = translations(google_runtime, message.id)
    assert sorted(r.status for r in rows.values()) == ["done", "pending"]  # one target failed
    with google_runtime.db.session() as session:
        job = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.translate")).one()
        assert job.run_after is not None and job.done_at is None
        assert "unavailable" in (job.last_error or "")

    run_jobs_later(google_runtime, after=dt.timedelta(minutes=1))

    rows = translations(google_runtime, message.id)
    assert {r.status for r in rows.values()} == {"done"}


def test_quota_errors_wait_longer_than_transient_ones(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    fake_translate.fail(429)
    case = make_case(google_runtime, language="vi")
    make_message(google_runtime, case=case, body=VIETNAMESE)

    run_jobs(google_runtime)
    run_jobs_later(google_runtime, after=dt.timedelta(minutes=5))

    with google_runtime.db.session() as session:
        job = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.translate")).one()
        assert job.attempts == 1  # still waiting: five minutes is not long enough
        assert job.run_after is not None
        assert job.run_after - job.created_at >= dt.timedelta(minutes=10)


def test_after_the_last_attempt_translation_shows_failed_and_the_original_stays(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    fake_translate.fail(503, times=100)
    case = make_case(google_runtime, language="vi")
    message = make_message(google_runtime, case=case, body=VIETNAMESE)

    run_jobs(google_runtime)
    for _ in range(6):
        run_jobs_later(google_runtime, after=dt.timedelta(hours=1))

    rows = translations(google_runtime, message.id)
    assert {r.status for r in rows.values()} == {"failed"}
    assert {r.text for r in rows.values()} == {None}
    with google_runtime.db.session() as session:
        assert session.get(SmsMessage, message.id).body == VIETNAMESE  # type: ignore[union-attr]
        job = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.translate")).one()
        assert job.failed_at is not None and job.attempts == 6


def test_a_refused_request_fails_at_once_without_retrying(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    fake_translate.fail(400, times=2)
    case = make_case(google_runtime, language="vi")
    message = make_message(google_runtime, case=case, body=VIETNAMESE)

    run_jobs(google_runtime)

    rows = translations(google_runtime, message.id)
    assert {r.status for r in rows.values()} == {"failed"}
    assert len(fake_translate.requests) == 2


def test_without_google_texts_are_marked_not_translated(
    unconfigured_runtime: Runtime,
) -> None:
    case = make_case(unconfigured_runtime, language="vi")
    message = make_message(unconfigured_runtime, case=case, body=VIETNAMESE)

    run_jobs(unconfigured_runtime)

    rows = translations(unconfigured_runtime, message.id)
    assert sorted(rows) == ["en", "ja"]
    assert {r.status for r in rows.values()} == {"not_configured"}
    assert {r.text for r in rows.values()} == {None}


@pytest.mark.slow
@both_backends
def test_two_workers_translating_the_same_text_at_once_ask_google_once(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    fake_translate.latency = 0.3
    results: list[str] = []

    def work() -> None:
        results.append(translate_text(google_runtime, VIETNAMESE, source="vi", target="en").text)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == ["The company has not paid me for three months."] * 3
    assert len(fake_translate.translate_requests()) == 1


def test_texts_queued_behind_are_translated_together_in_one_request_per_language(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    case = make_case(google_runtime, language="vi")
    messages = [
        make_message(google_runtime, case=case, body=f"Tôi làm việc {n} giờ") for n in range(5)
    ]
    with google_runtime.db.session() as session:
        first_job = session.scalars(
            select(OutboxJob.id).where(OutboxJob.name == "sms.translate").order_by(OutboxJob.id)
        ).first()
    assert first_job is not None

    assert run_outbox_job(google_runtime, first_job) == "done"

    for message in messages:
        assert {r.status for r in translations(google_runtime, message.id).values()} == {"done"}
    sent = fake_translate.translate_requests()
    assert sorted(r["targetLanguageCode"] for r in sent) == ["en", "ja"]  # one per pair
    assert [len(r["contents"]) for r in sent] == [5, 5]
    run_jobs(google_runtime)  # their own jobs find the work done
    assert len(fake_translate.requests) == 2
    with google_runtime.db.session() as session:
        assert (
            session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.done_at.is_(None))) == 0
        )


def test_failures_inside_a_batch_are_retried_and_nothing_is_lost(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    fake_translate.fail(503, times=3)
    case = make_case(google_runtime, language="vi")
    messages = [
        make_message(google_runtime, case=case, body=f"Tôi làm việc {n} giờ") for n in range(4)
    ]

    run_jobs(google_runtime)
    run_jobs_later(google_runtime, after=dt.timedelta(minutes=5))
    run_jobs_later(google_runtime, after=dt.timedelta(minutes=30))

    for message in messages:
        rows = translations(google_runtime, message.id)
        assert {r.status for r in rows.values()} == {"done"}
        assert rows["en"].text == f"[en] Tôi làm việc {messages.index(message)} giờ"
