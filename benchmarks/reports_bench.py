"""How long a supervisor's report and its CSV take on PostgreSQL over many cases.

Loads N cases opened over the last 365 days, spread over the 22 languages, each with
four texts (three from the worker, one adviser reply), and for some a call, a voicemail,
a callback request with a reached or unanswered attempt, topics and a referral; then
times `case_rows` + `summarise` + `cases_csv` for the last 30 days and the whole year.

    .venv/bin/python benchmarks/reports_bench.py --sizes 10000,100000

Uses its own database (default `hotline_bench_reports`), dropped and migrated first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from hotline.agents.models import Agent
from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.callers.models import Caller
from hotline.cases.models import Case, CaseTopic, Referral
from hotline.cases.topics import TOPIC_CODES
from hotline.db import Database
from hotline.directory.models import Organisation
from hotline.languages import LANGUAGES
from hotline.reports.service import DateRange, case_rows, cases_csv, summarise
from hotline.sms.models import SmsMessage
from hotline.voice.models import Call, Voicemail

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import prepare_database

CHUNK = 5000
NOW = dt.datetime(2030, 12, 31, 12, tzinfo=dt.UTC)


def load(url: str, size: int) -> None:
    engine = create_engine(url)
    languages = sorted(LANGUAGES)
    with engine.begin() as conn:
        agent_id = conn.execute(
            insert(Agent)
            .values(name="Bench", languages=["vi"], role="agent", token_hash="x" * 64)
            .returning(Agent.id)
        ).scalar_one()
        org_id = conn.execute(
            insert(Organisation).values(name_ja="法テラス", name_en="Legal aid", kind="legal_aid",
                                        phone="0570-078377", languages=[])
            .returning(Organisation.id)
        ).scalar_one()  # fmt: skip
    for start in range(0, size, CHUNK):
        ids = range(start, min(size, start + CHUNK))
        rows: dict[Any, list[dict[str, Any]]] = {}
        opened = {i: NOW - dt.timedelta(minutes=i * 525_600 // size) for i in ids}
        rows[Caller] = [
            {"id": i + 1, "phone_hash": f"{i:064d}", "phone_encrypted": "x"} for i in ids
        ]
        rows[Case] = [
            {
                "id": i + 1, "reference": f"{i:012d}", "caller_id": i + 1,
                "language": languages[i % len(languages)], "created_at": opened[i],
                "last_activity_at": opened[i],
                "status": "closed" if i % 3 else "open",
                "outcome": "resolved" if i % 3 else None,
                "closed_at": opened[i] + dt.timedelta(days=2) if i % 3 else None,
            }
            for i in ids
        ]  # fmt: skip
        rows[SmsMessage] = [
            {
                "direction": "out" if n == 3 else "in", "kind": "agent" if n == 3 else "worker",
                "caller_id": i + 1, "case_id": i + 1, "body": "x", "status": "received",
                "created_at": opened[i] + dt.timedelta(minutes=n * 37),
            }
            for i in ids
            for n in range(4)
        ]  # fmt: skip
        rows[Call] = [
            {"id": i + 1, "sid": f"CA{i:032d}", "caller_id": i + 1, "case_id": i + 1,
             "started_at": opened[i]}
            for i in ids if i % 2 == 0
        ]  # fmt: skip
        rows[Voicemail] = [
            {"case_id": i + 1, "call_id": i + 1, "recording_sid": f"RE{i:032d}",
             "recording_url": "x", "created_at": opened[i]}
            for i in ids if i % 4 == 0
        ]  # fmt: skip
        rows[CallbackRequest] = [
            {"id": i + 1, "case_id": i + 1, "caller_id": i + 1, "language": "vi",
             "phone_encrypted": "x", "status": "closed",
             "outcome": "reached" if i % 4 == 1 else "no_answer", "created_at": opened[i]}
            for i in ids if i % 2 == 1
        ]  # fmt: skip
        rows[CallbackAttempt] = [
            {"callback_id": i + 1, "agent_id": agent_id,
             "outcome": "reached" if i % 4 == 1 else "no_answer",
             "created_at": opened[i] + dt.timedelta(hours=3)}
            for i in ids if i % 2 == 1
        ]  # fmt: skip
        rows[CaseTopic] = [
            {"case_id": i + 1, "topic": TOPIC_CODES[i % len(TOPIC_CODES)]} for i in ids
        ]
        rows[Referral] = [
            {"case_id": i + 1, "organisation_id": org_id, "at": opened[i]}
            for i in ids
            if i % 5 == 0
        ]
        with engine.begin() as conn:
            for model, values in rows.items():
                if values:
                    conn.execute(insert(model), values)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # as autovacuum would after a load this size
    engine.dispose()


def timed(db: Database, period: DateRange, rounds: int) -> tuple[float, float, int]:
    seconds = []
    count = 0
    for _ in range(rounds):
        began = time.perf_counter()
        with db.session() as session:
            rows = case_rows(session, period)
        summarise(period, rows)
        cases_csv(rows)
        seconds.append(time.perf_counter() - began)
        count = len(rows)
    return statistics.median(seconds) * 1000, max(seconds) * 1000, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="hotline_bench_reports")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    last = NOW.date()
    periods = {
        "30 days": DateRange(last - dt.timedelta(days=29), last),
        "365 days": DateRange(last - dt.timedelta(days=364), last),
    }
    for size in (int(s) for s in args.sizes.split(",")):
        url = prepare_database(args.server, args.database)
        began = time.perf_counter()
        load(url, size)
        print(f"{size} cases loaded in {time.perf_counter() - began:.0f} s")
        db = Database(url)
        for name, period in periods.items():
            median, worst, count = timed(db, period, args.rounds)
            print(f"  {name:<9} {count:>7} rows   median {median:8.1f} ms   max {worst:8.1f} ms")
        db.dispose()


if __name__ == "__main__":
    main()
