"""A trainee's training space: a database of its own, migrated like the real one.

Isolation is structural (docs/decisions.md): on SQLite a space is a second file,
`<instance>/training/<trainee>.sqlite3`; on PostgreSQL it is a schema of its own,
`training_<trainee>`, and the space's connections set `search_path` to that schema alone,
so the real tables are not even visible to them. No query anywhere needs a flag to keep
real cases out of training, or training cases out of reports, /floor or /metrics.

A space's settings turn everything outside the machine off: no Twilio account (outbound
SMS and calls go to `DevTelephony`, recorded in the space's own database), no Google
project (translations come from the stored samples, `hotline.training.samples`), and no
Redis: jobs run in the web process right after the response (`TrainingRuntime`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotline.config import Settings
from hotline.runtime import PENDING_PUSH_KEY, Runtime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

URL_PREFIX = "/training"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


class NoSuchSpace(LookupError):
    """The trainee has no training space (run `hotline training seed --trainee NAME`)."""


def slug_for(name: str) -> str:
    """The trainee's name as it appears in URLs, file and schema names: `Mai Tran` → `mai-tran`."""
    slug = re.sub(r"[\s_]+", "-", name.strip().lower())
    if not _SLUG.match(slug):
        raise ValueError(
            "a trainee name is 1 to 31 letters a-z, digits, spaces or '-' (e.g. mai-tran)"
        )
    return slug


def schema_name(slug: str) -> str:
    return "training_" + slug.replace("-", "_")


def _is_sqlite(settings: Settings) -> bool:
    return settings.database_url.startswith("sqlite")


def _sqlite_path(settings: Settings, slug: str) -> Path:
    return settings.instance_path / "training" / f"{slug}.sqlite3"


def space_settings(settings: Settings, slug: str) -> Settings:
    """The real settings turned into the space's: its own database, nothing outside."""
    if _is_sqlite(settings):
        database_url = f"sqlite:///{_sqlite_path(settings, slug)}"
    else:
        url = make_url(settings.database_url)
        database_url = url.update_query_dict(
            {"options": f"-csearch_path={schema_name(slug)}"}
        ).render_as_string(hide_password=False)
    # Webhooks into the space are signed too, with a token of the space's own.
    token = hmac.new(
        settings.secret_key.encode(), f"training-webhooks:{slug}".encode(), hashlib.sha256
    ).hexdigest()
    return settings.with_overrides(
        database_url=database_url,
        redis_url=None,
        public_url=f"{settings.public_url}{URL_PREFIX}/{slug}",
        twilio_account_sid=None,
        twilio_auth_token=token,
        twilio_number=None,
        twilio_api_url=None,
        google_cloud_project=None,
        google_translate_endpoint=None,
        google_speech_endpoint=None,
        metrics_token=None,
        quiet_hours="00:00-00:00",  # trainees practise at any hour
    )


def exists(settings: Settings, slug: str) -> bool:
    if _is_sqlite(settings):
        return _sqlite_path(settings, slug).is_file()
    return slug in list_spaces(settings)


def list_spaces(settings: Settings) -> list[str]:
    """The trainees with a space, by slug."""
    if _is_sqlite(settings):
        folder = settings.instance_path / "training"
        return sorted(p.stem for p in folder.glob("*.sqlite3")) if folder.is_dir() else []
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            names = conn.scalars(
                text(
                    "SELECT schema_name FROM information_schema.schemata"
                    " WHERE schema_name LIKE 'training\\_%'"
                )
            ).all()
    finally:
        engine.dispose()
    return sorted(str(name).removeprefix("training_").replace("_", "-") for name in names)


def create(settings: Settings, slug: str) -> Settings:
    """Create the space if needed and migrate it to head; its settings."""
    from hotline.encryption import Keyring
    from hotline.instance import private_folder
    from hotline.migrate import upgrade

    space = space_settings(settings, slug)
    if _is_sqlite(settings):
        private_folder(settings.instance_path)
        private_folder(settings.instance_path / "training")
    else:
        engine = create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema_name(slug)}"'))
        finally:
            engine.dispose()
    upgrade(space.database_url, keyring=Keyring.from_settings(space))
    return space


def drop(settings: Settings, slug: str) -> None:
    """Delete the space and everything in it."""
    if _is_sqlite(settings):
        path = _sqlite_path(settings, slug)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema_name(slug)}" CASCADE'))
    finally:
        engine.dispose()


def empty(runtime: Runtime) -> None:
    """Delete every row of the space in place (children first), keeping its file or
    schema: a server that has the space open goes on working, with nothing in it."""
    from sqlalchemy import MetaData

    with runtime.db.session() as session:
        tables = MetaData()
        tables.reflect(session.connection())
        for table in reversed(tables.sorted_tables):
            if table.name != "alembic_version":
                session.execute(table.delete())


class TrainingRuntime(Runtime):
    """The runtime of one space: its database, no Redis, jobs run in this process.

    A training job must never reach the real queue: a real worker would run it against
    the real database. So nothing is pushed; `push_pending` runs the jobs right here.
    """

    runs_jobs_inline = True

    def __init__(self, settings: Settings, slug: str) -> None:
        # A Redis that is never there: nothing in a space may use the real one.
        unreachable = redis.Redis(
            unix_socket_path=str(settings.instance_path / "training" / "no-redis.sock"),
            socket_connect_timeout=0.1,
        )
        super().__init__(settings, redis_client=unreachable)
        self.training_space = slug
        from hotline.training.samples import load_samples

        self.samples = load_samples()

    def sample_translation(self, text_: str, source: str, target: str) -> str | None:
        return self.samples.translation(text_, source, target)

    def push_pending(self, session: Session) -> None:
        ids = session.info.pop(PENDING_PUSH_KEY, None)
        if ids:
            run_jobs(self, list(ids))


def run_jobs(runtime: Runtime, ids: list[int]) -> None:
    from hotline.jobs import run_outbox_job

    for outbox_id in ids:
        try:
            run_outbox_job(runtime, outbox_id)
        except Exception:  # a job's failure must not fail the page that caused it
            log.exception("training job (outbox %s) failed", outbox_id)


def run_due(runtime: Runtime) -> None:
    """Process the texts the space's /sms/incoming stored, then run every job of the space
    that is due (retries, scheduled work): a space has no worker and no relay."""
    from sqlalchemy import select

    from hotline.sms.processor import process_due

    try:
        process_due(runtime)
    except Exception:  # kept and retried like any delivery; the page must not fail
        log.exception("training SMS processing failed")

    from hotline.db import utcnow
    from hotline.jobs import due
    from hotline.jobs.models import OutboxJob

    with runtime.db.session() as session:
        ids = session.scalars(
            select(OutboxJob.id)
            .where(due(utcnow()), OutboxJob.started_at.is_(None))
            .order_by(OutboxJob.id)
            .limit(200)
        ).all()
    run_jobs(runtime, list(ids))


def open_runtime(settings: Settings, slug: str) -> TrainingRuntime:
    if not exists(settings, slug):
        raise NoSuchSpace(slug)
    return TrainingRuntime(space_settings(settings, slug), slug)


def describe(settings: Settings, slug: str) -> dict[str, Any]:
    space = space_settings(settings, slug)
    where = (
        str(_sqlite_path(settings, slug)) if _is_sqlite(settings) else f"schema {schema_name(slug)}"
    )
    return {"trainee": slug, "where": where, "url": space.public_url + "/"}
