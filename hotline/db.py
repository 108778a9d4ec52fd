"""Database plumbing: the declarative base, UTC timestamps, engines and sessions.

One `Database` per process, built from the settings. Web requests get a session bound
to the request; jobs and CLI commands use `Database.session()` as a context manager.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import psycopg
from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from hotline.instance import private_file, private_folder
from hotline.wakeup import Wakeup

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stored as naive UTC on every backend, always handed back timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite raw text, e.g. from a text() query
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


Row = TypeVar("Row", bound=Base)


def insert_unless_taken(session: Session, model: type[Row], **values: Any) -> Row | None:
    """`INSERT ... ON CONFLICT DO NOTHING RETURNING`: the new row, or None when a unique
    key is already taken (by a committed row, or by a concurrent one once it commits).

    One round trip, where a savepoint around an insert that may collide costs three.
    """
    rows = insert_all_unless_taken(session, model, [values])
    return rows[0] if rows else None


def insert_all_unless_taken(
    session: Session, model: type[Row], rows: list[dict[str, Any]]
) -> list[Row]:
    """`insert_unless_taken` for several rows in one statement: the rows inserted (in no
    particular order), without those whose unique key was already taken."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).on_conflict_do_nothing().returning(model)
    # Rows still pending stay pending: they may yet change before they are written.
    with session.no_autoflush:
        # The rows as parameters, not as VALUES: one statement all the same (SQLAlchemy's
        # "insertmanyvalues"), compiled once rather than once per number of rows.
        return list(session.scalars(statement, rows))


def make_engine(url: str, *, statement_timeout: float | None = None, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs for a multi-process service.

    `hide_parameters` keeps bound values (message texts, encrypted numbers) out of the
    text of database errors, which end up in logs and in the outbox's `last_error`.
    PostgreSQL connections time out (`CONNECT_TIMEOUT`, `POOL_TIMEOUT`, and
    `statement_timeout` when given); migrations pass none, since they may take long.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        _create_private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No pre-ping on every checkout: it is a round trip, and a busy server's webhooks are
    # round-trip bound. Only a connection that sat idle for a while is pinged (that is
    # when a database restart goes unnoticed); one that breaks while in use fails its
    # statement and invalidates the whole pool, and webhooks handle that delivery again.
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT)
        kwargs.setdefault("pool_size", POOL_SIZE)
    connect_args = {
        "connect_timeout": CONNECT_TIMEOUT,
        **kwargs.pop("connect_args", {}),
    }
    if statement_timeout is not None:
        # Server-side: a statement stuck behind a lock gives up instead of the caller.
        timeout = f"-c statement_timeout={int(statement_timeout * 1000)}"
        # Options the URL gives (a training space's search_path) are kept, not replaced.
        given = make_url(url).query.get("options")
        connect_args["options"] = f"{given} {timeout}" if isinstance(given, str) else timeout
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _ping_connections_left_idle(engine)
    _fail_fast_while_unreachable(engine)
    return engine


# Twilio gives a webhook 15 s; these keep a dead or stuck database well inside that, so
# a voice step fails in time to answer the fallback (hotline.fallback) instead.
CONNECT_TIMEOUT = 2  # seconds for a new connection, whole handshake included
POOL_TIMEOUT = 3.0  # seconds waiting for a pooled connection when all are in use
# Connections a pool keeps: as many as a process's threads use at once (gunicorn's 8
# threads; the worker's 8 SMS senders). A connection given back to a full pool is
# closed, and the next one costs a new server process (SQLAlchemy's default is 5).
POOL_SIZE = 10
STATEMENT_TIMEOUT = 5.0  # seconds per statement, for the web and worker processes


def libpq_url(url: str) -> str:
    """A PostgreSQL URL as libpq (psycopg) takes it: without SQLAlchemy's driver name."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _create_private_sqlite_file(url: str) -> None:
    """Create a new SQLite database file readable by this user only (sqlite3 would
    create it world-readable under the usual umask); a missing folder is made private."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists():
        return
    if not path.parent.exists():
        private_folder(path.parent)
    private_file(path)


IDLE_BEFORE_PING = 30.0  # seconds
UNREACHABLE_FOR = 1.0  # seconds new connections fail at once after one could not be made


def _fail_fast_while_unreachable(engine: Engine) -> None:
    """After a connection attempt failed, others fail at once for `UNREACHABLE_FOR`
    seconds: during an outage each request pays one `CONNECT_TIMEOUT` at most (not one
    per retry), and threads do not pile up waiting on a database known to be down."""
    lock = threading.Lock()
    failed_at = [-math.inf]

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        with lock:
            recent = time.monotonic() - failed_at[0] < UNREACHABLE_FOR
        if recent:
            raise dialect.loaded_dbapi.OperationalError("the database was unreachable just now")
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception:
            with lock:
                failed_at[0] = time.monotonic()
            raise


def _ping_connections_left_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["hotline.idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("hotline.idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_conn.rollback()
        except Exception as exc:
            # The pool discards this connection and checks out another.
            raise DisconnectionError("an idle connection was closed by the server") from exc


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, and BEGIN IMMEDIATE so writers queue instead of failing.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's `begin`
    event decides how a transaction starts (the documented SQLAlchemy recipe).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Deleted content is overwritten, not left readable in free pages: retention and
        # erasure must leave nothing behind in the file (docs/privacy.md).
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine and session factory of one process.

    The keyring (hotline.encryption) rides on the engine's dialect, where the encrypted
    column types find it: each database, and so each test, has its own keys.
    """

    def __init__(self, url: str, *, keyring: Any = None, **engine_kwargs: Any) -> None:
        self.url = url
        engine_kwargs.setdefault("statement_timeout", STATEMENT_TIMEOUT)
        self._engine_kwargs = engine_kwargs
        self.keyring = keyring
        self.engine = self._engine()
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit: Engine | None = None
        self._lazy_lock = threading.Lock()  # for what is made on first use
        self._wakeups: dict[str, Wakeup] = {}
        self._wakeup_conns: dict[tuple[int, str], Any] = {}  # psycopg's, by process, channel

    def _engine(self, **overrides: Any) -> Engine:
        engine = make_engine(self.url, **{**self._engine_kwargs, **overrides})
        if self.keyring is not None:
            engine.dialect.hotline_keyring = self.keyring  # type: ignore[attr-defined]
        return engine

    @property
    def autocommit_engine(self) -> Engine:
        """PostgreSQL connections that are in autocommit mode from the start, for a
        statement that is its own transaction (the SMS webhook's one INSERT): one round
        trip, where switching a pooled connection to autocommit and back costs three more.
        Made on first use: only web processes and senders of SMS need it."""
        with self._lazy_lock:
            if self._autocommit is None:
                self._autocommit = self._engine(isolation_level="AUTOCOMMIT")
            return self._autocommit

    @contextmanager
    def autocommitted(self) -> Iterator[Any]:
        """A pooled PostgreSQL connection in autocommit mode as the driver's own (psycopg)
        connection: each `execute` is one statement, one round trip and its own
        transaction. For the busiest webhooks, where SQLAlchemy's execution of a statement
        (~130 µs of CPU, even as driver SQL) cost as much as all the rest of the request.
        The statements must do their own bind processing. Driver errors are raised as
        SQLAlchemy's (IntegrityError, ...), and one on a connection the driver finds
        broken drops it from the pool and says so (`connection_invalidated`), as
        SQLAlchemy's own execution would: webhooks handle such a delivery again."""
        with self.autocommit_engine.connect() as conn:
            driver = conn.connection.driver_connection
            try:
                yield driver
            except conn.dialect.loaded_dbapi.Error as exc:
                broken = bool(getattr(driver, "broken", False) or getattr(driver, "closed", False))
                if broken:
                    # As SQLAlchemy does on a disconnect: this connection, and every
                    # other pooled one made before it (a restart broke them all).
                    pooled = conn.connection
                    conn.invalidate(exc)
                    conn.engine.pool._invalidate(pooled, exc)
                raise DBAPIError.instance(
                    None,
                    None,
                    exc,
                    conn.dialect.loaded_dbapi.Error,
                    hide_parameters=True,
                    connection_invalidated=broken,
                    dialect=conn.dialect,
                ) from exc

    def wake_soon(self, channel: str) -> None:
        """NOTIFY `channel` soon, from a thread of this process, for everything committed
        before this call; returns at once (hotline.wakeup). Nothing on SQLite, where
        listeners poll."""
        if self.is_sqlite:
            return
        wakeup = self._wakeups.get(channel)
        if wakeup is None:
            with self._lazy_lock:
                wakeup = self._wakeups.get(channel)
                if wakeup is None:
                    wakeup = self._wakeups[channel] = Wakeup(lambda: self._notify(channel), channel)
        wakeup.ask()

    def _notify(self, channel: str) -> None:
        """One NOTIFY, a transaction of its own on the wake-ups' own connection (only
        their thread uses it), whose commit is not waited for on disk: it holds
        PostgreSQL's notification lock only briefly, and a wake-up lost in a crash is
        found by the listener's poll. The driver's connection, not a pool: at 100 texts
        a second, SQLAlchemy's checkout and execution cost ~0.4 ms of CPU a text."""
        key = (os.getpid(), channel)  # never a connection a forked process inherited
        conn = self._wakeup_conns.get(key)
        if conn is None or conn.closed:
            conn = self._wakeup_conns[key] = psycopg.connect(
                libpq_url(self.url),
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                options="-c synchronous_commit=off",
            )
        try:
            conn.execute("SELECT pg_notify(%s, '')", (channel,))
        except psycopg.Error:
            conn.close()  # a fresh connection for the next wake-up
            raise

    @property
    def statement_engine(self) -> Engine:
        """The engine for a statement that is a transaction of its own, used with
        `begin()`: autocommitted connections on PostgreSQL (one round trip, no BEGIN or
        COMMIT); on SQLite the ordinary engine, whose BEGIN takes the write lock."""
        return self.engine if self.is_sqlite else self.autocommit_engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        for wakeup in self._wakeups.values():
            wakeup.close()
        for (pid, _), conn in self._wakeup_conns.items():
            if pid == os.getpid():  # closing an inherited one would end the parent's session
                conn.close()
        self.engine.dispose()
        if self._autocommit is not None:
            self._autocommit.dispose()
