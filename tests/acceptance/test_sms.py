"""Texting the hotline: free text to advisers, the keywords of DESIGN.md, opt-out, and an
adviser's reply in the worker's language."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.acceptance.conftest import Edge
from tests.acceptance.outsider import (
    ACCOUNT_SID,
    HOTLINE_NUMBER,
    PUBLIC_URL,
    Agent,
    Api,
    Deployment,
    assert_conforms,
    looks_vietnamese,
    sms_reply,
    wait_for,
)

pytestmark = pytest.mark.slow  # starts the deployment's servers

PASSPORT = "Tôi muốn nghỉ việc nhưng công ty giữ hộ chiếu của tôi."
PASSPORT_EN = "I want to quit but the company is keeping my passport."
PASSPORT_JA = "仕事を辞めたいのですが、会社が私のパスポートを持っています。"
UNPAID = "Công ty không trả lương cho tôi ba tháng."
REPLY_EN = "We will call you tomorrow morning."
REPLY_VI = "Chúng tôi sẽ gọi cho bạn vào sáng mai."
# DESIGN.md does not name the values; the OpenAPI document says "in"/"out".
INBOUND = ("in", "inbound")
OUTBOUND = ("out", "outbound", "outbound-api")


@pytest.fixture(scope="module")
def minh(hotline: Deployment) -> Agent:
    return hotline.add_agent("Minh", "vi,en", "+819000001011")


def case_ids(api: Api) -> set[int]:
    listed = api.get("/api/cases")
    assert listed.status_code == 200, listed.text
    return {case["id"] for case in listed.json()}


def new_case(api: Api, before: set[int]) -> int:
    fresh = wait_for(lambda: case_ids(api) - before, what="a new case in GET /api/cases")
    assert len(fresh) == 1, fresh
    return fresh.pop()


def test_free_vietnamese_text_becomes_a_case_translated_into_english_and_japanese(
    hotline: Deployment, minh: Agent, openapi: dict[str, Any]
) -> None:
    api = hotline.api(minh)
    before = case_ids(api)
    answer = hotline.sms("+819000006001", PASSPORT)
    replies = sms_reply(answer)
    assert len(replies) == 1 and looks_vietnamese(replies[0]), replies

    listed = api.get("/api/cases")
    assert_conforms(openapi, "GET", "/api/cases", listed)
    assert isinstance(listed.json(), list)
    case_id = new_case(api, before)
    summary = next(c for c in listed.json() if c["id"] == case_id)
    for name in ("id", "reference", "language", "status", "last_activity"):
        assert name in summary, f"GET /api/cases items lack {name!r}: {summary}"
    assert summary["language"] == "vi" and summary["status"] == "open"
    assert summary["reference"] in replies[0], "the acknowledgement carries the reference"

    def translated() -> dict[str, Any] | None:
        case = api.get(f"/api/cases/{case_id}").json()
        inbound = [m for m in case["messages"] if m["direction"] in INBOUND]
        done = {
            t["language"]: t["text"] for t in inbound[0]["translations"] if t["status"] == "done"
        }
        return case if {"en", "ja"} <= set(done) else None

    case = wait_for(translated, what="en and ja translations of the text")
    detail = api.get(f"/api/cases/{case_id}")
    assert_conforms(openapi, "GET", "/api/cases/{case_id}", detail)
    inbound = [m for m in case["messages"] if m["direction"] in INBOUND]
    assert inbound[0]["text"] == PASSPORT
    done = {t["language"]: t["text"] for t in inbound[0]["translations"] if t["status"] == "done"}
    assert done["en"] == PASSPORT_EN and done["ja"] == PASSPORT_JA
    assert case["language"] == "vi"
    assert case["phone_masked"] and "+819000006001" not in detail.text


def test_help_in_vietnamese_is_answered_in_vietnamese(hotline: Deployment) -> None:
    english = sms_reply(hotline.sms("+819000006101", "HELP"))
    vietnamese = sms_reply(hotline.sms("+819000006102", "giúp"))
    assert len(english) == 1 and len(vietnamese) == 1
    assert looks_vietnamese(vietnamese[0]), vietnamese
    assert not looks_vietnamese(english[0]), english


@pytest.mark.parametrize("stop_word", ["STOP", "dừng", "ＳＴＯＰ"])
def test_stop_confirms_once_then_nothing_is_sent_until_start(
    hotline: Deployment, edge: Edge, minh: Agent, stop_word: str
) -> None:
    sender = f"+8190000062{['STOP', 'dừng', 'ＳＴＯＰ'].index(stop_word):02d}"
    api = hotline.api(minh)
    before = case_ids(api)
    assert len(sms_reply(hotline.sms(sender, UNPAID))) == 1
    case_id = new_case(api, before)

    assert len(sms_reply(hotline.sms(sender, stop_word))) == 1, "one confirmation"
    # The acknowledgement and the confirmation went out through the REST API; no more.
    sent = len(edge.twilio.sms_to(sender))
    tried = len([r for r in edge.twilio.requests if r.get("To") == sender])
    for later in ("STOP", "giúp", "HELP", "LANG 84", "Xin chào, bạn có ở đó không?"):
        assert sms_reply(hotline.sms(sender, later)) == [], (
            f"silence after STOP, even for {later!r}"
        )

    reply = api.post(f"/api/cases/{case_id}/reply", {"text": REPLY_EN})
    assert reply.status_code in (200, 409), reply.text

    # A reply to someone else, queued after it, shows the worker has run past it.
    marker_sender = f"+8190000063{['STOP', 'dừng', 'ＳＴＯＰ'].index(stop_word):02d}"
    before = case_ids(api)
    hotline.sms(marker_sender, UNPAID)
    marker_case = new_case(api, before)
    assert api.post(f"/api/cases/{marker_case}/reply", {"text": REPLY_EN}).status_code == 200
    wait_for(lambda: edge.twilio.sms_to(marker_sender), what="the marker SMS")
    assert len(edge.twilio.sms_to(sender)) == sent == 2, "nothing may reach an opted-out number"
    assert len([r for r in edge.twilio.requests if r.get("To") == sender]) == tried

    started = sms_reply(hotline.sms(sender, "START"))
    assert len(started) == 1, started
    assert len(sms_reply(hotline.sms(sender, "giúp"))) == 1, "START reopens the number"


def test_call_creates_a_callback_the_adviser_sees_in_the_queue(
    hotline: Deployment, openapi: dict[str, Any]
) -> None:
    rosa = hotline.add_agent("Rosa", "fil", "+819000001012")
    sender = "+819000006401"
    assert len(sms_reply(hotline.sms(sender, "LANG 63"))) == 1
    called = sms_reply(hotline.sms(sender, "CALL"))
    assert len(called) == 1, called
    reference = re.search(r"\b\d{7}\b", called[0])
    assert reference, f"the CALL reply gives the case reference: {called[0]}"

    queue = hotline.api(rosa).get("/api/queue")
    assert_conforms(openapi, "GET", "/api/queue", queue)
    mine = [cb for cb in queue.json() if cb["case_reference"] == reference.group()]
    assert len(mine) == 1, queue.json()
    assert mine[0]["language"] == "fil"
    assert mine[0]["discretion"]["sms_allowed"] is True
    assert sender not in queue.text


def test_lang_84_makes_later_replies_vietnamese(hotline: Deployment) -> None:
    sender = "+819000006501"
    english_help = sms_reply(hotline.sms(sender, "HELP"))
    assert len(english_help) == 1 and not looks_vietnamese(english_help[0])
    set_language = sms_reply(hotline.sms(sender, "LANG 84"))
    assert len(set_language) == 1 and looks_vietnamese(set_language[0]), set_language
    vietnamese_help = sms_reply(hotline.sms(sender, "HELP"))
    assert len(vietnamese_help) == 1 and looks_vietnamese(vietnamese_help[0]), vietnamese_help


def test_status_answers_the_owner_and_gives_anyone_else_a_neutral_answer(
    hotline: Deployment, minh: Agent
) -> None:
    owner, stranger = "+819000006601", "+819000006602"
    api = hotline.api(minh)
    before = case_ids(api)
    hotline.sms(owner, UNPAID)
    case_id = new_case(api, before)
    reference = api.get(f"/api/cases/{case_id}").json()["reference"]

    mine = sms_reply(hotline.sms(owner, f"STATUS {reference}"))
    assert len(mine) == 1 and reference in mine[0], mine

    hotline.sms(stranger, "LANG 84")
    theirs = sms_reply(hotline.sms(stranger, f"STATUS {reference}"))
    malformed = sms_reply(hotline.sms(stranger, "STATUS 1234567"))
    assert len(theirs) == 1 and reference not in theirs[0], theirs
    assert theirs == malformed, "someone else's reference looks like an unknown one"
    assert theirs != mine


def test_the_same_message_sid_delivered_three_times_is_one_message(
    hotline: Deployment, minh: Agent
) -> None:
    sender = "+819000006701"
    api = hotline.api(minh)
    before = case_ids(api)
    sid = "SM" + secrets.token_hex(16)
    answers = [hotline.sms(sender, PASSPORT, sid=sid) for _ in range(3)]
    assert {a.status_code for a in answers} == {200}
    assert answers[0].text == answers[1].text == answers[2].text
    case_id = new_case(api, before)
    messages = api.get(f"/api/cases/{case_id}").json()["messages"]
    assert [m["text"] for m in messages if m["direction"] in INBOUND] == [PASSPORT]


def test_an_advisers_english_reply_reaches_the_worker_in_vietnamese_and_status_moves_forward(
    hotline: Deployment, edge: Edge, minh: Agent, openapi: dict[str, Any]
) -> None:
    sender = "+819000006801"
    api = hotline.api(minh)
    before = case_ids(api)
    hotline.sms(sender, UNPAID)
    case_id = new_case(api, before)

    reply = api.post(f"/api/cases/{case_id}/reply", {"text": REPLY_EN})
    assert reply.status_code == 200, reply.text
    assert_conforms(openapi, "POST", "/api/cases/{case_id}/reply", reply)
    body = reply.json()
    assert body["text"] == REPLY_EN
    assert body["translated_text"] == REPLY_VI
    assert body["sent_text"] == REPLY_VI
    assert body["language"] == "vi"
    back = body["back_translation"]
    back_text = back.get("text") if isinstance(back, dict) else back
    assert back_text == REPLY_EN, f"a back-translation into the adviser's language: {back!r}"

    # After the acknowledgement of the worker's text, which went out the same way.
    sent = wait_for(lambda: edge.twilio.sms_to(sender)[1:], what="the reply at Twilio")
    assert len(sent) == 1
    assert sent[0]["Body"] == REPLY_VI
    assert sent[0].get("From") == HOTLINE_NUMBER or sent[0].get("MessagingServiceSid")
    callback_url = sent[0].get("StatusCallback", "")
    assert callback_url.startswith(PUBLIC_URL + "/sms/status"), callback_url

    parts = urlsplit(callback_url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    for status in ("sent", "delivered", "sent", "queued"):
        answer = hotline.twilio_post(
            path,
            {
                "AccountSid": ACCOUNT_SID,
                "ApiVersion": "2010-04-01",
                "From": HOTLINE_NUMBER,
                "To": sender,
                "MessageSid": sent[0]["sid"],
                "SmsSid": sent[0]["sid"],
                "MessageStatus": status,
                "SmsStatus": status,
            },
        )
        assert answer.status_code in (200, 204), answer.text
    messages = api.get(f"/api/cases/{case_id}").json()["messages"]
    outbound = [m for m in messages if m["direction"] in OUTBOUND and m["text"] == REPLY_VI]
    assert len(outbound) == 1, messages
    assert outbound[0]["status"] == "delivered", "status only moves forward"

    unknown = hotline.twilio_post(
        "/sms/status",
        {
            "AccountSid": ACCOUNT_SID,
            "MessageSid": "SM" + secrets.token_hex(16),
            "MessageStatus": "delivered",
            "To": sender,
            "From": HOTLINE_NUMBER,
        },
    )
    assert unknown.status_code in (200, 204), "an unknown message still gets 200"


def test_an_adviser_who_claims_a_callback_asked_for_by_sms_can_open_its_case(
    hotline: Deployment,
) -> None:
    """A sender who never chose a language texts CALL; the request is queued for
    English-speaking advisers (the reply was in English). The adviser who holds it must
    be able to read the case and reply: otherwise they dial a stranger blind."""
    grace = hotline.add_agent("Grace", "en", "+819000001013")
    api = hotline.api(grace)
    called = sms_reply(hotline.sms("+819000006901", "CALL"))
    reference = re.search(r"\b\d{7}\b", called[0])
    assert reference, called
    queue = api.get("/api/queue").json()
    mine = [cb for cb in queue if cb["case_reference"] == reference.group()]
    assert len(mine) == 1, f"the request is in an English adviser's queue: {queue}"

    claimed = api.post("/api/queue/claim")
    assert claimed.status_code == 200 and claimed.json()["id"] == mine[0]["id"], claimed.text
    case = api.get(f"/api/cases/{mine[0]['case_id']}")
    assert case.status_code == 200, (
        f"GET /api/cases/{mine[0]['case_id']} answered {case.status_code} to the adviser "
        f"holding callback {mine[0]['id']} (callback language {mine[0]['language']!r})"
    )
    assert mine[0]["case_id"] in [c["id"] for c in api.get("/api/cases").json()]
