"""What telling a returning caller their case's status costs `/voice/incoming`.

The first step of a call looks the caller up by the keyed hash of their number. Since
the case status is told after the greeting, that look-up also returns the status of
the caller's case not yet closed, or of the latest one closed within 30 days (a
correlated subquery: `hotline.voice.case_status`). This times, on PostgreSQL, one
statement at a time through the ORM session as the webhook runs it:

- `caller only`: the look-up before the status was told (`hotline.callers.service`);
- `caller + status`: the look-up the webhook runs now (one round trip);
- `caller, then status`: the same answer in two statements (what folding saves).

Callers are loaded with `generate_series`: a quarter without a case, a quarter with
one case not yet closed (open, waiting or referred), a quarter with one closed case
(closed 0-120 days ago), a quarter with three old closed cases and one open. Looked-up
numbers are drawn at random, one in five unknown (a new caller).

    .venv/bin/python benchmarks/voice_status_bench.py --sizes 1000,100000,1000000

Uses its own database (default `hotline_bench_voicestatus`), dropped and migrated first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, select, text
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.db import Database
from hotline.voice import case_status

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import prepare_database

NOW = dt.datetime(2030, 1, 15, 1, 0, tzinfo=dt.UTC)
_CALLER_ONLY = select(Caller).where(Caller.phone_hash == bindparam("digest"))
_STATUS_ONLY = (
    select(Case.status)
    .where(
        Case.caller_id == bindparam("caller_id"),
        (Case.status != "closed") | (Case.closed_at >= bindparam("closed_since")),
    )
    .order_by(Case.closed_at.desc().nulls_first(), Case.id.desc())
    .limit(1)
)


def digest(i: int) -> str:
    return hashlib.md5(str(i).encode(), usedforsecurity=False).hexdigest()


def load(url: str, size: int) -> None:
    engine = create_engine(url)
    now = NOW.replace(tzinfo=None)
    # The SQL below is built from constants of this script only.
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE cases, callers RESTART IDENTITY CASCADE"))
        conn.execute(
            text(
                "INSERT INTO callers (id, phone_hash, phone_encrypted, language, created_at) "
                "SELECT i, md5(i::text), 'x', 'vi', :now FROM generate_series(1, :n) AS i"
            ),
            {"n": size, "now": now},
        )
        # One case not yet closed: callers 1, 3 mod 4 (open / waiting / referred).
        conn.execute(
            text(
                "INSERT INTO cases (reference, caller_id, language, status, urgent, "
                "created_at, last_activity_at) "
                "SELECT 'A' || id, id, 'vi', (ARRAY['open','waiting','referred'])[1 + id % 3], "
                "false, :now, :now FROM callers WHERE id % 4 IN (1, 3)"
            ),
            {"now": now},
        )
        # Closed cases: one for callers 2 mod 4 (0-120 days ago), three old ones for 3 mod 4.
        conn.execute(
            text(
                "INSERT INTO cases (reference, caller_id, language, status, outcome, urgent, "
                "created_at, last_activity_at, closed_at) "
                "SELECT 'C' || c.id || '-' || k, c.id, 'vi', 'closed', 'resolved', false, "
                ":now, :now, :now - make_interval(days => (c.id * 7 + k * 40) % 121) "
                "FROM callers c CROSS JOIN generate_series(1, 3) AS k "
                "WHERE (c.id % 4 = 2 AND k = 1) OR c.id % 4 = 3"
            ),
            {"now": now},
        )
        conn.execute(text("ANALYZE callers"))
        conn.execute(text("ANALYZE cases"))
    engine.dispose()


def timed(session: Session, run: Callable[[str], Any], digests: list[str]) -> list[float]:
    latencies = []
    for d in digests:
        start = time.perf_counter()
        run(d)
        latencies.append(time.perf_counter() - start)
        session.expunge_all()
    return latencies


def measure(url: str, size: int, lookups: int, explain: bool) -> None:
    db = Database(url)
    rng = random.Random(size)
    since = NOW - case_status.TELL_CLOSED_WITHIN
    digests = [digest(rng.randint(1, size * 5 // 4)) for _ in range(lookups)]
    with db.sessionmaker() as session:

        def caller_only(d: str) -> Any:
            return session.execute(_CALLER_ONLY, {"digest": d}).first()

        def folded(d: str) -> Any:
            params = {"digest": d, "closed_since": since}
            return session.execute(case_status.CALLER_AND_STATUS, params).first()

        def two_statements(d: str) -> Any:
            row = session.execute(_CALLER_ONLY, {"digest": d}).first()
            if row is None:
                return None
            params = {"caller_id": row[0].id, "closed_since": since}
            return row[0], session.scalar(_STATUS_ONLY, params)

        # Same answers from the folded statement and the two statements.
        for d in digests[:200]:
            one, two = folded(d), two_statements(d)
            assert (one is None and two is None) or (one[1] == two[1]), (d, one, two)
        runs = {"caller only": caller_only, "caller + status": folded}
        runs["caller, then status"] = two_statements
        for run in runs.values():
            timed(session, run, digests[:500])  # warm-up
        for name, run in runs.items():
            ms = sorted(x * 1000 for x in timed(session, run, digests))
            p95 = ms[int(len(ms) * 0.95)]
            print(
                f"{size:>9,} callers  {name:<20} p50 {statistics.median(ms):.3f} ms"
                f"  p95 {p95:.3f} ms"
            )
        if explain:
            compiled = case_status.CALLER_AND_STATUS.compile(db.engine)
            sql = str(compiled)
            since_naive = since.replace(tzinfo=None)  # the column type is not applied here
            params = {**compiled.params, "digest": digest(3), "closed_since": since_naive}
            plan = session.connection().exec_driver_sql("EXPLAIN ANALYZE " + sql, params)
            print("\n".join(row[0] for row in plan))
    db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="hotline_bench_voicestatus")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    url = prepare_database(args.server, args.database)
    for size in (int(s) for s in args.sizes.split(",")):
        load(url, size)
        measure(url, size, args.lookups, args.explain)


if __name__ == "__main__":
    main()
