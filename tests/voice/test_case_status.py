"""A returning caller hears one short sentence about their case after the greeting:
its status and nothing more, once per call, only while the case is open or recently
closed. Whole calls walked by the simulator, as Twilio walks them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from hotline.agents.models import Agent
from hotline.callers.service import find_caller
from hotline.cases.models import CASE_STATUSES, Case
from hotline.cases.service import open_case_for
from hotline.cases.work import set_status
from hotline.db import utcnow
from hotline.voice.scripts import get_scripts
from tests.builders import make_agent
from tests.conftest import both_backends
from tests.helpers import WORKER_NUMBER
from tests.voice.helpers import place_call, statements

NEPALI_NUMBER = "+9779800000123"  # made-up Nepali mobile number
KHMER_NUMBER = "+85590000123"  # made-up Cambodian mobile number


def text(lang: str, prompt: str) -> str:
    return get_scripts().text(lang, prompt)


def status_texts(lang: str) -> set[str]:
    return {text(lang, f"case_status_{status}") for status in CASE_STATUSES}


def with_case(
    runtime: Any,
    number: str,
    status: str = "open",
    *,
    closed_days_ago: int | None = None,
) -> str:
    """A caller who has called before (their language chosen) and has a case; the case
    is moved to `status` by an adviser, `closed_days_ago` days ago when closing it."""
    with runtime.db.session() as s:
        caller = find_caller(s, runtime.settings.secret_key, number)
        assert caller is not None and caller.language is not None
        language = caller.language
        reference = open_case_for(s, caller, language).reference
    agent_id = make_agent(
        runtime, name="Test adviser", languages=language, phone=None, available=True
    ).id
    when = utcnow() - dt.timedelta(days=closed_days_ago or 0)
    with time_machine.travel(when, tick=False), runtime.db.session() as s:
        case = s.scalars(select(Case).where(Case.reference == reference)).one()
        agent = s.get(Agent, agent_id)
        assert agent is not None
        if status != "open":
            outcome = "resolved" if status == "closed" else None
            set_status(s, case, agent, status, outcome=outcome)
    return reference


def first_call(client: Any, number: str, language_code: str) -> None:
    """The first call: the caller picks their language, which is remembered."""
    place_call(client, f"{language_code}#", from_number=number)


@pytest.mark.slow
@both_backends
@pytest.mark.parametrize("status", ["open", "waiting", "referred"])
def test_a_returning_caller_hears_their_case_status_after_the_greeting_before_the_menu(
    client: Any, runtime: Any, status: str
) -> None:
    first_call(client, WORKER_NUMBER, "84")
    reference = with_case(runtime, WORKER_NUMBER, status)
    result = place_call(client, "", from_number=WORKER_NUMBER)
    says = result.says()
    assert says[:3] == [
        text("vi", "greeting"),
        text("vi", f"case_status_{status}"),
        text("vi", "main_menu"),
    ], result.transcript()
    # The status and nothing more: no reference number, nothing about the case.
    spoken = " ".join(says)
    assert reference not in spoken and ", ".join(reference) not in spoken


@both_backends
def test_a_case_closed_ten_days_ago_is_told_as_closed(client: Any, runtime: Any) -> None:
    first_call(client, WORKER_NUMBER, "84")
    with_case(runtime, WORKER_NUMBER, "closed", closed_days_ago=10)
    says = place_call(client, "", from_number=WORKER_NUMBER).says()
    assert says[:3] == [
        text("vi", "greeting"),
        text("vi", "case_status_closed"),
        text("vi", "main_menu"),
    ]


@both_backends
def test_a_case_closed_forty_days_ago_is_not_mentioned(client: Any, runtime: Any) -> None:
    first_call(client, WORKER_NUMBER, "84")
    with_case(runtime, WORKER_NUMBER, "closed", closed_days_ago=40)
    says = place_call(client, "", from_number=WORKER_NUMBER).says()
    assert says[:2] == [text("vi", "greeting"), text("vi", "main_menu")]
    assert not status_texts("vi") & set(says)


def test_a_case_closed_29_days_ago_is_told_and_31_days_ago_is_not(
    client: Any, runtime: Any
) -> None:
    first_call(client, WORKER_NUMBER, "84")
    reference = with_case(runtime, WORKER_NUMBER, "closed", closed_days_ago=31)
    assert text("vi", "case_status_closed") not in place_call(client, "").says()
    with runtime.db.session() as s:
        case = s.scalars(select(Case).where(Case.reference == reference)).one()
        case.closed_at = utcnow() - dt.timedelta(days=29)
    assert text("vi", "case_status_closed") in place_call(client, "").says()


def test_an_open_case_is_told_even_when_an_older_case_was_closed_recently(
    client: Any, runtime: Any
) -> None:
    first_call(client, WORKER_NUMBER, "84")
    with_case(runtime, WORKER_NUMBER, "closed", closed_days_ago=3)
    with runtime.db.session() as s:
        older = s.scalars(select(Case)).one()
        # A second case, as if the worker came back after the reopening window.
        s.add(Case(reference="1234566", caller_id=older.caller_id, language="vi"))
    says = place_call(client, "").says()
    assert says[1] == text("vi", "case_status_open")
    assert text("vi", "case_status_closed") not in says


def test_a_new_caller_hears_no_status(client: Any, runtime: Any) -> None:
    says = place_call(client, "84#*").says()
    assert text("vi", "greeting") in says and text("vi", "main_menu") in says
    assert not status_texts("vi") & set(says)


def test_a_known_caller_without_a_case_hears_no_status(client: Any, runtime: Any) -> None:
    first_call(client, WORKER_NUMBER, "84")
    says = place_call(client, "").says()
    assert says[:2] == [text("vi", "greeting"), text("vi", "main_menu")]


@pytest.mark.slow
def test_the_status_is_told_once_per_call_not_on_repeat_nor_after_the_menu_returns(
    client: Any, runtime: Any
) -> None:
    first_call(client, WORKER_NUMBER, "84")
    with_case(runtime, WORKER_NUMBER, "waiting")
    # * repeat, 4 information and * back, 0 emergency and * back, 9 and Vietnamese again.
    result = place_call(client, "* 4 1 * 0 * 9 84#*")
    says = result.says()
    assert says.count(text("vi", "main_menu")) >= 6, result.transcript()
    assert says.count(text("vi", "case_status_waiting")) == 1


def test_a_status_is_never_told_to_a_withheld_number(client: Any, runtime: Any) -> None:
    says = place_call(client, "84#*", from_number="anonymous").says()
    assert not status_texts("vi") & set(says)


def test_a_nepali_caller_hears_the_status_as_recorded_audio_never_a_say(
    client: Any, runtime: Any
) -> None:
    first_call(client, NEPALI_NUMBER, "977")
    with_case(runtime, NEPALI_NUMBER, "open")
    result = place_call(client, "*", from_number=NEPALI_NUMBER)
    assert [h for h in result.heard if h.kind == "say"] == [], result.transcript()
    plays = [h.url or "" for h in result.heard if h.kind == "play"]
    assert "/audio/ne/greeting.wav" in plays[0]
    assert "/audio/ne/case_status_open.wav" in plays[1]
    assert "/audio/ne/main_menu.wav" in plays[2]
    # The simulator fetched every <Play> URL: each answered 200 with audio.
    assert sum("/audio/ne/case_status_" in url for url in result.played) == 1


def test_a_khmer_caller_with_a_case_hears_no_say_in_any_language(client: Any, runtime: Any) -> None:
    """Khmer has no voice: the no-voice callback path, as for every Khmer caller; the
    status is neither said in Khmer (Twilio cannot) nor in English instead."""
    first_call(client, KHMER_NUMBER, "855")
    with_case(runtime, KHMER_NUMBER, "open")
    result = place_call(client, "", from_number=KHMER_NUMBER)
    assert [h for h in result.heard if h.kind == "say"] == [], result.transcript()
    assert not any("case_status" in url for url in result.played)
    assert any(url.endswith("/audio/tones/ack.wav") for url in result.played)


@pytest.mark.slow
def test_khmer_and_mongolian_status_prompts_show_as_missing_in_the_coverage_report() -> None:
    from click.testing import CliRunner

    from hotline.cli import main

    result = CliRunner().invoke(main, ["prompts", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = lines[0].split()
    for status in CASE_STATUSES:
        row = next(line for line in lines if line.startswith(f"case_status_{status} "))
        marks = dict(zip(header, row.split()[1:], strict=True))
        assert marks["km"] == marks["mn"] == "-"
        assert {marks[lang] for lang in ("ne", "my", "si", "uz", "ur")} == {"p"}
        assert marks["vi"] == marks["ja"] == "t"


@pytest.mark.slow
@both_backends
def test_telling_the_status_costs_no_extra_statement(client: Any, runtime: Any) -> None:
    from tests.helpers import twilio_post

    first_call(client, WORKER_NUMBER, "84")

    def incoming(sid: str) -> list[str]:
        params = {"CallSid": sid, "From": WORKER_NUMBER, "To": "+81500000000"}
        with statements(runtime) as seen:
            assert twilio_post(client, "/voice/incoming", params).status_code == 200
        return seen

    without_case = incoming("CA" + "5" * 32)
    with_case(runtime, WORKER_NUMBER, "open")
    told = incoming("CA" + "6" * 32)
    assert len(told) == len(without_case), told
    assert sum("FROM cases" in s for s in told) == 1  # the subquery of the caller look-up
