"""Benchmark: 1,000 incoming texts in mixed languages, from ingest to translated.

30% of the texts repeat earlier ones; the fake Google Translate (tests/fakes) answers
every request after 50 ms; two RQ worker processes run the `sms.translate` jobs against
PostgreSQL and Redis. Reports texts per second and characters billed, against the
bound "unique characters x target languages".

    .venv/bin/python benchmarks/translation_bench.py [--texts 1000] [--workers 2]
        [--latency 0.05] [--database-url postgresql+psycopg://postgres@127.0.0.1/...]
        [--redis-url redis://127.0.0.1:6379/4]

Uses (and wipes) its own PostgreSQL database, `hotline_bench_translation` by default.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from hotline.callers.service import get_or_create_caller
from hotline.cases.service import open_case_for
from hotline.config import Settings
from hotline.jobs import defer, relay
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.models import Translation
from hotline.translation.redaction import normalise, protect
from hotline.translation.usage import usage_summary
from tests.fakes.google_translate import start_fake_google_translate

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import prepare_database

PROJECT = "hotline-bench-project"
LANGUAGE_MIX = {
    "vi": 30,
    "id": 12,
    "fil": 10,
    "zh": 10,
    "ne": 10,
    "my": 8,
    "th": 5,
    "en": 5,
    "ja": 5,
    "pt": 5,
}
LANGUAGES_ORDER = list(LANGUAGE_MIX)
FRAGMENTS = {
    "vi": ("Công ty không trả lương", "Tôi làm việc", "Chủ nhà giữ hộ chiếu", "Tôi bị thương"),
    "id": ("Perusahaan tidak membayar gaji", "Saya bekerja", "Paspor saya ditahan"),
    "fil": ("Hindi binabayaran ang sahod ko", "Nagtatrabaho ako", "Kinuha ang pasaporte ko"),
    "zh": ("公司不付工资", "我每天工作", "老板拿走了我的护照"),
    "ne": ("कम्पनीले तलब दिएन", "म काम गर्छु", "मेरो राहदानी राखियो"),
    "my": ("ကုမ္ပဏီက လစာမပေးဘူး", "ကျွန်တော် အလုပ်လုပ်တယ်"),
    "th": ("บริษัทไม่จ่ายเงินเดือน", "ฉันทำงานทุกวัน"),
    "en": ("My employer has not paid me", "I work every day", "They kept my passport"),
    "ja": ("会社が給料を払いません", "毎日働いています", "パスポートを取られました"),
    "pt": ("A empresa não paga o salário", "Trabalho todos os dias"),
}


def make_texts(count: int, repeat_share: float, seed: int = 7) -> list[tuple[str, str]]:
    """(language, text) pairs: unique texts, then repeats of them mixed in."""
    rng = random.Random(seed)
    languages = [code for code, weight in LANGUAGE_MIX.items() for _ in range(weight)]
    unique: list[tuple[str, str]] = []
    n_unique = count - int(count * repeat_share)
    for i in range(n_unique):
        lang = rng.choice(languages)
        fragment = rng.choice(FRAGMENTS[lang])
        detail = f"{i % 12 + 1} / {rng.randint(1, 28)} ({i})"
        body = f"{fragment}. {detail}"
        if i % 10 == 0:
            body += f" 090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        unique.append((lang, body))
    texts = list(unique)
    texts += [rng.choice(unique) for _ in range(count - n_unique)]
    rng.shuffle(texts)
    return texts


def _worker(settings: Settings) -> None:
    logging.basicConfig(level=logging.WARNING)
    from rq import SimpleWorker

    from hotline.handlers import register_handlers
    from hotline.jobs import REGISTRY, queue
    from hotline.runtime import set_current

    runtime = Runtime(settings)
    set_current(runtime)
    register_handlers(REGISTRY)
    SimpleWorker([queue(runtime)], connection=runtime.redis).work(
        burst=False, logging_level="WARNING"
    )


def fresh_database(url: str) -> str:
    """Empty and migrate the database named in `url`, created through the server's
    `postgres` database if missing."""
    base = make_url(url)
    server = base.set(database="postgres").render_as_string(hide_password=False)
    return prepare_database(server, base.database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=float, default=0.30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_translation",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    parser.add_argument(
        "--mode",
        choices=("live", "backlog"),
        default="live",
        help="live: workers translate while texts arrive; backlog: all texts queued "
        "first, then the workers are timed alone",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    database_url = fresh_database(args.database_url)
    redis.Redis.from_url(args.redis_url).flushdb()
    fake = start_fake_google_translate(PROJECT)
    fake.latency = args.latency
    instance = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    settings = Settings(
        instance_path=instance,
        database_url=database_url,
        redis_url=args.redis_url,
        public_url="https://hotline.example.org",
        secret_key="bench-secret-key-not-for-production",
        google_cloud_project=PROJECT,
        google_translate_endpoint=fake.url,
    )
    texts = make_texts(args.texts, args.repeats)
    runtime = Runtime(settings)

    ctx = mp.get_context("spawn")
    workers = [ctx.Process(target=_worker, args=(settings,)) for _ in range(args.workers)]
    for proc in workers:
        proc.start()
    time.sleep(3)  # let the workers import and connect before the clock starts

    started = time.perf_counter()
    for i, (lang, body) in enumerate(texts):
        # One transaction per text, as the SMS webhook writes it; in `--mode backlog`
        # nothing is pushed to Redis yet (as during a Redis outage).
        with runtime.session() if args.mode == "live" else runtime.db.session() as session:
            number = f"+8190{LANGUAGES_ORDER.index(lang):02d}{i % 60:06d}"
            caller = get_or_create_caller(session, settings.secret_key, number)
            caller.language = lang
            case = open_case_for(session, caller, lang)
            session.flush()
            message = SmsMessage(
                direction="in",
                kind="worker",
                caller_id=caller.id,
                case_id=case.id,
                body=body,
                language=lang,
                status="received",
            )
            session.add(message)
            session.flush()
            defer(session, "sms.translate", message_id=message.id)
    ingested = time.perf_counter() - started
    with runtime.db.session() as session:
        done_at_ingest = session.scalar(
            select(func.count(OutboxJob.id)).where(OutboxJob.done_at.is_not(None))
        )
    if args.mode == "backlog":
        started = time.perf_counter()  # the clock measures the workers alone
        relay(runtime, limit=len(texts))

    while True:
        with runtime.db.session() as session:
            left = session.scalar(
                select(func.count(OutboxJob.id)).where(
                    OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None)
                )
            )
        if not left:
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    for proc in workers:
        proc.terminate()
        proc.join(timeout=10)

    with runtime.db.session() as session:
        statuses = dict(
            session.execute(
                select(Translation.status, func.count()).group_by(Translation.status)
            ).all()
        )
        summary = usage_summary(session, days=1)
        languages = dict(session.execute(select(SmsMessage.id, SmsMessage.language)).all())
    targets = settings.agent_languages
    unique = {(lang, normalise(body)) for lang, body in texts}
    unique_chars = sum(len(body) for _, body in unique)
    bound = sum(len(body) * len([t for t in targets if t != lang]) for lang, body in unique)
    sent_bound = sum(
        len(protect(body, source=lang, target=target).html)
        for lang, body in unique
        for target in targets
        if target != lang
    )
    print(
        f"texts: {len(texts)} ({len(unique)} unique), workers: {args.workers}, "
        f"fake latency: {args.latency * 1000:.0f} ms, database: PostgreSQL"
    )
    print(f"mode: {args.mode}; ingest: {ingested:.2f} s ({len(texts) / ingested:.0f} texts/s)")
    if args.mode == "live":
        print(f"ingest to translated: {elapsed:.2f} s -> {len(texts) / elapsed:.1f} texts/s")
        drained = len(texts) - (done_at_ingest or 0)
        print(
            f"after ingest ended: {drained} texts in {elapsed - ingested:.2f} s -> "
            f"{drained / max(elapsed - ingested, 1e-9):.1f} texts/s"
        )
    else:
        print(f"queued to translated: {elapsed:.2f} s -> {len(texts) / elapsed:.1f} texts/s")
    print(f"translation rows: {statuses}")
    http = fake.translate_requests()
    print(
        f"texts sent to Google: {summary.requests} in {len(http)} HTTP requests; "
        f"cache hits: {summary.cache_hits}"
    )
    print(f"characters billed: {summary.characters} (fake counted {fake.billed_characters()})")
    print(f"unique characters: {unique_chars}; unique characters x targets: {bound}")
    print(f"billed / (unique characters x targets): {summary.characters / bound:.3f}")
    print(
        f"unique characters as sent (placeholders, HTML escaping) x targets: {sent_bound}; "
        f"billed / that: {summary.characters / sent_bound:.3f}"
    )
    print(f"messages with a language: {sum(1 for v in languages.values() if v)}")
    assert fake.server is not None
    fake.server.stop()
    runtime.close()


if __name__ == "__main__":
    main()
