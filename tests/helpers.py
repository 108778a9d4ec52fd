"""Helpers for tests: signing requests exactly as Twilio does, running jobs, builders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import flask
from twilio.request_validator import RequestValidator
from werkzeug.test import EnvironBuilder

from hotline.jobs import queue, relay
from hotline.jobs.transport import BurstWorker
from hotline.runtime import Runtime

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0000"
PUBLIC_URL = "https://hotline.example.org"
HOTLINE_NUMBER = "+81500000000"
WORKER_NUMBER = "+819000000001"  # made-up, +81 90-0000-xxxx style
OTHER_WORKER_NUMBER = "+819000000002"


def twilio_signature(url: str, params: dict[str, Any], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def twilio_post(
    client: Any,
    path: str,
    params: dict[str, Any],
    *,
    token: str = AUTH_TOKEN,
    public_url: str = PUBLIC_URL,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST form data to `path` (which may carry a query) signed as Twilio would sign it."""
    signature = twilio_signature(public_url + path, params, token)
    all_headers = {"X-Twilio-Signature": signature, **(headers or {})}
    return client.post(
        path,
        data=urlencode(params, doseq=True),
        content_type="application/x-www-form-urlencoded",
        headers=all_headers,
        buffered=True,  # consume and close the response, as a WSGI server does
    )


FORM = "application/x-www-form-urlencoded"


@dataclass
class WsgiAnswer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    by_flask: bool


def wsgi_post(
    app: flask.Flask,
    wsgi: Any,
    path: str,
    params: dict[str, str],
    *,
    query: str = "",
    content_type: str = FORM,
    signature: str | None = None,
    method: str = "POST",
) -> WsgiAnswer:
    """One signed request straight to a WSGI callable (the app's fast path, or the Flask
    app behind it), noting whether Flask handled it."""
    url = path + (f"?{query}" if query else "")
    if signature is None:
        signature = twilio_signature(PUBLIC_URL + url, params)
    environ = EnvironBuilder(
        path=path,
        query_string=query,
        method=method,
        data=urlencode(params).encode(),
        content_type=content_type,
        headers=[("X-Twilio-Signature", signature)],
    ).get_environ()
    started: list[object] = []

    def noted(sender: object, **_: object) -> None:
        started.append(sender)

    answers: list[tuple[str, list[tuple[str, str]]]] = []
    with flask.request_started.connected_to(noted, app):
        body = b"".join(
            wsgi(environ, lambda status, headers, *_: answers.append((status, headers)))
        )
    ((status, headers),) = answers
    return WsgiAnswer(status, list(headers), body, bool(started))


def run_jobs(runtime: Runtime, *, rounds: int = 5) -> int:
    """Relay the outbox and run every due job with a real RQ worker, until none is left."""
    total = 0
    for _ in range(rounds):
        relay(runtime)
        q = queue(runtime)
        if q.count == 0:
            break
        total += q.count
        BurstWorker([q], connection=runtime.redis).work(burst=True)
    return total
