"""Signed `/voice/incoming` plus one Gather step under gunicorn at 50 concurrent
callers, against a bare-Flask ceiling and a one-INSERT floor measured in the same run
with the same server settings and client.

Each simulated call is two requests, in order: `/voice/incoming` from a new number
(a caller, a call row, the language menu as TwiML) and the language `<Gather>` answer
`84` (Vietnamese chosen and remembered, the privacy notice, the main menu). The
hotline runs as `hotline serve` on PostgreSQL (its own database, default
`hotline_bench_voice`, dropped and migrated first) and a Redis database of its own
(default db 13, flushed after the run). Every request carries a valid
X-Twilio-Signature, computed before the clock starts. The ceiling is a Flask app
answering the same two URLs with constant TwiML; the floor is the ceiling plus one
durable INSERT of each form into the same PostgreSQL. All three run under gunicorn with
the same settings, access log included. `--rate 100` also times the hotline alone at a
steady 100 requests/s (open loop).

    .venv/bin/python benchmarks/voice_bench.py --calls 2000 --concurrency 50 --rate 100

Loopback only; the run is bounded by --calls.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

# gunicorn imports this file as `benchmarks.voice_bench`, so `common` is not a sibling
# on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    PUBLIC_URL,
    TOKEN,
    Request,
    add_server_options,
    bare_flask,
    compare,
    hotline_env,
    prepare_database,
    with_one_insert,
)

GATHER_PATH = "/voice/language?s=1&p=0&f=0"
CONSTANT_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="'
    + PUBLIC_URL
    + GATHER_PATH.replace("&", "&amp;")
    + '" finishOnKey="#" timeout="6"><Say language="en-US">Enter your country code.</Say>'
    "</Gather></Response>"
)


def bare_app() -> Any:
    """The ceiling: Flask parsing the same forms and answering constant TwiML."""
    from flask import Response, request

    app = bare_flask()

    @app.post("/voice/incoming")
    @app.post("/voice/language")
    def step() -> Response:
        request.form.get("CallSid")
        return Response(CONSTANT_TWIML, content_type="text/xml; charset=utf-8")

    return app


def floor_app() -> Any:
    """The floor: the ceiling plus one durable INSERT of each request's form."""
    return with_one_insert(bare_app())


def signed_calls(count: int) -> list[list[Request]]:
    """Each call: `/voice/incoming` from a new number, then the language answer `84`."""
    validator = RequestValidator(TOKEN)
    calls = []
    for i in range(count):
        base = {
            "CallSid": "CA" + secrets.token_hex(16),
            "AccountSid": "AC" + "0" * 32,
            "From": f"+81900{1000000 + i:07d}",
            "To": "+81500000000",
            "CallStatus": "in-progress",
            "Direction": "inbound",
        }
        steps = []
        for path, extra in (("/voice/incoming", {}), (GATHER_PATH, {"Digits": "84"})):
            params = {**base, **extra}
            signature = validator.compute_signature(PUBLIC_URL + path, params)
            steps.append((path, urlencode(params).encode(), signature))
        calls.append(steps)
    return calls


def gathered(status: int, body: bytes) -> bool:
    """Both steps answer with a menu, so a missing `<Gather` is an error too."""
    return status == 200 and b"<Gather" in body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="two requests each")
    parser.add_argument("--concurrency", type=int, default=50)
    add_server_options(parser, database="hotline_bench_voice", redis_db=13)
    args = parser.parse_args()

    url = prepare_database(args.postgres, args.database)
    env = hotline_env(url, args.redis, "hotline-voice-bench-")
    print(
        f"{args.calls} calls x 2 signed requests, {args.concurrency} concurrent callers, "
        f"gunicorn {args.workers} workers x {args.threads} threads, {os.cpu_count()} cores"
    )
    compare(
        args,
        env,
        "hotline /voice (2 steps)",
        "benchmarks.voice_bench:bare_app()",
        "benchmarks.voice_bench:floor_app()",
        warmup=lambda: signed_calls(100),
        load=lambda: signed_calls(args.calls),
        ok=gathered,
    )


if __name__ == "__main__":
    main()
