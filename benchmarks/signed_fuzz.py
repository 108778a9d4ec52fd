"""Signed fuzz, on demand: 10,000 requests over every webhook route and every agent API
call on PostgreSQL (see tests/signed_fuzz.py for what is generated). Prints the answers
by status class and route and every 5xx; exits 1 if there was any.

    .venv/bin/python benchmarks/signed_fuzz.py [--requests 10000] [--seed 0]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/postgres]
        [--redis-url redis://127.0.0.1:6379/10]

Uses (and wipes) its own PostgreSQL database, `hotline_fuzz` by default. Twilio's REST
API is the local fake (tests/fakes); nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis

from hotline import create_app
from hotline.config import Settings
from hotline.runtime import Runtime, set_current
from tests.fakes.twilio_api import start_fake_twilio
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, PUBLIC_URL
from tests.signed_fuzz import run

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import prepare_database


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--database-name", default="hotline_fuzz")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    database_url = prepare_database(args.database_url, args.database_name)
    fake_twilio = start_fake_twilio(ACCOUNT_SID, AUTH_TOKEN)
    settings = Settings(
        instance_path=Path(tempfile.mkdtemp(prefix="hotline-fuzz-")),
        database_url=database_url,
        redis_url=args.redis_url,
        public_url=PUBLIC_URL,
        secret_key="fuzz-secret-key-not-for-production",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_number=HOTLINE_NUMBER,
        twilio_api_url=fake_twilio.url,
    )
    client = redis.Redis.from_url(args.redis_url)
    client.flushdb()
    runtime = Runtime(settings, redis_client=client)
    set_current(runtime)
    app = create_app(runtime=runtime)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fake's access log
    try:
        report = run(app, runtime, args.requests, seed=args.seed)
    finally:
        runtime.close()
        assert fake_twilio.server is not None
        fake_twilio.server.stop()

    print(report.summary())
    print("\nstatus  count")
    for status, count in sorted(report.statuses.items()):
        print(f"{status:>6}  {count}")
    print("\nrequests  route")
    for route, count in sorted(report.per_route.items(), key=lambda item: -item[1]):
        print(f"{count:>8}  {route}")
    if report.server_errors:
        print("\n5xx:")
        for line, count in Counter(report.server_errors).most_common():
            print(f"{count:>4}  {line}")
    return 1 if report.server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
