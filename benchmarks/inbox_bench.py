"""The inbox on PostgreSQL with many cases: p50/p95 of `GET /api/cases` pages.

Loads N cases (generate_series: spread over the 22 languages; 60% closed, 30% open,
5% waiting, 5% referred; two in five active cases waiting for an answer; 1% urgent;
one or two topics each; a few assigned) and ten messages per case, then times the
agent API in-process (Flask test client: routing, token check, queries, JSON) for an
adviser speaking Vietnamese and English and for a supervisor, at each size:

    .venv/bin/python benchmarks/inbox_bench.py --sizes 1000,100000

Uses its own database (default `hotline_bench_inbox`), dropped and migrated first.
Results and the indexes that make them are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SECRET, prepare_database

from hotline import create_app
from hotline.agents.auth import create_agent
from hotline.cases.topics import TOPIC_CODES
from hotline.config import Settings
from hotline.crypto import encrypt_phone
from hotline.encryption import Keyring, derived_key
from hotline.languages import LANGUAGES
from hotline.runtime import Runtime

CODES = sorted(LANGUAGES)
QUERIES = {
    "first page (latest activity)": "/api/cases",
    "first page (needs reply first)": "/api/cases?sort=needs_reply",
    "filtered (vi, unassigned, unpaid wages)": (
        "/api/cases?language=vi&assigned=none&topic=unpaid_wages&sort=needs_reply"
    ),
    "filtered (waiting for an answer, page 3)": "/api/cases?needs_reply=true&page=3",
    "by reference": "/api/cases?q=1000",
}


def load(url: str, size: int, messages_per_case: int) -> None:
    engine = create_engine(url)
    languages = "ARRAY[" + ",".join(f"'{c}'" for c in CODES) + "]"
    topics = "ARRAY[" + ",".join(f"'{t}'" for t in TOPIC_CODES) + "]"
    phone = encrypt_phone(SECRET, "+819000000001")
    # Bodies are stored encrypted, as the hotline stores them (one sealed text, copied).
    body = Keyring(derived_key(SECRET)).seal_text("message", "sms_messages.body")
    # The SQL below is built from constants of this script only.
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO callers (id, phone_hash, phone_encrypted, language, created_at) "  # noqa: S608
                f"SELECT i, md5(i::text), :phone, ({languages})[1 + i % {len(CODES)}], "
                "now() - (i || ' minutes')::interval FROM generate_series(1, :n) AS i"
            ),
            {"phone": phone, "n": size},
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, reference, caller_id, language, status, outcome, urgent, "
                "awaiting_reply_since, created_at, last_activity_at, closed_at) "
                "SELECT id, (1000000 + id)::text, id, language, s.status, "
                "CASE WHEN s.status = 'closed' THEN 'resolved' END, id % 100 = 0, "
                "CASE WHEN s.status <> 'closed' AND id % 5 < 2 "
                "     THEN now() - ((id % 10000) || ' minutes')::interval END, "
                "created_at, now() - ((id * 7 % 100000) || ' seconds')::interval, "
                "CASE WHEN s.status = 'closed' THEN now() END "
                "FROM callers, LATERAL (SELECT CASE WHEN id % 20 < 12 THEN 'closed' "
                "  WHEN id % 20 < 18 THEN 'open' WHEN id % 20 = 18 THEN 'waiting' "
                "  ELSE 'referred' END AS status) AS s"
            )
        )
        conn.execute(
            text(
                "INSERT INTO case_topics (case_id, topic) "  # noqa: S608
                f"SELECT id, ({topics})[1 + id % {len(TOPIC_CODES)}] FROM cases "
                f"UNION SELECT id, ({topics})[1 + (id / 3) % {len(TOPIC_CODES)}] FROM cases "
                "WHERE id % 3 = 0"
            )
        )
        conn.execute(
            text(
                "INSERT INTO sms_messages (direction, kind, caller_id, case_id, body, language, "
                "status, segments, num_media, created_at, updated_at) "
                "SELECT CASE WHEN m % 2 = 0 THEN 'in' ELSE 'out' END, 'worker', c.id, c.id, "
                ":body, c.language, 'received', 1, 0, "
                "c.created_at + (m || ' minutes')::interval, now() "
                "FROM cases AS c, generate_series(1, :m) AS m"
            ),
            {"m": messages_per_case, "body": body},
        )
        for table in ("callers", "cases"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def time_requests(client: object, token: str, path: str, rounds: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path, headers=headers)  # type: ignore[attr-defined]
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--database", default="hotline_bench_inbox")
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--messages-per-case", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    results: dict[str, dict[int, tuple[float, float]]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        url = prepare_database(args.server, args.database)
        started = time.perf_counter()
        load(url, size, args.messages_per_case)
        print(
            f"loaded {size} cases, {size * args.messages_per_case} messages "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        settings = Settings(
            instance_path=Path(tempfile.mkdtemp()),
            database_url=url,
            redis_url=args.redis,
            secret_key=SECRET,
            public_url="http://127.0.0.1:5000",
        )
        runtime = Runtime(settings)
        with runtime.db.session() as session:
            _, adviser = create_agent(session, SECRET, name="Lan", languages="vi,en", phone=None)
            _, supervisor = create_agent(
                session, SECRET, name="Lead", languages="ja", phone=None, role="supervisor"
            )
        client = create_app(runtime=runtime).test_client()
        for who, token in (("adviser vi,en", adviser), ("supervisor", supervisor)):
            for name, path in QUERIES.items():
                time_requests(client, token, path, 20)  # warm caches and the pool
                latencies = time_requests(client, token, path, args.rounds)
                key = f"{who}: {name}"
                results.setdefault(key, {})[size] = (
                    statistics.median(latencies),
                    pct(latencies, 95),
                )
        runtime.close()
    sizes = sorted({s for r in results.values() for s in r})
    print(
        "\n| request | " + " | ".join(f"{s:,} cases p50 / p95 ms" for s in sizes) + " | p95 ratio |"
    )
    print("| --- |" + " --- |" * (len(sizes) + 1))
    for key, by_size in results.items():
        cells = [f"{by_size[s][0]:.1f} / {by_size[s][1]:.1f}" for s in sizes]
        ratio = by_size[sizes[-1]][1] / by_size[sizes[0]][1] if len(sizes) > 1 else 1.0
        print(f"| {key} | " + " | ".join(cells) + f" | {ratio:.2f} |")


if __name__ == "__main__":
    main()
