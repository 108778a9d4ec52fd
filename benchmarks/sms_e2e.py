"""End to end, store first: texts posted to `/sms/incoming` until their reply is accepted
by Twilio's REST API (the local fake, tests/fakes), with the Procfile's processes:
`hotline serve` (web) and `hotline worker` (processor + RQ + relay). Used by
`sms_bench.py --mode e2e|lost` (see there and docs/performance.md).

- `throughput`: N texts (HELP, one sender each) posted by 50 concurrent senders; texts
  fully processed per second = N / (last reply accepted - first text posted).
- `steady`: texts at a steady rate (open loop); the delay from posting a text to its
  reply reaching the REST API, p50/p99.
- `nothing_lost`: N texts while the worker (with the test double of
  tests/faults/flaky_sms_worker.py: 1 text in 10 fails once) is SIGKILLed in the middle
  of a batch and started again; then every text must be exactly one stored message with
  exactly one reply, sent once.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
from common import PUBLIC_URL, TOKEN
from sqlalchemy import create_engine, text
from stack import FAKE_ACCOUNT_SID, HOTLINE_NUMBER, Stack
from twilio.request_validator import RequestValidator


class TimedList(list):  # type: ignore[type-arg]
    """The fake's record of messages, with the moment each was accepted."""

    def append(self, item: Any) -> None:
        item["_accepted_at"] = time.perf_counter()
        super().append(item)


def sender(i: int) -> str:
    return f"+8170{i:08d}"  # made-up mobile numbers, one per text


def signed(i: int, body: str) -> tuple[str, bytes, str]:
    params = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": FAKE_ACCOUNT_SID,
        "From": sender(i),
        "To": HOTLINE_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/sms/incoming", params)
    return params["From"], urlencode(params).encode(), signature


def start(args: Any, worker_module: str | None = None) -> Stack:
    """The Procfile's processes with the run's options (`--profile`: the profiled worker)."""
    env = {}
    if getattr(args, "send_concurrency", None):
        env["HOTLINE_SMS_SEND_CONCURRENCY"] = str(args.send_concurrency)
    if getattr(args, "profile", None):
        worker_module = worker_module or "benchmarks.profiled_worker"
        env["PROFILE_DIR"] = str(Path(args.profile).resolve())
    stack = Stack(
        postgres=args.postgres,
        database=args.database,
        redis_url=args.redis,
        name="sms-e2e",
        web_workers=args.workers,
        threads=args.threads,
        worker_processes=args.worker_processes,
        worker_module=worker_module,
        env=env,
    )
    stack.fake.messages = TimedList()
    if getattr(args, "twilio_latency", 0.0):
        numbers = [sender(i) for i in range(max(args.texts, int(args.rate * args.seconds)))]
        numbers += [sender(900_000 + i) for i in range(100)]  # the warm-up's
        stack.fake.delays.update(dict.fromkeys(numbers, args.twilio_latency))
    return stack


def wait_for_replies(stack: Stack, count: int, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while len(stack.fake.messages) < count and time.perf_counter() < deadline:
        time.sleep(0.05)
    return time.perf_counter()


def cpu_line(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """Where the CPU went during the run: seconds per process and cores busy on average."""
    used = {name: after[name] - before[name] for name in before}
    parts = [f"{name} {value:.1f} s" for name, value in used.items()]
    return f"CPU {', '.join(parts)} (machine {used['machine'] / seconds:.2f} cores busy)"


async def post_all(
    base: str, requests: list[tuple[str, bytes, str]], conc: int, rate: float = 0.0
) -> tuple[dict[str, float], int]:
    """Post every text (at most `conc` in flight; at `rate` per second when given);
    returns when each sender's text was posted, and the number of errors."""
    posted: dict[str, float] = {}
    errors = 0
    limit = asyncio.Semaphore(conc)
    connector = aiohttp.TCPConnector(limit=conc)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(number: str, body: bytes, signature: str) -> None:
            nonlocal errors
            headers = {
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
            }
            async with limit:
                posted[number] = time.perf_counter()
                try:
                    async with session.post(
                        base + "/sms/incoming", data=body, headers=headers
                    ) as r:
                        await r.read()
                        errors += r.status != 200
                except aiohttp.ClientError:
                    errors += 1

        tasks = []
        started = time.perf_counter()
        for n, request in enumerate(requests):
            if rate:
                delay = started + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(*request)))
        await asyncio.gather(*tasks)
    return posted, errors


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def throughput(args: Any) -> None:
    stack = start(args)
    try:
        warm = [signed(900_000 + i, "HELP") for i in range(100)]
        asyncio.run(post_all(stack.base, warm, args.concurrency))
        wait_for_replies(stack, len(warm), 60)
        stack.fake.messages.clear()
        texts = [signed(i, "HELP") for i in range(args.texts)]
        cpu = stack.cpu()
        started = time.perf_counter()
        _, errors = asyncio.run(post_all(stack.base, texts, args.concurrency))
        posted = time.perf_counter()
        done = wait_for_replies(stack, args.texts, 600)
        got = len(stack.fake.messages)
        print(
            f"end to end: {args.texts} texts, {args.worker_processes} worker process(es), "
            f"Twilio latency {args.twilio_latency:g} s, "
            f"send concurrency {args.send_concurrency or 'default'}: "
            f"webhooks took {posted - started:.1f} s ({args.texts / (posted - started):.0f}/s), "
            f"{got} replies accepted by the REST API after {done - started:.1f} s: "
            f"{got / (done - started):.0f} texts/s fully processed; errors {errors}; "
            f"log errors {stack.log_errors()}"
        )
        print(cpu_line(cpu, stack.cpu(), done - started))
    finally:
        stack.close()


def steady(args: Any) -> None:
    stack = start(args)
    try:
        warm = [signed(900_000 + i, "HELP") for i in range(100)]
        asyncio.run(post_all(stack.base, warm, args.concurrency))
        wait_for_replies(stack, len(warm), 60)
        stack.fake.messages.clear()
        count = int(args.rate * args.seconds)
        texts = [signed(i, "HELP") for i in range(count)]
        cpu = stack.cpu()
        started = time.perf_counter()
        posted, errors = asyncio.run(post_all(stack.base, texts, args.concurrency, args.rate))
        done = wait_for_replies(stack, count, 120)
        delays = [m["_accepted_at"] - posted[m["To"]] for m in stack.fake.messages]
        print(
            f"steady {args.rate:g} texts/s for {args.seconds:g} s (Twilio latency "
            f"{args.twilio_latency:g} s): {len(delays)}/{count} "
            f"replies; webhook to reply p50 {pct(delays, 0.5) * 1000:.0f} ms, "
            f"p99 {pct(delays, 0.99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms; "
            f"errors {errors}; log errors {stack.log_errors()}"
        )
        print(cpu_line(cpu, stack.cpu(), done - started))
    finally:
        stack.close()


def nothing_lost(args: Any) -> None:
    mark = Path(tempfile.mkdtemp(prefix="hotline-sms-lost-")) / "mid-batch"
    args.worker_processes = 1
    stack = start(args, worker_module="tests.faults.flaky_sms_worker")
    stack.kill_workers()  # started again below with the mark set
    try:
        texts = [signed(i, "HELP #flaky" if i % 10 == 3 else "HELP") for i in range(args.texts)]
        stack.start_workers(FLAKY_MARK=str(mark), FLAKY_MARK_AT=str(args.texts // 3))
        started = time.perf_counter()
        _, errors = asyncio.run(post_all(stack.base, texts, args.concurrency))
        while not mark.exists():
            time.sleep(0.01)
        stack.kill_workers()  # SIGKILL in the middle of a batch
        killed_at = len(stack.fake.messages)
        stack.start_workers()
        done = wait_for_replies(stack, args.texts, 1800)
        time.sleep(5)  # anything sent twice would arrive now
        engine = create_engine(stack.url)
        with engine.connect() as conn:
            processed, retried, failed = conn.execute(
                text(
                    "SELECT count(processed_at), count(*) FILTER (WHERE attempts > 0),"
                    " count(failed_at) FROM sms_deliveries"
                )
            ).one()
            stored, distinct = conn.execute(
                text("SELECT count(*), count(DISTINCT sid) FROM sms_messages WHERE direction='in'")
            ).one()
        engine.dispose()
        per_number = Counter(m["To"] for m in stack.fake.messages)
        twice = sum(1 for n in per_number.values() if n > 1)
        print(
            f"nothing lost: {args.texts} texts (errors {errors}), worker SIGKILLed after "
            f"{killed_at} replies, restarted; {processed} processed ({retried} retried, "
            f"{failed} failed), {stored} stored messages ({distinct} distinct sids), "
            f"{len(per_number)} numbers answered, {twice} answered more than once; "
            f"{done - started:.0f} s"
        )
    finally:
        stack.close()
