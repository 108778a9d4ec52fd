"""Signed `/sms/incoming` ingest under gunicorn at 50 concurrent senders, against a
bare-Flask ceiling and a one-INSERT floor measured in the same run with the same server
settings and client.

The hotline runs as `hotline serve` on PostgreSQL (its own database, default
`hotline_bench_sms`, dropped and migrated first) and a Redis database of its own
(default db 14, flushed after the run). Half of the texts are `HELP`, half free text
in Vietnamese; the webhook stores each and answers (no worker runs in this mode).
Every request carries a valid X-Twilio-Signature, computed before the clock starts.
The ceiling is a Flask app with one route that parses the form and answers an empty
`<Response/>`; the floor is the ceiling plus one durable INSERT of each form into the
same PostgreSQL, the least any webhook that stores a text before answering can do.
All three run under gunicorn with the same settings, access log included, and all three
at once, taking turns: `--rounds` rounds (default 5) of `--requests / --rounds` requests
each, in an order that rotates, so that the machine's changing speed falls on all three
alike. Each round is printed; then the whole run, the CPU each server's processes and
PostgreSQL's used per request, and the ratios both over the whole run and as the
rounds' median. `--rate 100` also times the hotline alone at a steady 100 texts/s
(open loop).

    .venv/bin/python benchmarks/sms_bench.py --requests 10000 --rounds 10 --concurrency 50

Since texts are stored first (`/sms/incoming` only writes the delivery and answers
empty TwiML), the work happens in the worker; the other modes measure it end to end with
the Procfile's processes and a fake Twilio REST API (benchmarks/sms_e2e.py):

    .venv/bin/python benchmarks/sms_bench.py --mode e2e --texts 3000
    .venv/bin/python benchmarks/sms_bench.py --mode steady --rate 100 --seconds 30
    .venv/bin/python benchmarks/sms_bench.py --mode lost --texts 10000

Loopback only; the run is bounded by --requests / --texts / --seconds.
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

# gunicorn imports this file as `benchmarks.sms_bench`, so `common` is not a sibling
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

FREE_TEXT = "Công ty không trả lương cho tôi ba tháng rồi, tôi phải làm gì?"


def bare_app() -> Any:
    """The ceiling: Flask parsing the same form and answering an empty TwiML document."""
    from flask import Response, request

    app = bare_flask()

    @app.post("/sms/incoming")
    def incoming() -> Response:
        request.form.get("Body")
        return Response(
            '<?xml version="1.0" encoding="UTF-8"?><Response />',
            content_type="text/xml; charset=utf-8",
        )

    return app


def floor_app() -> Any:
    """The floor: the ceiling plus one durable INSERT of each request's form."""
    return with_one_insert(bare_app())


def signed_requests(count: int, senders: int) -> list[list[Request]]:
    """Each a single `/sms/incoming` request: every other one `HELP`, the rest free text."""
    validator = RequestValidator(TOKEN)
    out = []
    for i in range(count):
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": "AC" + "0" * 32,
            "From": f"+81900{1000000 + i % senders:07d}",
            "To": "+81500000000",
            "Body": "HELP" if i % 2 else FREE_TEXT,
            "NumMedia": "0",
        }
        signature = validator.compute_signature(PUBLIC_URL + "/sms/incoming", params)
        out.append([("/sms/incoming", urlencode(params).encode(), signature)])
    return out


def answered(status: int, body: bytes) -> bool:
    return status == 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="per server, in all")
    parser.add_argument(
        "--rounds", type=int, default=5, help="turns the three servers take, in rotation"
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--senders", type=int, default=1000, help="distinct phone numbers")
    parser.add_argument(
        "--mode",
        choices=("ingest", "e2e", "steady", "lost"),
        default="ingest",
        help="ingest: webhook vs ceiling and floor; e2e: texts fully processed per second; "
        "steady: webhook-to-reply delay at --rate; lost: the nothing-lost run",
    )
    parser.add_argument("--texts", type=int, default=3000, help="texts for e2e and lost")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the steady run")
    parser.add_argument("--worker-processes", type=int, default=1, help="`hotline worker`s")
    parser.add_argument(
        "--twilio-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="e2e/steady: the fake Twilio answers each message this late (real Twilio: "
        "0.1-0.3 s); with --send-concurrency, how many REST calls the worker has in flight",
    )
    parser.add_argument("--send-concurrency", type=int, help="HOTLINE_SMS_SEND_CONCURRENCY")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="e2e/steady: run the worker under cProfile (benchmarks/profiled_worker.py), "
        "one DIR/<thread>.prof per thread",
    )
    add_server_options(parser, database="hotline_bench_sms", redis_db=14)
    args = parser.parse_args()
    if args.mode != "ingest":
        import sms_e2e

        {"e2e": sms_e2e.throughput, "steady": sms_e2e.steady, "lost": sms_e2e.nothing_lost}[
            args.mode
        ](args)
        return

    url = prepare_database(args.postgres, args.database)
    env = hotline_env(url, args.redis, "hotline-sms-bench-")
    print(
        f"{args.requests} signed requests, {args.concurrency} concurrent senders, "
        f"gunicorn {args.workers} workers x {args.threads} threads, {os.cpu_count()} cores"
    )
    compare(
        args,
        env,
        "hotline /sms/incoming",
        "benchmarks.sms_bench:bare_app()",
        "benchmarks.sms_bench:floor_app()",
        warmup=lambda: signed_requests(200, 200),
        load=lambda count: signed_requests(count, args.senders),
        ok=answered,
    )


if __name__ == "__main__":
    main()
