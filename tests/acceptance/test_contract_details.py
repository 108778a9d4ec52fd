"""Smaller promises of DESIGN.md: every calling code on the poster, "talk now" without
an adviser, queue order, outcomes, and list order."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.acceptance.outsider import Deployment, assert_conforms, sms_reply
from tests.acceptance.voice_engine import TwilioCall

pytestmark = pytest.mark.slow  # starts the deployment's servers

TOKYO = ZoneInfo("Asia/Tokyo")

# calling code -> the <Say> language of languages.csv, or None: no Twilio voice, <Play> only.
POSTER_CODES: dict[str, str | None] = {
    "81": "ja-JP",
    "1": "en-US",
    "44": "en-US",
    "84": "vi-VN",
    "86": "cmn-CN",
    "886": "cmn-CN",
    "63": "fil-PH",
    "62": "id-ID",
    "66": "th-TH",
    "55": "pt-BR",
    "351": "pt-BR",
    "52": "es-US",
    "34": "es-US",
    "82": "ko-KR",
    "880": "bn-IN",
    "7": "ru-RU",
    "380": "uk-UA",
    "33": "fr-FR",
    "91": "hi-IN",
    "977": None,
    "95": None,
    "94": None,
    "998": None,
    "92": None,
}


@pytest.mark.parametrize("code", sorted(POSTER_CODES))
def test_each_calling_code_on_the_poster_selects_its_language(
    hotline: Deployment, code: str
) -> None:
    caller = f"+8190000100{sorted(POSTER_CODES).index(code):02d}"
    call = TwilioCall(hotline, caller)
    call.start()
    menu = call.press(code, finished_on_key="#")
    expected = POSTER_CODES[code]
    if expected is None:
        assert not menu.says(), menu.text
        assert menu.plays(), menu.text
    else:
        assert {lang for lang, _ in menu.says()} == {expected}, menu.text
    assert menu.gather() is not None
    call.hang_up()


def test_talk_now_without_a_free_adviser_offers_a_callback(hotline: Deployment) -> None:
    call = TwilioCall(hotline, "+819000010101")
    call.start()
    call.press("84", finished_on_key="#")
    offer = call.press("1")
    assert not offer.verbs("Enqueue"), "nobody speaks Vietnamese and is available"
    assert {lang for lang, _ in offer.says()} == {"vi-VN"}, offer.text
    confirm = call.press("1")
    assert confirm.gather() is not None, confirm.text
    assert confirm.says() != offer.says()
    call.hang_up()


def request_callback(hotline: Deployment, caller: str, code: str, *, urgent: bool) -> None:
    call = TwilioCall(hotline, caller)
    call.start()
    call.press(code, finished_on_key="#")
    for key in ("2", "1", "4", "2", "2", "1" if urgent else "2"):
        call.press(key)
    call.hang_up()


def test_urgent_requests_come_first_and_outcomes_close_or_reschedule(
    hotline: Deployment, openapi: dict[str, Any]
) -> None:
    dewi = hotline.add_agent("Dewi", "id", "+819000001021")
    api = hotline.api(dewi)
    request_callback(hotline, "+819000010201", "62", urgent=False)
    request_callback(hotline, "+819000010202", "62", urgent=True)
    request_callback(hotline, "+819000010203", "62", urgent=False)

    queue = api.get("/api/queue").json()
    assert [cb["language"] for cb in queue] == ["id", "id", "id"], queue
    assert [cb["urgent"] for cb in queue] == [True, False, False], "urgent first, then oldest"
    assert queue[1]["id"] < queue[2]["id"]

    not_claimed = api.post(f"/api/callbacks/{queue[1]['id']}/dial")
    assert 400 <= not_claimed.status_code < 500, "dialling needs the claim"
    assert_conforms(openapi, "POST", "/api/callbacks/{callback_id}/dial", not_claimed)

    urgent = api.post("/api/queue/claim").json()
    assert urgent["id"] == queue[0]["id"]
    unknown = api.post(f"/api/callbacks/{urgent['id']}/outcome", {"outcome": "maybe"})
    assert unknown.status_code == 422, unknown.text
    closed = api.post(f"/api/callbacks/{urgent['id']}/outcome", {"outcome": "wrong_number"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text

    oldest = api.post("/api/queue/claim").json()
    assert oldest["id"] == queue[1]["id"]
    busy = api.post(f"/api/callbacks/{oldest['id']}/outcome", {"outcome": "busy"})
    assert busy.status_code == 200 and busy.json()["status"] == "queued", busy.text
    assert busy.json()["attempts"] == 1

    newest = api.post("/api/queue/claim").json()
    assert newest["id"] == queue[2]["id"], "a busy request waits for its next attempt"
    unsafe = api.post(
        f"/api/callbacks/{newest['id']}/outcome", {"outcome": "unsafe", "note": "boss answered"}
    )
    assert unsafe.status_code == 200 and unsafe.json()["status"] == "closed"
    assert api.post("/api/queue/claim").status_code == 204
    remaining = api.get("/api/queue").json()
    assert [cb["id"] for cb in remaining] == [oldest["id"]]
    assert remaining[0]["eligible_now"] is False


def test_cases_are_listed_latest_activity_first(hotline: Deployment) -> None:
    anh = hotline.add_agent("Anh", "vi", "+819000001022")
    api = hotline.api(anh)
    first, second = "+819000010301", "+819000010302"
    sms_reply(hotline.sms(first, "Tôi cần giúp đỡ về hợp đồng."))
    sms_reply(hotline.sms(second, "Tôi bị thương ở nhà máy."))
    sms_reply(hotline.sms(first, "Xin hãy trả lời sớm."))
    listed = api.get("/api/cases").json()
    stamps = [datetime.fromisoformat(c["last_activity"].replace("Z", "+00:00")) for c in listed]
    assert stamps == sorted(stamps, reverse=True), listed
    assert all(case["status"] == "open" for case in listed)


def test_a_status_callback_for_an_unknown_call_still_answers_200(hotline: Deployment) -> None:
    call = TwilioCall(hotline, "+819000010401")
    assert call.hang_up().status_code in (200, 204)


def test_a_callback_is_claimable_only_inside_the_window_the_worker_chose(
    hotline: Deployment,
) -> None:
    """Morning is 08:00-12:00 in Japan. Quiet hours are off in this deployment, so only
    the worker's window decides; the answer depends on the real time of the run."""
    somchai = hotline.add_agent("Somchai", "th", "+819000001023")
    api = hotline.api(somchai)
    call = TwilioCall(hotline, "+819000010501")
    call.start()
    call.press("66", finished_on_key="#")
    for key in ("2", "1", "1", "2", "2", "2"):  # callback, this number, morning
        call.press(key)
    call.hang_up()

    before = datetime.now(TOKYO)
    listed = api.get("/api/queue").json()
    claim = api.post("/api/queue/claim")
    after = datetime.now(TOKYO)
    morning = [in_morning(before), in_morning(after)]
    assert len(listed) == 1 and listed[0]["window"] == "morning", listed
    if morning == [False, False]:
        assert listed[0]["eligible_now"] is False
        opens = datetime.fromisoformat(listed[0]["eligible_at"].replace("Z", "+00:00"))
        assert opens.astimezone(TOKYO).time() == time(8, 0), opens.astimezone(TOKYO)
        assert claim.status_code == 204, claim.text
    elif morning == [True, True]:
        assert listed[0]["eligible_now"] is True
        assert claim.status_code == 200, claim.text


def in_morning(moment: datetime) -> bool:
    return time(8, 0) <= moment.astimezone(TOKYO).time() < time(12, 0)
