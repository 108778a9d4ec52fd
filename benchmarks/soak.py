"""Soak, on demand: N minutes (default 10) of mixed traffic at a steady rate against
`hotline serve` (gunicorn) and `hotline worker` on PostgreSQL, with the memory of both at
the start and the end and every error counted (there must be none).

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--rate 5]

Each second, `--rate` actions start in a fixed rotation, whether or not earlier ones
have been answered (at most 16 in flight): a whole call (`/voice/incoming`, the language
answer, the `completed` status callback), a worker's text in Vietnamese from one of 50
numbers, Twilio's status callback for a text the worker process sent, and the agent API
(the case list, one case, a reply, which the worker sends, and the callback queue).
Twilio's REST API is the local fake (tests/fakes); Google is not configured, so texts
are marked untranslated. Uses (and wipes) its own database, `hotline_soak`, and Redis
database 13 (flushed).

Memory is the resident set (RSS, /proc) of the gunicorn master and its workers together,
and of the worker process, sampled after a 30 s warm-up and every 30 s after. Errors are
answers other than 2xx, requests that failed or took over 10 s, outbox jobs that failed,
jobs still open 60 s after the traffic stopped, and ERROR lines in the processes' logs.
"""

from __future__ import annotations

import argparse
import html
import itertools
import os
import re
import secrets
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests
from common import PUBLIC_URL, SECRET, TOKEN
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from stack import FAKE_ACCOUNT_SID as ACCOUNT_SID
from stack import HOTLINE_NUMBER, Stack, rss_kb
from twilio.request_validator import RequestValidator

from hotline.agents.auth import create_agent
from hotline.jobs.models import OutboxJob
from tests.fakes.twilio_api import FakeTwilio

GATHER_ACTION = re.compile(r'<Gather[^>]*\baction="([^"]+)"')
TEXT = "Công ty không trả lương cho tôi ba tháng rồi, tôi phải làm gì?"
SLOW = 10.0  # seconds: an answer slower than this counts as an error


class Traffic:
    """The actions of the rotation; each returns the statuses of the requests it made."""

    def __init__(self, base: str, agent_token: str, fake: FakeTwilio) -> None:
        self.base = base
        self.agent = {"Authorization": f"Bearer {agent_token}"}
        self.fake = fake
        self.validator = RequestValidator(TOKEN)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.counter = itertools.count()
        self.reported = 0  # fake Twilio's messages whose status callback was posted
        self.case_ids: list[int] = []
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session  # type: ignore[no-any-return]

    def _call(self, name: str, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self._session().request(method, self.base + path, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.errors[f"{name}: {type(exc).__name__}"] += 1
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies.append(elapsed)
        if not 200 <= response.status_code < 300:
            self.errors[f"{name}: {response.status_code}"] += 1
        elif elapsed > SLOW:
            self.errors[f"{name}: slower than {SLOW:.0f} s"] += 1
        return response

    def _twilio(self, name: str, path: str, params: dict[str, str]) -> requests.Response | None:
        signature = self.validator.compute_signature(PUBLIC_URL + path, params)
        return self._call(
            name,
            "POST",
            path,
            data=urlencode(params),
            headers={
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

    def call(self) -> None:
        n = next(self.counter)
        base = {
            "CallSid": "CA" + secrets.token_hex(16),
            "AccountSid": ACCOUNT_SID,
            "From": f"+81901{n % 1_000_000:07d}",
            "To": HOTLINE_NUMBER,
            "CallStatus": "in-progress",
            "Direction": "inbound",
        }
        answer = self._twilio("call", "/voice/incoming", base)
        # As Twilio does: the key goes to the <Gather> action of the answer (a signed URL
        # that carries the menu's state).
        found = GATHER_ACTION.search(answer.text) if answer is not None else None
        if found is None:
            self.errors["call: no <Gather> to answer"] += 1
        else:
            step = html.unescape(found.group(1)).removeprefix(PUBLIC_URL)
            self._twilio("call", step, {**base, "Digits": "84"})
        done = {**base, "CallStatus": "completed", "CallDuration": "20"}
        self._twilio("call status", "/voice/status", done)

    def text(self) -> None:
        n = next(self.counter) % 50
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": ACCOUNT_SID,
            "From": f"+81902{n:07d}",
            "To": HOTLINE_NUMBER,
            "Body": TEXT,
            "NumMedia": "0",
        }
        self._twilio("text", "/sms/incoming", params)

    def sms_status(self) -> None:
        with self.lock:
            sent = None
            if self.reported < len(self.fake.messages):
                sent = self.fake.messages[self.reported]
                self.reported += 1
        if sent is None:
            return self.cases()
        params = {
            "MessageSid": sent["sid"],
            "MessageStatus": "delivered",
            "AccountSid": ACCOUNT_SID,
        }
        self._twilio("sms status", sent["StatusCallback"].removeprefix(PUBLIC_URL), params)

    def cases(self) -> None:
        response = self._call("api cases", "GET", "/api/cases?per_page=20", headers=self.agent)
        if response is not None and response.ok:
            with self.lock:
                self.case_ids = [case["id"] for case in response.json()]

    def _a_case(self) -> int | None:
        with self.lock:
            return secrets.choice(self.case_ids) if self.case_ids else None

    def case(self) -> None:
        case_id = self._a_case()
        if case_id is None:
            return self.cases()
        self._call("api case", "GET", f"/api/cases/{case_id}", headers=self.agent)

    def reply(self) -> None:
        case_id = self._a_case()
        if case_id is None:
            return self.cases()
        body = {"text": "We have read your message and will call you.", "language": "en"}
        self._call(
            "api reply", "POST", f"/api/cases/{case_id}/reply", json=body, headers=self.agent
        )

    def queue(self) -> None:
        self._call("api queue", "GET", "/api/queue", headers=self.agent)


def open_jobs(session: Session) -> tuple[int, int]:
    open_ = session.scalar(
        select(func.count()).where(OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None))
    )
    failed = session.scalar(select(func.count()).where(OutboxJob.failed_at.is_not(None)))
    return int(open_ or 0), int(failed or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=5.0, help="actions started per second")
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--database", default="hotline_soak")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    stack = Stack(
        postgres=args.postgres,
        database=args.database,
        redis_url=args.redis,
        name="soak",
        web_workers=args.workers,
        threads=args.threads,
    )
    fake, web, worker, base = stack.fake, stack.web, stack.workers[0], stack.base
    engine = create_engine(stack.url)
    with Session(engine) as session, session.begin():
        _, agent_token = create_agent(session, SECRET, name="Soak", languages="vi,en", phone=None)
    traffic = Traffic(base, agent_token, fake)
    rotation = [
        traffic.call,
        traffic.text,
        traffic.sms_status,
        traffic.cases,
        traffic.text,
        traffic.case,
        traffic.reply,
        traffic.sms_status,
        traffic.queue,
        traffic.call,
    ]
    samples: list[tuple[float, int, int]] = []
    try:
        pool = ThreadPoolExecutor(max_workers=16)
        in_flight = threading.BoundedSemaphore(16)
        started = time.monotonic()
        end = started + args.minutes * 60
        next_sample = started + 30  # after the warm-up
        for n, action in enumerate(itertools.cycle(rotation)):
            due = started + n / args.rate
            if due >= end:
                break
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            if time.monotonic() >= next_sample:
                samples.append((time.monotonic() - started, rss_kb(web.pid), rss_kb(worker.pid)))
                print(
                    f"{samples[-1][0]:6.0f} s  web {samples[-1][1] / 1024:6.1f} MB  "
                    f"worker {samples[-1][2] / 1024:6.1f} MB  requests {len(traffic.latencies)}  "
                    f"errors {sum(traffic.errors.values())}",
                    flush=True,
                )
                next_sample += 30
            in_flight.acquire()
            pool.submit(action).add_done_callback(lambda _: in_flight.release())
        pool.shutdown(wait=True)
        seconds = time.monotonic() - started
        samples.append((seconds, rss_kb(web.pid), rss_kb(worker.pid)))
        with Session(engine) as session:
            for _ in range(600):  # the worker catches up: at most 60 s
                still_open, failed = open_jobs(session)
                if not still_open:
                    break
                time.sleep(0.1)
        if web.poll() is not None or worker.poll() is not None:
            traffic.errors["a process exited"] += 1
    finally:
        stack.close()
        engine.dispose()
    log_errors = Counter({name: n for name, n in stack.log_errors().items() if n})
    errors = sum(traffic.errors.values()) + failed + still_open + sum(log_errors.values())
    ordered = sorted(traffic.latencies)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
    first, last = samples[0], samples[-1]
    print(
        f"\n{len(ordered)} requests in {seconds:.0f} s ({len(ordered) / seconds:.1f}/s), "
        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms; texts sent by the worker {len(fake.messages)}"
    )
    print(
        f"web RSS {first[1] / 1024:.1f} MB at {first[0]:.0f} s -> {last[1] / 1024:.1f} MB at "
        f"{last[0]:.0f} s; worker RSS {first[2] / 1024:.1f} -> {last[2] / 1024:.1f} MB"
    )
    print(
        f"errors {errors}: answers {dict(traffic.errors)}, failed jobs {failed}, "
        f"jobs still open {still_open}, log errors {dict(log_errors)} (logs in {stack.logs})"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    os.environ.setdefault("NO_GCE_CHECK", "true")
    sys.exit(main())
