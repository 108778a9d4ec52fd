"""A yardstick, not the hotline: the least a real SMS webhook could do on PostgreSQL,
measured against the same bare-Flask ceiling as `sms_bench.py`.

The minimal webhook checks Twilio's signature, reads the sender by a keyed hash of its
number (one round trip, which also takes the reply's id from a sequence), builds the
TwiML answer, and writes the inbound text, the reply and the receipt of the answer in
one pipeline with the COMMIT (a second round trip). No ORM, no keywords, no cases, no
encryption, no outbox: everything `/sms/incoming` does beyond this only adds cost. It
answers the question "would rewriting the webhook for PostgreSQL alone, in two round
trips, reach half the ceiling on this machine?"

    .venv/bin/python benchmarks/minimal_sms_webhook.py --requests 4000

Runs against its own database (default `hotline_bench_minimal`, emptied first).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys
import threading
from pathlib import Path
from typing import Any

# gunicorn imports this file as `benchmarks.minimal_sms_webhook`, so `common` is not a
# sibling on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    FLOOR_DSN,
    PUBLIC_URL,
    TOKEN,
    ceiling_command,
    free_port,
    measure,
    prepare_database,
)
from sms_bench import answered, signed_requests


def app() -> Any:
    """The minimal webhook, under gunicorn like the others."""
    import psycopg
    from flask import Flask, Response, request
    from sqlalchemy.engine import make_url
    from twilio.request_validator import RequestValidator
    from twilio.twiml.messaging_response import MessagingResponse

    conninfo = (
        make_url(os.environ[FLOOR_DSN])
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    validator = RequestValidator(TOKEN)
    local = threading.local()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS minimal_callers"
            " (id bigserial PRIMARY KEY, phone_hash text UNIQUE, language text)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS minimal_messages (id bigserial PRIMARY KEY,"
            " sid text UNIQUE, phone_hash text NOT NULL, body text NOT NULL, direction text)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS minimal_receipts"
            " (id bigserial PRIMARY KEY, key text UNIQUE, body text NOT NULL)"
        )

    web = Flask("minimal")

    @web.get("/healthz")
    def healthz() -> str:
        return "ok"

    @web.post("/sms/incoming")
    def incoming() -> Response:
        form = request.form
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(PUBLIC_URL + request.path, form, signature):
            return Response("", 403)
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(conninfo)
        digest = hmac.new(b"bench", form["From"].encode(), hashlib.sha256).hexdigest()
        with conn.pipeline():  # BEGIN and the read in one round trip
            row = conn.execute(
                "SELECT c.language, nextval('minimal_messages_id_seq') FROM (SELECT 1) one"
                " LEFT JOIN minimal_callers c ON c.phone_hash = %s",
                (digest,),
            ).fetchone()
        assert row is not None
        reply_id = row[1]
        body = form.get("Body", "")
        text = "Hotline: reply CALL for a call back." if body == "HELP" else "Received: 1234567"
        answer = MessagingResponse()
        answer.message(text, action=f"{PUBLIC_URL}/sms/status?m={reply_id}", method="POST")
        twiml = str(answer)
        with conn.pipeline():  # three writes and the COMMIT in one round trip
            conn.execute(
                "INSERT INTO minimal_messages (sid, phone_hash, body, direction)"
                " VALUES (%s, %s, %s, 'in')",
                (form["MessageSid"], digest, body),
            )
            conn.execute(
                "INSERT INTO minimal_messages (id, phone_hash, body, direction)"
                " VALUES (%s, %s, %s, 'out')",
                (reply_id, digest, text),
            )
            conn.execute(
                "INSERT INTO minimal_receipts (key, body) VALUES (%s, %s)",
                (form["MessageSid"], twiml),
            )
            conn.commit()
        return Response(twiml, content_type="text/xml; charset=utf-8")

    return web


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--database", default="hotline_bench_minimal")
    args = parser.parse_args()

    url = prepare_database(args.postgres, args.database)
    env = {**os.environ, FLOOR_DSN: url}
    results = []
    for name, target in (
        ("minimal SMS webhook", "benchmarks.minimal_sms_webhook:app()"),
        ("bare Flask ceiling", "benchmarks.sms_bench:bare_app()"),
    ):
        port = free_port()
        results.append(
            measure(
                name,
                ceiling_command(port, args, target),
                env,
                port,
                args.concurrency,
                lambda: signed_requests(200, 200),
                lambda: signed_requests(args.requests, 1000),
                answered,
            )
        )
    minimal, ceiling = results
    print(minimal.line())
    print(ceiling.line())
    print(f"minimal / ceiling: {minimal.rps / ceiling.rps:.0%} of the ceiling's throughput")


if __name__ == "__main__":
    main()
