"""Claims per second and claim latency with concurrent agents on PostgreSQL.

Loads a queue of N callback requests (generate_series, spread over the 22 languages,
the four windows, 1% urgent, 5% waiting for a retry), then lets 16 agent threads (each
with its own connection, speaking two or three languages) claim through the real
`claim_next` for a fixed time. Each claimed request is put back at the end of the queue
in a second transaction, so the queue keeps its size during the run.

    .venv/bin/python benchmarks/claims_bench.py --sizes 1000,100000,1000000

Uses its own database (default `hotline_bench_claims`), dropped and migrated first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, create_engine, text

from hotline.agents.models import Agent
from hotline.callbacks.models import CallbackRequest
from hotline.callbacks.queue import claim_next
from hotline.crypto import encrypt_phone
from hotline.db import Database
from hotline.languages import LANGUAGES

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SECRET, prepare_database

NOW = dt.datetime(2030, 1, 15, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(dt.UTC)
QUIET = "21:00-08:00"
CODES = list(LANGUAGES)
_TABLE = CallbackRequest.__table__
REQUEUE = (
    _TABLE.update()  # type: ignore[attr-defined]
    .where(_TABLE.c.id == bindparam("b_id"))
    .values(status="queued", claimed_by_id=None, lease_expires_at=None, next_attempt_at=NOW)
)


def load_queue(url: str, size: int, agents: int) -> list[int]:
    """Fill the queue with `size` requests and create the agents; returns agent ids."""
    engine = create_engine(url)
    phone = encrypt_phone(SECRET, "+819000000001")
    languages = "ARRAY[" + ",".join(f"'{c}'" for c in CODES) + "]"
    now = NOW.replace(tzinfo=None)
    # The SQL below is built from constants of this script only.
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE callback_requests, cases, callers, agents, audit_events "
                "RESTART IDENTITY CASCADE"
            )
        )
        conn.execute(
            text(
                "INSERT INTO callers (id, phone_hash, phone_encrypted, language, created_at) "  # noqa: S608
                f"SELECT i, md5(i::text), :phone, ({languages})[1 + i % {len(CODES)}], :now "
                "FROM generate_series(1, :n) AS i"
            ),
            {"phone": phone, "n": size, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, reference, caller_id, language, status, urgent, "
                "created_at, last_activity_at) "
                "SELECT id, 'B' || id, id, language, 'open', false, :now, :now FROM callers"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO callback_requests (case_id, caller_id, language, phone_encrypted, "
                '"window", may_identify, sms_allowed, urgent, priority, source, status, '
                "attempts, next_attempt_at, created_at, updated_at) "
                "SELECT id, id, language, :phone, "
                "(ARRAY['any','any','any','morning','afternoon','evening'])[1 + id % 6], "
                "false, false, id % 100 = 0, CASE WHEN id % 100 = 0 THEN 100 ELSE 0 END, "
                "'voice', 'queued', CASE WHEN id % 20 = 0 THEN 1 ELSE 0 END, "
                "CASE WHEN id % 20 = 0 THEN :now + interval '2 hours' "
                "     ELSE :now - (id || ' seconds')::interval END, "
                ":now - (id || ' seconds')::interval, :now FROM callers"
            ),
            {"phone": phone, "now": now},
        )
        for table in ("callers", "cases", "callback_requests"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE callback_requests"))
    ids = []
    with Database(url).session() as session:
        for k in range(agents):
            langs = sorted({CODES[k % len(CODES)], CODES[(k + 7) % len(CODES)], "en"})
            agent = Agent(name=f"Bench {k}", languages=langs, token_hash=f"bench-{k}", role="agent")
            session.add(agent)
            session.flush()
            ids.append(agent.id)
    engine.dispose()
    return ids


@dataclass
class Result:
    size: int
    claims: int
    seconds: float
    latencies_ms: list[float]
    empty: int

    @property
    def rate(self) -> float:
        return self.claims / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def agent_loop(db: Database, agent_id: int, window: tuple[float, float], out: list) -> None:
    """One agent: claim, then put the request back at the end of the queue."""
    begin, end = window
    session = db.sessionmaker()
    agent = session.get(Agent, agent_id)
    assert agent is not None
    session.commit()
    latencies: list[float] = []
    empty = 0
    while True:
        started = time.monotonic()
        if started >= end:
            break
        callback = claim_next(session, agent, quiet_hours=QUIET, now=NOW)
        session.commit()
        elapsed = (time.monotonic() - started) * 1000
        if callback is None:
            empty += started >= begin
            continue
        # Back to the end of the queue, so the queue keeps its size.
        session.execute(REQUEUE, {"b_id": callback.id})
        session.commit()
        if started >= begin:
            latencies.append(elapsed)
    session.close()
    out.append((latencies, empty))


def worker_process(url: str, agent_ids: list[int], pipe: Connection) -> None:
    """A process of agents (threads), like one web worker serving several agents."""
    db = Database(url, pool_size=len(agent_ids), max_overflow=0)
    pipe.send("ready")
    window = pipe.recv()
    results: list = []
    threads = [
        threading.Thread(target=agent_loop, args=(db, agent_id, window, results))
        for agent_id in agent_ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.dispose()
    pipe.send(results)
    pipe.close()


def run(
    url: str, size: int, agent_ids: list[int], seconds: float, warmup: float, processes: int
) -> Result:
    context = mp.get_context("spawn")
    pipes = []
    children = []
    for k in range(processes):
        parent_end, child_end = context.Pipe()
        child = context.Process(
            target=worker_process, args=(url, agent_ids[k::processes], child_end)
        )
        child.start()
        pipes.append(parent_end)
        children.append(child)
    for pipe in pipes:
        assert pipe.recv() == "ready"
    begin = time.monotonic() + warmup
    window = (begin, begin + seconds)
    for pipe in pipes:
        pipe.send(window)
    latencies: list[float] = []
    empty = 0
    for pipe in pipes:
        for mine, none in pipe.recv():
            latencies.extend(mine)
            empty += none
    for child in children:
        child.join()
    return Result(size, len(latencies), seconds, latencies, empty)


def explain(url: str, agent_languages: list[str]) -> str:
    engine = create_engine(url)
    langs = ",".join(f"'{c}'" for c in agent_languages)
    query = (
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM callback_requests "  # noqa: S608
        "WHERE status = 'queued' AND next_attempt_at <= :now "
        "AND \"window\" IN ('any','morning') "
        f"AND language IN ({langs}) ORDER BY priority DESC, next_attempt_at, id "
        "LIMIT 1 FOR UPDATE SKIP LOCKED"
    )
    with engine.begin() as conn:
        rows = conn.execute(text(query), {"now": NOW.replace(tzinfo=None)}).scalars().all()
    engine.dispose()
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="hotline_bench_claims")
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--agents", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--processes", type=int, default=2, help="processes the agents are spread over"
    )
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    url = prepare_database(args.server, args.database)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        began = time.perf_counter()
        agent_ids = load_queue(url, size, args.agents)
        print(f"loaded {size:>9,} requests in {time.perf_counter() - began:.1f} s", flush=True)
        if args.explain:
            print(explain(url, ["en", "vi", "km"]))
        result = run(url, size, agent_ids, args.seconds, args.warmup, args.processes)
        results.append(result)
        print(
            f"queue {size:>9,}: {result.rate:7.0f} claims/s  "
            f"p50 {statistics.median(result.latencies_ms):6.2f} ms  "
            f"p99 {result.pct(99):6.2f} ms  ({result.claims} claims, {result.empty} empty)",
            flush=True,
        )
    print()
    print("| queue size | claims/s | p50 latency | p99 latency |")
    print("| ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r.size:,} | {r.rate:,.0f} | {statistics.median(r.latencies_ms):.2f} ms "
            f"| {r.pct(99):.2f} ms |"
        )


if __name__ == "__main__":
    main()
