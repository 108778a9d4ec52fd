"""Outbound telephony behind one small interface: send an SMS, place a call, fetch or
delete a recording.

`TwilioTelephony` uses the real Twilio REST client (see `hotline.clients`).
`DevTelephony` is the honest local stand-in when Twilio is not configured: nothing
leaves the machine, and every result says so. Errors say whether a retry can help.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from hotline.config import Settings

log = logging.getLogger(__name__)

# Twilio error codes that no retry will fix.
PERMANENT_CODES = {
    21211,  # invalid 'To' number
    21214,  # 'To' number cannot be reached
    21408,  # permission to send to this region not enabled
    21610,  # recipient has opted out (STOP)
    21612,  # cannot route to this number
    21614,  # 'To' is not a mobile number
    21215,  # geo permission for calls not enabled
    21217,  # phone number does not appear to be valid
}
OPTED_OUT_CODE = 21610


class TelephonyError(Exception):
    """`permanent`: no retry can help. `ambiguous`: Twilio may have acted on the request
    although no answer arrived (a read timeout), so repeating it could act twice."""

    def __init__(
        self, message: str, *, permanent: bool, code: int | None = None, ambiguous: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str
    delivered_locally: bool = False  # True when DevTelephony kept it on this machine


class Telephony(Protocol):
    def send_sms(self, to: str, body: str, *, status_callback: str) -> Sent: ...

    def place_call(self, to: str, *, url: str, status_callback: str) -> Sent: ...

    def fetch_recording(self, recording_url: str) -> bytes: ...

    def delete_recording(self, recording_sid: str) -> None: ...

    def delete_message(self, message_sid: str) -> None: ...

    def delete_call(self, call_sid: str) -> None: ...


TWILIO_API = "https://api.twilio.com"


def _origin(url: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of an http(s) URL without credentials in it, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    host = parts.hostname.lower() + (f":{port}" if port is not None else "")
    return parts.scheme, host


def recording_api_url(recording_url: str, api_url: str | None) -> str:
    """The URL to download a recording from, on Twilio's API host or TWILIO_API_URL's.

    The download carries the account SID and auth token, and the URL comes from a
    webhook: any other host is refused before a request is made (a permanent error).
    """
    origin = _origin(recording_url)
    if origin == _origin(TWILIO_API):
        if api_url:  # staging and tests: the same path on the configured API
            return api_url + urlsplit(recording_url)._replace(scheme="", netloc="").geturl()
        return recording_url
    if origin is not None and api_url and origin == _origin(api_url):
        return recording_url
    raise TelephonyError("the recording URL is not on Twilio's API host", permanent=True)


class TwilioTelephony:
    def __init__(self, settings: Settings) -> None:
        from hotline.clients import twilio_client

        if not settings.twilio_number:
            from hotline.clients import NotConfigured

            raise NotConfigured("TWILIO_NUMBER is not configured")
        self.settings = settings
        self.client = twilio_client(settings)
        self.number = settings.twilio_number

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            return fn(**kwargs)
        except TwilioRestException as exc:
            code = exc.code
            permanent = code in PERMANENT_CODES or (400 <= exc.status < 500 and exc.status != 429)
            raise TelephonyError(
                f"Twilio answered {exc.status} (code {code})", permanent=permanent, code=code
            ) from exc
        except (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise TelephonyError(
                f"Twilio did not answer in time: {type(exc).__name__}",
                permanent=False,
                ambiguous=True,
            ) from exc
        except (TwilioException, requests.RequestException, OSError) as exc:
            raise TelephonyError(
                f"Twilio unreachable: {type(exc).__name__}", permanent=False
            ) from exc

    def send_sms(self, to: str, body: str, *, status_callback: str) -> Sent:
        message = self._call(
            self.client.messages.create,
            to=to,
            from_=self.number,
            body=body,
            status_callback=status_callback,
        )
        return Sent(sid=message.sid, status=message.status or "queued")

    def place_call(self, to: str, *, url: str, status_callback: str) -> Sent:
        call = self._call(
            self.client.calls.create,
            to=to,
            from_=self.number,
            url=url,
            method="POST",
            status_callback=status_callback,
            status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
        return Sent(sid=call.sid, status=call.status or "queued")

    def fetch_recording(self, recording_url: str) -> bytes:
        """Download a recording's audio (WAV) with the account's credentials."""
        url = recording_api_url(recording_url, self.settings.twilio_api_url)
        if not url.endswith((".wav", ".mp3")):
            url += ".wav"
        try:
            response = requests.get(
                url,
                auth=(
                    self.settings.twilio_account_sid or "",
                    self.settings.twilio_auth_token or "",
                ),
                timeout=30,
            )
        except requests.RequestException as exc:
            raise TelephonyError("recording download failed", permanent=False) from exc
        if response.status_code == 404:
            raise TelephonyError("recording not found", permanent=True, code=20404)
        if response.status_code >= 400:
            raise TelephonyError(
                f"recording download answered {response.status_code}",
                permanent=400 <= response.status_code < 500 and response.status_code != 429,
            )
        return response.content

    def delete_recording(self, recording_sid: str) -> None:
        self._call(self.client.recordings(recording_sid).delete)

    def delete_message(self, message_sid: str) -> None:
        """Delete Twilio's copy of an SMS (its body and both numbers)."""
        self._call(self.client.messages(message_sid).delete)

    def delete_call(self, call_sid: str) -> None:
        """Delete Twilio's log of a call (both numbers, times)."""
        self._call(self.client.calls(call_sid).delete)


class DevTelephony:
    """Keeps everything on this machine: for a laptop without a Twilio account."""

    def send_sms(self, to: str, body: str, *, status_callback: str) -> Sent:
        log.info("SMS kept locally (Twilio is not configured): %d characters", len(body))
        return Sent(sid="SMlocal" + secrets.token_hex(13), status="sent", delivered_locally=True)

    def place_call(self, to: str, *, url: str, status_callback: str) -> Sent:
        log.info("call not placed (Twilio is not configured)")
        return Sent(sid="CAlocal" + secrets.token_hex(13), status="queued", delivered_locally=True)

    def fetch_recording(self, recording_url: str) -> bytes:
        raise TelephonyError("Twilio is not configured: no recordings to fetch", permanent=True)

    def delete_recording(self, recording_sid: str) -> None:
        return None

    def delete_message(self, message_sid: str) -> None:
        return None

    def delete_call(self, call_sid: str) -> None:
        return None


def calls_are_local(settings: Settings) -> bool:
    """Whether calls and SMS stay on this machine (DevTelephony): nothing is dialled."""
    return not (settings.twilio_configured and settings.twilio_number)


def telephony(settings: Settings) -> Telephony:
    """The real Twilio client when configured, else the local stand-in."""
    if not calls_are_local(settings):
        return TwilioTelephony(settings)
    return DevTelephony()


_kept = threading.local()


def kept_telephony(settings: Settings) -> Telephony:
    """This thread's client for these settings, kept while they (and the request
    timeout) stay the same, so that its HTTP connection to Twilio stays open between
    sends instead of a new TLS handshake for each."""
    from hotline import clients

    key = (
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_api_url,
        settings.twilio_number,
        clients.TWILIO_TIMEOUT_SECONDS,
    )
    kept = getattr(_kept, "client", None)
    if kept is None or kept[0] != key:
        kept = _kept.client = (key, telephony(settings))
    return kept[1]
