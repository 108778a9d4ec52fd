"""Delivery status callbacks: forward only, so repeats and reordering are harmless."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select

from hotline.callers.models import Caller
from hotline.sms.models import SmsMessage
from tests.helpers import ACCOUNT_SID, twilio_post
from tests.sms.helpers import caller_for, messages_in, new_sid, opted_out, text_in


def make_sent_message(runtime: Any, sid: str) -> int:
    with runtime.db.session() as session:
        caller = session.get(Caller, caller_for(runtime).id)
        assert caller is not None
        message = SmsMessage(
            direction="out",
            kind="system",
            caller_id=caller.id,
            body="hello",
            sid=sid,
            status="queued",
        )
        session.add(message)
        session.flush()
        return message.id


def status_of(runtime: Any, message_id: int) -> SmsMessage:
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        assert message is not None
        return message


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("sequence", "final"),
    [
        (["queued", "sending", "sent", "delivered"], "delivered"),
        (["queued", "sending", "sent", "undelivered"], "undelivered"),
        (["queued", "sent", "failed"], "failed"),
    ],
)
def test_shuffled_and_repeated_status_callbacks_end_in_the_right_status(
    client: Any, runtime: Any, seed: int, sequence: list[str], final: str
) -> None:
    text_in(client, "hello")
    sid = new_sid()
    message_id = make_sent_message(runtime, sid)
    deliveries = sequence * 2
    random.Random(seed).shuffle(deliveries)
    for status in deliveries:
        params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
        if status in ("failed", "undelivered"):
            params["ErrorCode"] = "30003"
        assert twilio_post(client, "/sms/status", params).status_code == 200
    assert status_of(runtime, message_id).status == final


@pytest.mark.slow
def test_a_callback_for_an_unknown_message_still_answers_200(client: Any, runtime: Any) -> None:
    params = {"MessageSid": new_sid(), "MessageStatus": "delivered"}
    assert twilio_post(client, "/sms/status", params).status_code == 200


def test_a_reply_to_a_text_learns_its_status_from_its_callback(client: Any, runtime: Any) -> None:
    [message] = messages_in(text_in(client, "HELP"))
    action = message.get("StatusCallback")
    assert action is not None
    path = action.removeprefix("https://hotline.example.org")
    sid = message["sid"]  # what the REST API answered
    for status in ("sent", "delivered", "sent"):
        assert (
            twilio_post(client, path, {"MessageSid": sid, "MessageStatus": status}).status_code
            == 200
        )
    with runtime.db.session() as session:
        record = session.scalars(select(SmsMessage).where(SmsMessage.sid == sid)).one()
    assert (record.direction, record.status) == ("out", "delivered")


def test_a_21610_in_a_status_callback_closes_the_number(client: Any, runtime: Any) -> None:
    [message] = messages_in(text_in(client, "HELP"))
    path = str(message.get("StatusCallback")).removeprefix("https://hotline.example.org")
    params = {"MessageSid": message["sid"], "MessageStatus": "failed", "ErrorCode": "21610"}
    assert twilio_post(client, path, params).status_code == 200
    assert opted_out(runtime)
    assert messages_in(text_in(client, "HELP")) == []
