"""The laptop shape: no DATABASE_URL, no REDIS_URL, no HOTLINE_QUIET_HOURS. The same
processes must work on the embedded SQLite file and embedded Redis, and the queue must
tell an adviser, at the real current time in Japan, whether a request can be called now.

During the default quiet hours (21:00-08:00 Asia/Tokyo) a callback request is listed
with `eligible_now: false` and `eligible_at` at the end of the quiet hours, and a claim
answers 204; outside them it is claimable (200).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.acceptance.outsider import Deployment, looks_vietnamese, sms_reply, wait_for
from tests.acceptance.voice_engine import TwilioCall

pytestmark = pytest.mark.slow  # starts the deployment's servers

TOKYO = ZoneInfo("Asia/Tokyo")
UNPAID = "Công ty không trả lương cho tôi ba tháng."
UNPAID_EN = "The company has not paid me for three months."


def in_default_quiet_hours(moment: datetime) -> bool:
    local = moment.astimezone(TOKYO).time()
    return local >= time(21, 0) or local < time(8, 0)


def test_on_the_embedded_defaults_a_text_is_stored_and_translated_by_the_worker(
    embedded_hotline: Deployment,
) -> None:
    agent = embedded_hotline.add_agent("Thu", "vi,en", "+819000009001")
    api = embedded_hotline.api(agent)
    replies = sms_reply(embedded_hotline.sms("+819000009101", UNPAID))
    assert len(replies) == 1 and looks_vietnamese(replies[0])
    cases = api.get("/api/cases").json()
    assert len(cases) == 1 and cases[0]["language"] == "vi"

    def english() -> str | None:
        case = api.get(f"/api/cases/{cases[0]['id']}").json()
        for translation in case["messages"][0]["translations"]:
            if translation["language"] == "en" and translation["status"] == "done":
                return str(translation["text"])
        return None

    assert wait_for(english, what="the worker's translation") == UNPAID_EN


def test_serve_and_worker_share_one_embedded_redis(embedded_hotline: Deployment) -> None:
    """Started together (as a Procfile starts them), both must find the same server:
    otherwise jobs pushed by the web process wait in a Redis no worker reads."""
    servers = [
        pid
        for pid in embedded_hotline.leftover_pids()
        if b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert len(servers) == 1, f"{len(servers)} embedded redis-servers for one instance"


def test_at_the_real_time_in_japan_the_queue_says_whether_a_callback_can_be_claimed_now(
    embedded_hotline: Deployment,
) -> None:
    agent = embedded_hotline.add_agent("Quang", "vi", "+819000009002")
    api = embedded_hotline.api(agent)
    call = TwilioCall(embedded_hotline, "+84900009201")
    call.start()
    call.press("84", finished_on_key="#")
    for key in ("2", "1", "4", "2", "2", "2"):  # callback, this number, any time
        call.press(key)
    call.hang_up()

    before = datetime.now(TOKYO)
    queue = api.get("/api/queue")
    claim = api.post("/api/queue/claim")
    after = datetime.now(TOKYO)
    quiet = in_default_quiet_hours(before)
    if quiet != in_default_quiet_hours(after):
        return  # the quiet hours began or ended during the requests: nothing to compare

    listed: list[dict[str, Any]] = queue.json()
    assert len(listed) == 1, listed
    callback = listed[0]
    assert callback["window"] == "any"
    if quiet:
        assert callback["eligible_now"] is False, callback
        eligible_at = datetime.fromisoformat(callback["eligible_at"].replace("Z", "+00:00"))
        local = eligible_at.astimezone(TOKYO)
        assert local.time() == time(8, 0), f"eligible at the end of quiet hours: {local}"
        assert timedelta(0) < eligible_at - before <= timedelta(hours=11)
        assert claim.status_code == 204, claim.text
    else:
        assert callback["eligible_now"] is True, callback
        assert claim.status_code == 200 and claim.json()["id"] == callback["id"], claim.text
