"""Signed `/sms/incoming` ingest under gunicorn at 50 concurrent senders, against a
bare-Flask ceiling measured in the same run with the same server settings and client.

The hotline runs as `hotline serve` on PostgreSQL (its own database, default
`hotline_bench_sms`, dropped and migrated first) and a Redis database of its own
(default db 14, flushed after the run). Half of the texts are `HELP` (a keyword with a
TwiML reply), half free text in Vietnamese (a case, a stored message, a deferred
translation job and the first-message acknowledgement). Every request carries a valid
X-Twilio-Signature, computed before the clock starts. The ceiling is a Flask app with
one route that parses the form and answers an empty `<Response/>`.

    .venv/bin/python benchmarks/sms_bench.py --requests 4000 --concurrency 50

Loopback only; the run is bounded by --requests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOKEN = "benchmark-auth-token-0000"
SECRET = "benchmark-secret-key-not-for-production"
PUBLIC_URL = "https://hotline.example.org"
FREE_TEXT = "Công ty không trả lương cho tôi ba tháng rồi, tôi phải làm gì?"


def bare_app() -> Any:
    """The ceiling: Flask parsing the same form and answering an empty TwiML document."""
    from flask import Flask, Response, request

    app = Flask("bare")

    @app.post("/sms/incoming")
    def incoming() -> Response:
        request.form.get("Body")
        return Response(
            '<?xml version="1.0" encoding="UTF-8"?><Response />',
            content_type="text/xml; charset=utf-8",
        )

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<22} {self.rps:8.0f} req/s   p50 {self.pct(0.50):6.1f} ms   "
            f"p99 {self.pct(0.99):6.1f} ms   mean {statistics.mean(self.latencies) * 1000:6.1f} ms"
            f"   errors {self.errors}"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database(server_url: str, name: str) -> str:
    from hotline.migrate import upgrade

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    return url


def signed_requests(count: int, senders: int) -> list[tuple[bytes, str]]:
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
        out.append((urlencode(params).encode(), signature))
    return out


async def drive(name: str, base: str, requests: list[tuple[bytes, str]], conc: int) -> Result:
    latencies: list[float] = []
    errors = 0
    pending = list(reversed(requests))
    connector = aiohttp.TCPConnector(limit=conc)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def sender() -> None:
            nonlocal errors
            while pending:
                body, signature = pending.pop()
                headers = {
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                started = time.perf_counter()
                try:
                    async with session.post(
                        base + "/sms/incoming", data=body, headers=headers
                    ) as response:
                        await response.read()
                        ok = response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += 0 if ok else 1

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(conc)))
        seconds = time.perf_counter() - started
    return Result(name, len(requests), seconds, latencies, errors)


def wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    import requests

    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure(
    name: str, argv: list[str], env: dict[str, str], args: argparse.Namespace, port: int
) -> Result:
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(base, proc)
        warmup = signed_requests(200, 200)
        asyncio.run(drive("warm-up", base, warmup, args.concurrency))
        load = signed_requests(args.requests, args.senders)
        return asyncio.run(drive(name, base, load, args.concurrency))
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--senders", type=int, default=1000, help="distinct phone numbers")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--database", default="hotline_bench_sms")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    url = prepare_database(args.postgres, args.database)
    instance = tempfile.mkdtemp(prefix="hotline-sms-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": args.redis,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_INSTANCE_PATH": instance,
    }
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_NUMBER", "GOOGLE_CLOUD_PROJECT"):
        env.pop(key, None)
    print(
        f"{args.requests} signed requests, {args.concurrency} concurrent senders, "
        f"gunicorn {args.workers} workers x {args.threads} threads, {os.cpu_count()} cores"
    )
    port = free_port()
    hotline = measure(
        "hotline /sms/incoming",
        [
            str(BIN / "hotline"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
        ],
        env,
        args,
        port,
    )
    port = free_port()
    ceiling = measure(
        "bare Flask ceiling",
        [
            str(BIN / "gunicorn"),
            "-w",
            str(args.workers),
            "--threads",
            str(args.threads),
            "-k",
            "gthread",
            "-b",
            f"127.0.0.1:{port}",
            "benchmarks.sms_bench:bare_app()",
        ],
        env,
        args,
        port,
    )
    redis.Redis.from_url(args.redis).flushdb()
    print(hotline.line())
    print(ceiling.line())
    print(f"hotline / ceiling: {hotline.rps / ceiling.rps:.0%} of the ceiling's throughput")


if __name__ == "__main__":
    main()
