"""The supervisors' floor view and the pages' live-queue poll, through the test client."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.agents.models import Agent
from tests.builders import PASSWORD, TOKYO, make_agent, make_vietnamese_sms_case
from tests.conftest import both_backends
from tests.helpers import OTHER_WORKER_NUMBER, WORKER_NUMBER
from tests.voice.live_caller import LiveCaller
from tests.web.helpers import page_csrf, sign_in

OFFICE_HOURS = dt.datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO)


def second_browser(app: Any) -> FlaskClient:
    return app.test_client()


def make_available(client: Any) -> None:
    client.post("/availability", data={"csrf_token": page_csrf(client), "available": "1"})


@pytest.mark.slow
def test_the_floor_is_for_supervisors_only(client: Any, runtime: Any) -> None:
    lan = make_agent(runtime, name="Lan", languages="vi", password=PASSWORD)
    sign_in(client, lan)
    assert client.get("/floor").status_code == 403


@both_backends
@pytest.mark.slow
def test_the_floor_counts_last_week_answers_within_1_and_5_minutes_and_hang_ups(
    app: Any, client: Any, runtime: Any
) -> None:
    make_vietnamese_sms_case(runtime)  # one callback due now
    lan = make_agent(runtime, name="Lan", languages="vi", password=PASSWORD)
    sato = make_agent(
        runtime, name="Sato", languages="en", role="supervisor", phone=None, password=PASSWORD
    )
    with time_machine.travel(OFFICE_HOURS - dt.timedelta(days=2), tick=False) as clock:
        sign_in(client, lan)
        make_available(client)
        callers = [LiveCaller(client, from_number=f"+8190000002{n:02d}") for n in range(4)]
        for caller in callers:
            caller.press_one("84")
        clock.shift(dt.timedelta(seconds=40))
        callers[0].leave_queue("bridged")  # within 1 minute
        clock.shift(dt.timedelta(minutes=3))
        callers[1].leave_queue("bridged")  # within 5 minutes
        callers[2].leave_queue("hangup")  # hung up while waiting
        # callers[3] never leaves the queue: counted neither as answered nor abandoned.
    with time_machine.travel(OFFICE_HOURS, tick=False):
        supervisor = second_browser(app)
        sign_in(supervisor, sato)
        page = supervisor.get("/floor").get_data(as_text=True)
    assert 'Tiếng Việt (vi)</th><td class="num">3</td><td class="num">2</td>' in page
    assert '<td class="num">1</td><td class="num">2</td><td class="num">1</td>' in page
    for secret in (WORKER_NUMBER, OTHER_WORKER_NUMBER, "+8190000002"):
        assert secret not in page


@pytest.mark.slow
def test_the_page_poll_answers_304_until_a_caller_joins_and_is_not_activity(
    client: Any, runtime: Any
) -> None:
    lan = make_agent(runtime, name="Lan", languages="vi", password=PASSWORD)
    with time_machine.travel(OFFICE_HOURS, tick=False) as clock:
        sign_in(client, lan)
        make_available(client)
        first = client.get("/live/waiting")
        assert first.json["languages"] == [] and first.json["availability"] == "on"
        etag = first.headers["ETag"]
        assert client.get("/live/waiting", headers={"If-None-Match": etag}).status_code == 304

        LiveCaller(client).press_one("84")
        joined = client.get("/live/waiting", headers={"If-None-Match": etag})
        assert joined.status_code == 200 and joined.json["alert"] is True
        for page in ("/inbox", "/queue"):  # both pages carry the panel, drawn by the server
            html = client.get(page).get_data(as_text=True)
            assert 'id="live-waiting"' in html and '<tr data-language="vi">' in html

        # An open page that only polls goes idle; a click on it does not.
        for _ in range(8):
            clock.shift(dt.timedelta(minutes=2))
            client.get("/live/waiting")
        assert client.get("/live/waiting").json["availability"] == "idle"
        client.get("/live/waiting?active=1")
    with runtime.db.session() as session:
        assert session.scalars(select(Agent.available).where(Agent.id == lan.id)).one() is False


def test_signing_out_turns_availability_off(client: Any, runtime: Any) -> None:
    lan = make_agent(runtime, name="Lan", languages="vi", password=PASSWORD)
    sign_in(client, lan)
    make_available(client)
    client.post("/sign-out", data={"csrf_token": page_csrf(client)})
    with runtime.db.session() as session:
        assert session.scalars(select(Agent.available).where(Agent.id == lan.id)).one() is False
