"""A caller who presses 1 and waits in a live queue, driven webhook by webhook (signed as
Twilio signs), so a test can look at the hotline while the caller is still waiting."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from typing import Any

from tests.helpers import ACCOUNT_SID, HOTLINE_NUMBER, PUBLIC_URL, WORKER_NUMBER, twilio_post


class LiveCaller:
    def __init__(self, client: Any, *, from_number: str = WORKER_NUMBER) -> None:
        self.client = client
        self.sid = "CA" + secrets.token_hex(16)
        self.from_number = from_number
        self.enqueue: ET.Element | None = None

    def post(self, url: str, **extra: str) -> ET.Element:
        path = url.removeprefix(PUBLIC_URL)
        params = {
            "CallSid": self.sid,
            "AccountSid": ACCOUNT_SID,
            "From": self.from_number,
            "To": HOTLINE_NUMBER,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            **extra,
        }
        answer = twilio_post(self.client, path, params)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_data(as_text=True)
        if not body.strip():
            return ET.Element("Response")
        return ET.fromstring(body)  # noqa: S314 - our own TwiML

    def press_one(self, calling_code: str = "84") -> ET.Element:
        """Choose the language by its calling code, then 1: talk to an adviser now."""
        doc = self.post(PUBLIC_URL + "/voice/incoming")
        gather = doc.find("Gather")
        assert gather is not None
        doc = self.post(gather.attrib["action"], Digits=calling_code)
        gather = doc.find("Gather")
        assert gather is not None
        doc = self.post(gather.attrib["action"], Digits="1")
        self.enqueue = doc.find("Enqueue")
        return doc

    def wait(self, seconds: int) -> ET.Element:
        """Twilio fetches the waitUrl, saying how long the caller has waited."""
        assert self.enqueue is not None, "not in a queue"
        return self.post(self.enqueue.attrib["waitUrl"], QueueTime=str(seconds), QueuePosition="1")

    def leave_queue(self, result: str, seconds: int = 30) -> ET.Element:
        """The <Enqueue> action: bridged, hangup or leave."""
        assert self.enqueue is not None, "not in a queue"
        return self.post(self.enqueue.attrib["action"], QueueResult=result, QueueTime=str(seconds))

    def status(self, status: str = "completed") -> None:
        self.post(PUBLIC_URL + "/voice/status", CallStatus=status, CallDuration="60")
