"""Helpers for tests: signing requests exactly as Twilio does, running jobs, builders."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

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
