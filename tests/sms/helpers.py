"""Driving `/sms/incoming` the way Twilio does, and reading the replies the worker then
sends through the (fake) Twilio REST API."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from hotline.callers.models import Caller
from hotline.callers.service import find_caller
from hotline.crypto import normalise_phone
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.sms.optout import is_opted_out
from hotline.sms.processor import process_due
from hotline.sms.scripts import default_scripts
from tests.fakes.twilio_api import FakeTwilio, fake_for
from tests.helpers import HOTLINE_NUMBER, WORKER_NUMBER, run_jobs, twilio_post


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


@dataclass
class Texted:
    """A text posted to /sms/incoming: the webhook's answer (always empty TwiML), and the
    replies that reached the fake Twilio REST API once the worker had processed it."""

    response: Any
    sent: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status_code(self) -> int:
        return int(self.response.status_code)

    def get_data(self, as_text: bool = False) -> Any:
        return self.response.get_data(as_text=as_text)


def runtime_of(client: Any) -> Runtime:
    runtime: Runtime = client.application.extensions["hotline"]
    return runtime


def fake_twilio_of(runtime: Runtime) -> FakeTwilio:
    fake = fake_for(runtime.settings.twilio_api_url)
    assert fake is not None, "this test's runtime must send SMS to a fake Twilio REST API"
    return fake


def deliver(runtime: Runtime) -> None:
    """What the worker does after the webhook: process stored texts, run the jobs."""
    process_due(runtime)
    run_jobs(runtime)


def text_in(
    client: Any,
    body: str,
    *,
    sender: str = WORKER_NUMBER,
    sid: str | None = None,
    process: bool = True,
    **extra: str,
) -> Texted:
    """Post a worker's text to /sms/incoming, signed like Twilio; then (unless `process`
    is False) let the worker act on it and collect what it sent to the sender."""
    runtime = runtime_of(client)
    fake = fake_for(runtime.settings.twilio_api_url)
    before = len(fake.messages) if fake is not None else 0
    last_id = _last_message_id(runtime) if process and fake is None else 0
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
    assert_empty_twiml(response)
    texted = Texted(response)
    if not process:
        return texted
    if fake is not None:
        deliver(runtime)
        to = normalise_phone(sender)
        texted.sent = [m for m in fake.messages[before:] if m["To"] == to]
    else:
        # No fake Twilio REST API in this test (not an SMS test): the worker processes
        # the text, and the replies it recorded stand for what it would send.
        process_due(runtime)
        texted.sent = [
            {"Body": m.body, "StatusCallback": None, "sid": None}
            for m in outbound(runtime, sender)
            if m.id > last_id
        ]
    return texted


def _last_message_id(runtime: Runtime) -> int:
    from sqlalchemy import func

    with runtime.db.session() as session:
        return int(session.scalar(select(func.max(SmsMessage.id))) or 0)


def assert_empty_twiml(response: Any) -> None:
    root = ET.fromstring(response.get_data())  # noqa: S314 (our own TwiML)
    assert root.tag == "Response" and list(root) == []


def messages_in(texted: Texted) -> list[dict[str, Any]]:
    """The messages sent to the sender after this text, as the REST API received them."""
    return texted.sent


def reply_of(texted: Texted) -> str | None:
    """The text of the one reply sent after this text, or None when there was none."""
    found = messages_in(texted)
    assert len(found) <= 1
    return str(found[0]["Body"]) if found else None


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


def opted_out(runtime: Runtime, number: str = WORKER_NUMBER) -> bool:
    """Whether the ledger has this number closed to SMS."""
    return is_opted_out(caller_for(runtime, number))
