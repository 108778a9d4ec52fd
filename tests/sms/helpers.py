"""Driving `/sms/incoming` the way Twilio does, and reading its TwiML answers."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from typing import Any

from sqlalchemy import select

from hotline.callers.models import Caller
from hotline.callers.service import find_caller
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.sms.scripts import default_scripts
from tests.helpers import HOTLINE_NUMBER, WORKER_NUMBER, twilio_post


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def text_in(
    client: Any, body: str, *, sender: str = WORKER_NUMBER, sid: str | None = None, **extra: str
) -> Any:
    """Post a worker's text to /sms/incoming, signed like Twilio."""
    params = {
        "MessageSid": sid or new_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": HOTLINE_NUMBER,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }
    response = twilio_post(client, "/sms/incoming", params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def messages_in(response: Any) -> list[ET.Element]:
    root = ET.fromstring(response.get_data())  # noqa: S314 (our own TwiML)
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)
    return list(root)


def reply_of(response: Any) -> str | None:
    """The text of the one `<Message>` in a TwiML answer, or None for an empty answer."""
    found = messages_in(response)
    assert len(found) <= 1
    return found[0].text if found else None


def expected(language: str, key: str, /, **values: str) -> str:
    return default_scripts().reply(language, key, **values)


def expected_help(language: str, *, voicemail_days: int = 30, content_days: int = 365) -> str:
    """HELP's answer: what this number is, then the retention periods (the defaults)."""
    privacy = expected(
        language, "privacy", voicemail_days=str(voicemail_days), content_days=str(content_days)
    )
    return expected(language, "help") + "\n" + privacy


def caller_for(runtime: Runtime, number: str = WORKER_NUMBER) -> Caller:
    with runtime.db.session() as session:
        caller = find_caller(session, runtime.settings.secret_key, number)
        assert caller is not None
        return caller


def outbound(runtime: Runtime, number: str = WORKER_NUMBER) -> list[SmsMessage]:
    caller = caller_for(runtime, number)
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(SmsMessage)
                .where(SmsMessage.caller_id == caller.id, SmsMessage.direction == "out")
                .order_by(SmsMessage.id)
            )
        )


def inbound(runtime: Runtime, number: str = WORKER_NUMBER) -> list[SmsMessage]:
    caller = caller_for(runtime, number)
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(SmsMessage)
                .where(SmsMessage.caller_id == caller.id, SmsMessage.direction == "in")
                .order_by(SmsMessage.id)
            )
        )
