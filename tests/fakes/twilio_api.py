"""A local fake of Twilio's REST API v2010 (Messages, Calls, Recordings), speaking the
real wire format to the real `twilio` client: form-encoded requests with HTTP Basic
auth, JSON resources and Twilio's error bodies ({"code", "message", "more_info",
"status"}). Tests point TWILIO_API_URL at it and inject failures per destination.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.fakes.server import ServedFake, ThreadedServer


@dataclass
class Failure:
    status: int
    code: int | None
    times: int = 1  # how many requests fail before the destination works again


@dataclass
class FakeTwilio(ServedFake):
    account_sid: str
    auth_token: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    recordings: dict[str, bytes] = field(default_factory=dict)
    deleted_recordings: list[str] = field(default_factory=list)
    # Messages Twilio received for the hotline (their sids come with the webhooks).
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_messages: list[str] = field(default_factory=list)
    deleted_calls: list[str] = field(default_factory=list)
    failures: dict[str, Failure] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    # With `meet(n)`: new messages are taken only n at a time, all n in flight together.
    barrier: threading.Barrier | None = None
    barrier_broken: bool = False
    # Called (once) when a message to that number arrives, before Twilio answers it.
    on_message: dict[str, Callable[[], None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadedServer | None = None

    def reset(self) -> None:
        """Forget every request, message, call, recording, failure, delay, hook and
        `meet`: as new, on the same port (a session's fake serves one test after another)."""
        with self.lock:
            for name in (
                "messages",
                "calls",
                "requests",
                "recordings",
                "deleted_recordings",
                "received",
                "deleted_messages",
                "deleted_calls",
                "failures",
                "delays",
                "on_message",
            ):
                setattr(self, name, type(getattr(self, name))())
            self.barrier, self.barrier_broken = None, False

    def fail(self, to: str, *, status: int = 400, code: int | None = None, times: int = 1) -> None:
        """Make the next `times` requests to `to` fail with this HTTP status and Twilio code."""
        self.failures[to] = Failure(status, code, times)

    def slow(self, to: str, seconds: float) -> None:
        """Accept messages to `to`, but answer only after `seconds` (a lost answer)."""
        self.delays[to] = seconds

    def meet(self, n: int, timeout: float = 20.0) -> None:
        """Hold each message request until `n` are in flight at once, then take them
        together: a client that sends one at a time is held until `timeout`, and
        `barrier_broken` says so."""
        self.barrier = threading.Barrier(n, timeout=timeout)

    def add_recording(self, recording_sid: str, audio: bytes) -> str:
        self.recordings[recording_sid] = audio
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}"

    def add_received_message(self, sid: str, from_: str, body: str) -> None:
        """A message Twilio holds because a worker sent it to the hotline."""
        self.received[sid] = {"From": from_, "Body": body, "sid": sid}

    def add_call(self, sid: str, from_: str) -> None:
        """A call Twilio logged because a worker called the hotline."""
        self.calls.append({"From": from_, "sid": sid})

    def held_about(self, number: str) -> list[dict[str, Any]]:
        """Every message and call Twilio still holds to or from `number`."""
        everything = [*self.messages, *self.received.values(), *self.calls]
        return [r for r in everything if number in (r.get("To"), r.get("From"))]

    def sms_to(self, to: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["To"] == to]


def _error(status: int, code: int | None, message: str) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
        "status": status,
    }
    response = jsonify(body)
    response.status_code = status
    return response


def build_app(fake: FakeTwilio) -> Flask:
    app = Flask("fake_twilio")

    def authorised(account_sid: str) -> bool:
        auth = request.authorization
        return bool(
            auth
            and auth.username == fake.account_sid
            and auth.password == fake.auth_token
            and account_sid == fake.account_sid
        )

    def injected_failure(to: str) -> Response | None:
        with fake.lock:
            failure = fake.failures.get(to)
            if failure is None or failure.times <= 0:
                return None
            failure.times -= 1
        return _error(failure.status, failure.code, "injected failure")

    @app.post("/2010-04-01/Accounts/<account_sid>/Messages.json")
    def create_message(account_sid: str) -> Any:
        if not authorised(account_sid):
            return _error(401, 20003, "Authenticate")
        form = request.form.to_dict()
        fake.requests.append({"resource": "Messages", **form})
        if not form.get("To") or not (form.get("From") or form.get("MessagingServiceSid")):
            return _error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body") and not form.get("MediaUrl"):
            return _error(400, 21602, "Message body is required.")
        if fake.barrier is not None:
            try:
                fake.barrier.wait()
            except threading.BrokenBarrierError:
                fake.barrier_broken = True
        hook = fake.on_message.pop(form["To"], None)
        if hook is not None:
            hook()
        failure = injected_failure(form["To"])
        if failure is not None:
            return failure
        sid = "SM" + secrets.token_hex(16)
        resource = {
            "sid": sid,
            "account_sid": account_sid,
            "to": form["To"],
            "from": form.get("From"),
            "body": form["Body"],
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
        }
        with fake.lock:
            fake.messages.append({**form, "sid": sid})
        delay = fake.delays.get(form["To"])
        if delay:
            time.sleep(delay)
        return jsonify(resource), 201

    @app.post("/2010-04-01/Accounts/<account_sid>/Calls.json")
    def create_call(account_sid: str) -> Any:
        if not authorised(account_sid):
            return _error(401, 20003, "Authenticate")
        form = request.form.to_dict(flat=False)
        flat = {k: v[0] if len(v) == 1 else v for k, v in form.items()}
        fake.requests.append({"resource": "Calls", **flat})
        if not flat.get("To") or not flat.get("From"):
            return _error(400, 21201, "No 'To' number is specified")
        if not flat.get("Url") and not flat.get("Twiml") and not flat.get("ApplicationSid"):
            return _error(400, 21205, "Url parameter is required.")
        failure = injected_failure(str(flat["To"]))
        if failure is not None:
            return failure
        sid = "CA" + secrets.token_hex(16)
        with fake.lock:
            fake.calls.append({**flat, "sid": sid})
        resource = {
            "sid": sid,
            "account_sid": account_sid,
            "to": flat["To"],
            "from": flat["From"],
            "status": "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account_sid}/Calls/{sid}.json",
        }
        return jsonify(resource), 201

    @app.get("/2010-04-01/Accounts/<account_sid>/Recordings/<name>")
    def get_recording(account_sid: str, name: str) -> Any:
        with fake.lock:
            fake.requests.append(
                {"resource": "Recordings", "name": name, "credentials": bool(request.authorization)}
            )
        if not authorised(account_sid):
            return _error(401, 20003, "Authenticate")
        sid, _, ext = name.partition(".")
        audio = fake.recordings.get(sid)
        if audio is None:
            return _error(404, 20404, "The requested resource was not found")
        if ext in ("wav", ""):
            return Response(audio, 200, content_type="audio/x-wav")
        return _error(404, 20404, "The requested resource was not found")

    @app.delete("/2010-04-01/Accounts/<account_sid>/Recordings/<name>")
    def delete_recording(account_sid: str, name: str) -> Any:
        if not authorised(account_sid):
            return _error(401, 20003, "Authenticate")
        sid = name.removesuffix(".json")
        if fake.recordings.pop(sid, None) is None:
            return _error(404, 20404, "The requested resource was not found")
        fake.deleted_recordings.append(sid)
        return Response("", 204)

    @app.delete("/2010-04-01/Accounts/<account_sid>/Messages/<name>")
    def delete_message(account_sid: str, name: str) -> Any:
        if not authorised(account_sid):
            return _error(401, 20003, "Authenticate")
        sid = name.removesuffix(".json")
        with fake.lock:
            sent = [m for m in fake.messages if m["sid"] == sid]
            if not sent and fake.received.pop(sid, None) is None:
                return _error(404, 20404, "The requested resource was not found")
            fake.messages = [m for m in fake.messages if m["sid"] != sid]
            fake.deleted_messages.append(sid)
        return Response("", 204)

    @app.delete("/2010-04-01/Accounts/<account_sid>/Calls/<name>")
    def delete_call(account_sid: str, name: str) -> Any:
        if not authorised(account_sid):
            return _error(401, 20003, "Authenticate")
        sid = name.removesuffix(".json")
        with fake.lock:
            if not any(c["sid"] == sid for c in fake.calls):
                return _error(404, 20404, "The requested resource was not found")
            fake.calls = [c for c in fake.calls if c["sid"] != sid]
            fake.deleted_calls.append(sid)
        return Response("", 204)

    return app


# Running fakes by URL: a test that only has the app finds the fake its settings name.
RUNNING: dict[str, FakeTwilio] = {}


def start_fake_twilio(account_sid: str, auth_token: str) -> FakeTwilio:
    fake = FakeTwilio(account_sid=account_sid, auth_token=auth_token)
    fake.server = ThreadedServer(build_app(fake)).start()
    RUNNING[fake.url] = fake
    return fake


def fake_for(api_url: str | None) -> FakeTwilio | None:
    """The running fake at `api_url` (a runtime's TWILIO_API_URL), if it is one."""
    return RUNNING.get(api_url or "")
