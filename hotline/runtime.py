"""The per-process runtime: settings, database and Redis, built once from configuration.

Web workers, RQ workers and CLI commands each build one. Jobs find it with `current()`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

import redis
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline.config import Settings, load_settings
from hotline.db import Database
from hotline.jobs.transport import push

_current: Runtime | None = None
_lock = threading.Lock()

PENDING_PUSH_KEY = "hotline.pending_outbox_ids"
EXTENSION = "hotline"  # the key of the runtime in a Flask app's `extensions`


class Runtime:
    # A training space's runtime (hotline.training) names its trainee and runs its jobs
    # in process; the real one has neither.
    training_space: str | None = None
    runs_jobs_inline = False

    def __init__(self, settings: Settings, *, redis_client: redis.Redis | None = None) -> None:
        self.settings = settings
        from hotline import languages
        from hotline.encryption import Keyring

        # Every pack reader (voice, SMS, texts, languages) follows these settings' folder.
        languages.use(settings.ivr_scripts_path)

        self.db = Database(settings.database_url, keyring=Keyring.from_settings(settings))
        self._redis = redis_client
        event.listen(self.db.sessionmaker, "after_commit", _collect_committed_jobs)
        event.listen(self.db.sessionmaker, "after_soft_rollback", _forget_jobs)

    @cached_property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            from hotline.redis_conn import connect

            self._redis = connect(self.settings)
        return self._redis

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A committed-or-rolled-back session; jobs it deferred are pushed after commit."""
        with self.db.session() as session:
            yield session
        self.push_pending(session)

    def push_pending(self, session: Session) -> None:
        """Push the outbox jobs `session` committed. Failures are left for the relay."""
        ids = session.info.pop(PENDING_PUSH_KEY, None)
        if ids:
            push(self, list(ids))

    def close(self) -> None:
        self.db.dispose()


def _collect_committed_jobs(session: Session) -> None:
    pending = session.info.pop("hotline.outbox_new", None)
    if pending:
        # A job whose savepoint was rolled back was never inserted.
        ids = [job.id for job in pending if job.id is not None]
        session.info.setdefault(PENDING_PUSH_KEY, []).extend(ids)


def _forget_jobs(session: Session, previous_transaction: object) -> None:
    if not session.in_transaction():
        session.info.pop("hotline.outbox_new", None)


def current() -> Runtime:
    """The runtime of this process, built from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = Runtime(load_settings())
        return _current


def set_current(runtime: Runtime | None) -> None:
    global _current
    with _lock:
        _current = runtime


def app_runtime() -> Runtime:
    """The runtime of the Flask app handling this request (`create_app` put it there)."""
    runtime: Runtime = current_app.extensions[EXTENSION]
    return runtime
