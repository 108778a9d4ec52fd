"""What the benchmark scripts share: a database of their own, and for the gunicorn
benchmarks (`sms_bench`, `voice_bench`) the servers, the load client and the result line.

A plain module, imported as `common`: the scripts put this directory on `sys.path`
first, because gunicorn imports them as `benchmarks.<name>` (for their `bare_app()`)
rather than running them as scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOKEN = "benchmark-auth-token-0000"
SECRET = "benchmark-secret-key-not-for-production"
PUBLIC_URL = "https://hotline.example.org"

Request = tuple[str, bytes, str]  # path, body, signature


def prepare_database(server_url: str, name: str) -> str:
    """Create database `name` on the server if missing, empty its schema and migrate it;
    returns its URL. Every run starts from the same empty, current schema."""
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


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu: tuple[float, float] = (0.0, 0.0)  # seconds: the server's processes, PostgreSQL's

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    @classmethod
    def pooled(cls, parts: list[Result]) -> Result:
        """Several timed runs of the same server as one: their requests over their time."""
        return cls(
            parts[0].name,
            sum(p.requests for p in parts),
            sum(p.seconds for p in parts),
            [x for p in parts for x in p.latencies],
            sum(p.errors for p in parts),
            (sum(p.cpu[0] for p in parts), sum(p.cpu[1] for p in parts)),
        )

    def cpu_line(self) -> str:
        """CPU time per request: the server's own, and PostgreSQL's while it ran."""
        web, db = (seconds / self.requests * 1e6 for seconds in self.cpu)
        return f"{self.name:<22} CPU per request: server {web:5.0f} µs, PostgreSQL {db:4.0f} µs"

    def line(self) -> str:
        return (
            f"{self.name:<22} {self.rps:8.0f} req/s   p50 {self.pct(0.50):6.1f} ms   "
            f"p99 {self.pct(0.99):6.1f} ms   mean {statistics.mean(self.latencies) * 1000:6.1f} ms"
            f"   errors {self.errors}"
        )


def bare_flask() -> Any:
    """The ceiling's start: a Flask app with only `/healthz` (what `serving` waits for);
    each script adds its routes."""
    from flask import Flask

    app = Flask("bare")

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


FLOOR_DSN = "HOTLINE_BENCH_FLOOR_DSN"


def with_one_insert(app: Any) -> Any:
    """The floor: `app` (a ceiling) plus the least a webhook that keeps what it receives
    must do, one INSERT of the raw form into PostgreSQL, committed before the answer.

    Each server thread keeps its own psycopg connection in autocommit mode: one round
    trip per request, no ORM, no pool, no transaction of several statements. No webhook
    that stores a delivery durably before answering can be cheaper than this.
    """
    import threading

    import psycopg
    from flask import request

    dsn = make_url(os.environ[FLOOR_DSN]).set(drivername="postgresql")
    conninfo = dsn.render_as_string(hide_password=False)
    local = threading.local()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY,"
            " path text NOT NULL, form bytea NOT NULL)"
        )

    @app.before_request
    def store() -> None:
        if request.method != "POST":
            return
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(conninfo, autocommit=True)
        conn.execute(
            "INSERT INTO bench_floor (path, form) VALUES (%s, %s)",
            (request.path, request.get_data()),
        )

    return app


def add_server_options(parser: argparse.ArgumentParser, database: str, redis_db: int) -> None:
    """The options after the script's own: gunicorn settings, PostgreSQL and Redis."""
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="also time the hotline alone at this steady rate (requests/s, open loop)",
    )
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--database", default=database)
    parser.add_argument("--redis", default=f"redis://127.0.0.1:6379/{redis_db}")


def hotline_env(database_url: str, redis_url: str, instance_prefix: str) -> dict[str, str]:
    """The hotline's settings for the run: Twilio signatures checked with TOKEN, and no
    Twilio account or Google project, so nothing leaves the machine."""
    instance = tempfile.mkdtemp(prefix=instance_prefix)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_INSTANCE_PATH": instance,
    }
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_NUMBER", "GOOGLE_CLOUD_PROJECT"):
        env.pop(key, None)
    return env


def hotline_command(port: int, args: argparse.Namespace) -> list[str]:
    return [
        str(BIN / "hotline"),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
    ]


def ceiling_command(port: int, args: argparse.Namespace, app: str) -> list[str]:
    """gunicorn with the settings `hotline serve` uses, serving `app` (module:factory()).

    `hotline serve` also writes an access log line per request; the ceiling does too
    (to the same /dev/null), so the two differ only in the application."""
    return [
        str(BIN / "gunicorn"),
        "-w",
        str(args.workers),
        "--threads",
        str(args.threads),
        "-k",
        "gthread",
        "-b",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        app,
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, *procs: subprocess.Popen[bytes]) -> None:
    """Wait for /healthz; fail at once when one of `procs` (web, worker) has exited."""
    import requests

    for _ in range(1200):  # two minutes: a loaded machine starts gunicorn slowly
        if any(proc.poll() is not None for proc in procs):
            raise RuntimeError("a process exited during start-up")
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


@contextmanager
def serving(argv: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Run the server in `argv` until the block ends; yields its base URL once healthy."""
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(base, proc)
        SERVER_PIDS[base] = proc.pid
        yield base
    finally:
        SERVER_PIDS.pop(base, None)
        stop(proc)


SERVER_PIDS: dict[str, int] = {}  # a running server's base URL: its first process


def _processes() -> list[tuple[int, int, str, int]]:
    """Every process's id, parent, command name and CPU time so far (clock ticks)."""
    table = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # After the name: state, ppid, ... utime and stime are fields 14 and 15 of stat.
        table.append((int(entry), int(fields[1]), comm, int(fields[11]) + int(fields[12])))
    return table


def cpu_seconds(base: str) -> tuple[float, float]:
    """CPU time used so far by the server at `base` (its processes) and by PostgreSQL's
    (all of them: only one server is under load at a time)."""
    table = _processes()
    tree = {SERVER_PIDS[base]}
    grew = True
    while grew:
        grew = False
        for pid, ppid, _, _ in table:
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    tick = os.sysconf("SC_CLK_TCK")
    web = sum(ticks for pid, _, _, ticks in table if pid in tree) / tick
    db = sum(ticks for _, _, comm, ticks in table if comm.startswith("postgres")) / tick
    return web, db


async def _timed_steps(
    session: aiohttp.ClientSession,
    base: str,
    steps: list[Request],
    ok: Callable[[int, bytes], bool],
    latencies: list[float],
) -> int:
    """Post one sequence's requests in order, timing each; returns how many failed."""
    errors = 0
    for path, body, signature in steps:
        headers = {
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        started = time.perf_counter()
        try:
            async with session.post(base + path, data=body, headers=headers) as r:
                good = ok(r.status, await r.read())
                failure = f"HTTP {r.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            good, failure = False, type(exc).__name__
        latencies.append(time.perf_counter() - started)
        if not good:
            errors += 1
            FAILURES[failure] += 1
    return errors


# What the errors of a run were (an HTTP status, or the client's exception; warm-ups
# included), printed at its end: a server that fails fast would otherwise look fast.
FAILURES: collections.Counter[str] = collections.Counter()


async def drive(
    name: str,
    base: str,
    sequences: list[list[Request]],
    conc: int,
    ok: Callable[[int, bytes], bool],
) -> Result:
    """`conc` clients take the next sequence (an SMS, or the steps of one call) until none
    is left, posting its requests in order; each request is timed, and counts as an error
    unless `ok(status, body)`."""
    latencies: list[float] = []
    errors = 0
    pending = list(reversed(sequences))
    connector = aiohttp.TCPConnector(limit=conc)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def client() -> None:
            nonlocal errors
            while pending:
                errors += await _timed_steps(session, base, pending.pop(), ok, latencies)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(conc)))
        seconds = time.perf_counter() - started
    return Result(name, len(latencies), seconds, latencies, errors)


async def drive_at_rate(
    name: str,
    base: str,
    sequences: list[list[Request]],
    rate: float,
    conc: int,
    ok: Callable[[int, bytes], bool],
) -> Result:
    """Open loop: sequences start at a steady `rate` of requests per second whether or
    not earlier ones have been answered (at most `conc` in flight), as texts and calls
    arrive in life; what is timed is each request's answer."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=conc)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(steps: list[Request]) -> None:
            nonlocal errors
            errors += await _timed_steps(session, base, steps, ok, latencies)

        started = time.perf_counter()
        tasks = []
        due = started
        for steps in sequences:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(steps)))
            due += len(steps) / rate
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - started
    return Result(name, len(latencies), seconds, latencies, errors)


def measure(
    name: str,
    argv: list[str],
    env: dict[str, str],
    port: int,
    concurrency: int,
    warmup: Callable[[], list[list[Request]]],
    load: Callable[[], list[list[Request]]],
    ok: Callable[[int, bytes], bool],
) -> Result:
    """Start the server, warm it up, and time the load; the requests are signed before
    their clock starts."""
    with serving(argv, env, port) as base:
        asyncio.run(drive("warm-up", base, warmup(), concurrency, ok))
        return asyncio.run(drive(name, base, load(), concurrency, ok))


def with_cpu(
    base: str,
    name: str,
    sequences: list[list[Request]],
    conc: int,
    ok: Callable[[int, bytes], bool],
) -> Result:
    """`drive`, with the CPU time the server at `base` and PostgreSQL used meanwhile."""
    before = cpu_seconds(base)
    result = asyncio.run(drive(name, base, sequences, conc, ok))
    after = cpu_seconds(base)
    result.cpu = (after[0] - before[0], after[1] - before[1])
    return result


def compare(
    args: argparse.Namespace,
    env: dict[str, str],
    name: str,
    ceiling_app: str,
    floor_app: str,
    warmup: Callable[[], list[list[Request]]],
    load: Callable[[int], list[list[Request]]],
    ok: Callable[[int, bytes], bool],
) -> None:
    """The same load against `hotline serve`, against the bare-Flask `ceiling_app`, and
    against `floor_app` (the ceiling plus one durable INSERT per request), each under
    gunicorn with the same settings, all three running at once and taking turns:
    `args.rounds` rounds of `args.requests / args.rounds` requests each, in an order that
    rotates, so that the machine's changing speed (other tenants) falls on all three
    alike. Prints each round and the whole run, then flushes the Redis database. With
    --rate, the hotline is also timed at that steady rate."""
    floor_env = {**env, FLOOR_DSN: env["DATABASE_URL"]}
    servers = [
        (name, hotline_command, env),
        (
            "bare Flask ceiling",
            lambda port, args: ceiling_command(port, args, ceiling_app),
            floor_env,
        ),
        (
            "floor: + one INSERT",
            lambda port, args: ceiling_command(port, args, floor_app),
            floor_env,
        ),
    ]
    per_round = max(1, args.requests // args.rounds)
    rounds: list[dict[str, Result]] = []
    steady = None
    with ExitStack() as stack:
        bases = {}
        for label, command, server_env in servers:
            port = free_port()
            bases[label] = stack.enter_context(serving(command(port, args), server_env, port))
            asyncio.run(drive("warm-up", bases[label], warmup(), args.concurrency, ok))
        for number in range(args.rounds):
            turn = number % len(servers)
            order = [label for label, _, _ in servers[turn:] + servers[:turn]]
            loads = {label: load(per_round) for label in order}  # signed before the clock
            timed = {
                label: with_cpu(bases[label], label, loads[label], args.concurrency, ok)
                for label in order
            }
            rounds.append({label: timed[label] for label, _, _ in servers})
            print(_round_line(number + 1, rounds[-1]), flush=True)
        if args.rate:
            steady = asyncio.run(
                drive_at_rate(
                    f"hotline at {args.rate:g}/s",
                    bases[name],
                    load(args.requests),
                    args.rate,
                    args.concurrency,
                    ok,
                )
            )
    redis.Redis.from_url(args.redis).flushdb()
    hotline, ceiling, floor = (Result.pooled([r[label] for r in rounds]) for label, _, _ in servers)
    for result in (hotline, ceiling, floor):
        print(result.line())
    for result in (hotline, ceiling, floor):
        print(result.cpu_line())
    if steady is not None:
        print(steady.line())
    by_round = [(r[name].rps, r[servers[1][0]].rps, r[servers[2][0]].rps) for r in rounds]
    print(
        f"hotline / ceiling: {hotline.rps / ceiling.rps:.0%} of the ceiling's throughput"
        f" (rounds' median {statistics.median(h / c for h, c, _ in by_round):.0%})"
    )
    print(
        f"floor / ceiling: {floor.rps / ceiling.rps:.0%} (the most a storing webhook can"
        f" reach; rounds' median {statistics.median(f / c for _, c, f in by_round):.0%})"
    )
    print(
        f"hotline / floor: {hotline.rps / floor.rps:.0%} of the whole run"
        f" (rounds' median {statistics.median(h / f for h, _, f in by_round):.0%})"
    )
    print_failures()


def print_failures() -> None:
    if FAILURES:
        print("errors:", ", ".join(f"{n} x {what}" for what, n in FAILURES.most_common()))


def _round_line(number: int, results: dict[str, Result]) -> str:
    hotline, ceiling, floor = results.values()
    return (
        f"round {number}: hotline {hotline.rps:5.0f} (p99 {hotline.pct(0.99):5.1f} ms),"
        f" ceiling {ceiling.rps:5.0f}, floor {floor.rps:5.0f} req/s;"
        f" hotline / floor {hotline.rps / floor.rps:.0%}"
        f"{'' if not any(r.errors for r in results.values()) else '  ERRORS'}"
    )
