"""The dashboard (and /metrics) shows texts cut off mid-send (waiting for Twilio's word, never sent
twice) and jobs a stopped worker left behind, in English and Japanese."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from hotline.db import utcnow
from hotline.jobs import LEASE
from hotline.jobs.models import OutboxJob
from hotline.sms.models import SmsMessage
from tests.builders import PASSWORD, make_agent, make_caller
from tests.helpers import WORKER_NUMBER
from tests.test_metrics import scrape
from tests.web.helpers import sign_in


def tile(html: str, name: str) -> int:
    found = re.search(rf'id="tile-{name}">(\d+)<', html)
    assert found, f"no tile {name}"
    return int(found.group(1))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ui", "heading"),
    [("en", "Texts and jobs that may be stuck"), ("ja", "止まっている可能性のあるSMSとジョブ")],
)
def test_unconfirmed_sends_and_abandoned_jobs_are_on_the_dashboard(
    client: Any, runtime: Any, ui: str, heading: str
) -> None:
    boss = make_agent(
        runtime,
        name="Kenji",
        languages="en,ja",
        role="supervisor",
        ui_language=ui,
        password=PASSWORD,
    )
    sign_in(client, boss)
    html = client.get("/dashboard").get_data(as_text=True)
    assert heading in html
    assert tile(html, "unconfirmed") == 0 and tile(html, "abandoned") == 0

    long_ago = utcnow() - dt.timedelta(minutes=3)
    caller = make_caller(runtime, number=WORKER_NUMBER)
    with runtime.db.session() as session:
        for status, when in [("sending", long_ago), ("sending", utcnow()), ("sent", long_ago)]:
            message = SmsMessage(
                direction="out", caller_id=caller.id, body="x", status=status, segments=1
            )
            message.updated_at = when
            session.add(message)
        # A job whose worker died, one still beating, and one finished.
        dead = long_ago - LEASE
        session.add(OutboxJob(name="sms.send", args={}, started_at=dead, heartbeat_at=dead))
        session.add(OutboxJob(name="sms.send", args={}, started_at=dead, heartbeat_at=utcnow()))
        session.add(
            OutboxJob(
                name="sms.send", args={}, started_at=dead, heartbeat_at=dead, done_at=long_ago
            )
        )
    html = client.get("/dashboard").get_data(as_text=True)
    assert tile(html, "unconfirmed") == 1  # the recent one is still in flight
    assert tile(html, "abandoned") == 1
    metrics = scrape(client)  # and for the operators' alerts
    assert metrics[("hotline_sms_unconfirmed", ())] == 1
    assert metrics[("hotline_jobs_abandoned", ())] == 1
