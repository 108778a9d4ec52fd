"""Signed `/voice/incoming` plus one Gather step under gunicorn at 50 concurrent
callers, against a bare-Flask ceiling measured in the same run with the same server
settings and client.

Each simulated call is two requests, in order: `/voice/incoming` from a new number
(a caller, a call row, the language menu as TwiML) and the language `<Gather>` answer
`84` (Vietnamese chosen and remembered, the privacy notice, the main menu). The
hotline runs as `hotline serve` on PostgreSQL (its own database, default
`hotline_bench_voice`, dropped and migrated first) and a Redis database of its own
(default db 13, flushed after the run). Every request carries a valid
X-Twilio-Signature, computed before the clock starts. The ceiling is a Flask app
answering the same two URLs with constant TwiML.

    .venv/bin/python benchmarks/voice_bench.py --calls 2000 --concurrency 50

Loopback only; the run is bounded by --calls.
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
    from flask import Flask, Response, request

    app = Flask("bare")

    @app.post("/voice/incoming")
    @app.post("/voice/language")
    def step() -> Response:
        request.form.get("CallSid")
        return Response(CONSTANT_TWIML, content_type="text/xml; charset=utf-8")

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


Request = tuple[str, bytes, str]  # path, body, signature


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


async def drive(name: str, base: str, calls: list[list[Request]], conc: int) -> Result:
    latencies: list[float] = []
    errors = 0
    pending = list(reversed(calls))
    connector = aiohttp.TCPConnector(limit=conc)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def caller() -> None:
            nonlocal errors
            while pending:
                for path, body, signature in pending.pop():
                    headers = {
                        "X-Twilio-Signature": signature,
                        "Content-Type": "application/x-www-form-urlencoded",
                    }
                    started = time.perf_counter()
                    try:
                        async with session.post(base + path, data=body, headers=headers) as r:
                            answer = await r.read()
                            ok = r.status == 200 and b"<Gather" in answer
                    except (aiohttp.ClientError, TimeoutError):
                        ok = False
                    latencies.append(time.perf_counter() - started)
                    errors += 0 if ok else 1

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(conc)))
        seconds = time.perf_counter() - started
    return Result(name, len(latencies), seconds, latencies, errors)


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
        asyncio.run(drive("warm-up", base, signed_calls(100), args.concurrency))
        return asyncio.run(drive(name, base, signed_calls(args.calls), args.concurrency))
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="two requests each")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--database", default="hotline_bench_voice")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    url = prepare_database(args.postgres, args.database)
    instance = tempfile.mkdtemp(prefix="hotline-voice-bench-")
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
        f"{args.calls} calls x 2 signed requests, {args.concurrency} concurrent callers, "
        f"gunicorn {args.workers} workers x {args.threads} threads, {os.cpu_count()} cores"
    )
    port = free_port()
    hotline = measure(
        "hotline /voice (2 steps)",
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
            "benchmarks.voice_bench:bare_app()",
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
