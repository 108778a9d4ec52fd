"""A small hand-rolled stand-in for Twilio's voice engine, as an outsider has it: posts
what Twilio posts, signed, and follows action/Redirect URLs relative to the document URL.
Nothing here imports the `hotline` package."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from tests.acceptance.outsider import (
    ACCOUNT_SID,
    HOTLINE_NUMBER,
    PUBLIC_URL,
    Deployment,
    country_of,
)


def parse_twiml(response: requests.Response) -> ET.Element:
    assert response.status_code == 200, (response.status_code, response.text)
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith(("text/xml", "application/xml")), content_type
    root = ET.fromstring(response.text)  # noqa: S314 - the product's own answer
    assert root.tag == "Response", response.text
    return root


@dataclass
class Document:
    url: str  # the public URL this TwiML was fetched from
    root: ET.Element
    text: str

    def verbs(self, tag: str) -> list[ET.Element]:
        return list(self.root.iter(tag))

    def says(self) -> list[tuple[str | None, str]]:
        return [(s.get("language"), (s.text or "").strip()) for s in self.root.iter("Say")]

    def plays(self) -> list[str]:
        return [(p.text or "").strip() for p in self.root.iter("Play")]

    def gather(self) -> ET.Element:
        found = self.verbs("Gather")
        assert found, f"expected a <Gather> in {self.text}"
        return found[0]

    def absolute(self, target: str | None) -> str:
        return urljoin(self.url, target) if target else self.url


class TwilioCall:
    """One inbound call, driven step by step the way Twilio's voice engine drives it."""

    def __init__(
        self,
        hotline: Deployment,
        from_number: str,
        *,
        to_number: str = HOTLINE_NUMBER,
        direction: str = "inbound",
        call_sid: str | None = None,
    ) -> None:
        self.hotline = hotline
        self.from_number = from_number
        self.to_number = to_number
        self.direction = direction
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.documents: list[Document] = []

    @property
    def doc(self) -> Document:
        return self.documents[-1]

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Called": self.to_number,
            "Caller": self.from_number,
            "Direction": self.direction,
            "From": self.from_number,
            "To": self.to_number,
            # What else Twilio posts on every voice webhook (geo lookups, STIR/SHAKEN).
            "CalledCity": "",
            "CalledCountry": "JP",
            "CalledState": "",
            "CalledZip": "",
            "CallerCity": "",
            "CallerCountry": country_of(self.from_number),
            "CallerState": "",
            "CallerZip": "",
            "FromCity": "",
            "FromCountry": country_of(self.from_number),
            "FromState": "",
            "FromZip": "",
            "ToCity": "",
            "ToCountry": "JP",
            "ToState": "",
            "ToZip": "",
            "StirVerstat": "TN-Validation-Passed-C",
            **extra,
        }

    def fetch(self, url: str, **extra: str) -> Document:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL, f"Twilio cannot follow {url}"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.hotline.twilio_post(path, self.params(**extra))
        document = Document(url, parse_twiml(response), response.text)
        self.documents.append(document)
        return document

    def start(self, path: str = "/voice/incoming") -> Document:
        return self.fetch(PUBLIC_URL + path, CallStatus="ringing")

    def press(self, digits: str, finished_on_key: str | None = None) -> Document:
        """Key `digits` into the current document's <Gather>; Twilio posts its action."""
        gather = self.doc.gather()
        finish = gather.get("finishOnKey", "#")
        extra = {"Digits": digits}
        if finished_on_key is None and finish and gather.get("numDigits") is None:
            finished_on_key = finish[0]
        if finished_on_key:
            extra["FinishedOnKey"] = finished_on_key
        return self.fetch(self.doc.absolute(gather.get("action")), **extra)

    def silence(self) -> Document:
        """The <Gather> times out: Twilio posts its action when `actionOnEmptyResult`
        is set, otherwise goes on with the verbs after it."""
        gathers = self.doc.verbs("Gather")
        if gathers and gathers[0].get("actionOnEmptyResult") == "true":
            return self.fetch(self.doc.absolute(gathers[0].get("action")), Digits="")
        children = list(self.doc.root)
        positions = [i for i, verb in enumerate(children) if verb.tag == "Gather"]
        after = children[positions[0] + 1 :] if positions else children
        for verb in after:
            if verb.tag == "Redirect":
                return self.fetch(self.doc.absolute((verb.text or "").strip()))
            if verb.tag == "Hangup":
                break
        raise AssertionError(f"the call ends after the <Gather> times out: {self.doc.text}")

    def follow_redirect(self) -> Document:
        redirects = self.doc.verbs("Redirect")
        assert redirects, f"expected a <Redirect> in {self.doc.text}"
        return self.fetch(self.doc.absolute((redirects[0].text or "").strip()))

    def hang_up(self, duration: int = 30) -> requests.Response:
        return self.hotline.twilio_post(
            "/voice/status",
            self.params(CallStatus="completed", CallDuration=str(duration)),
        )
