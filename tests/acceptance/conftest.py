"""Acceptance fixtures: the real `hotline` processes, configured only through DESIGN.md's
environment variables, with fakes of Twilio's and Google's APIs at the network edge.

One PostgreSQL deployment serves the whole session (quiet hours switched off, so callbacks
can be claimed at any hour); `embedded_hotline` is a second one on the embedded defaults
(SQLite file, embedded Redis, default quiet hours) for the modules that ask for it.
Tests share a deployment, so each uses its own made-up numbers and languages.
Set HOTLINE_ACCEPTANCE_KEEP_LOGS=1 to keep each deployment's folder (serve.log,
worker.log, the SQLite file) for diagnosis.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from tests.acceptance.outsider import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    GOOGLE_PROJECT,
    HOTLINE_NUMBER,
    PUBLIC_URL,
    SECRET_KEY,
    Deployment,
)
from tests.conftest import PG_TEST_DB, UNDER_CI, for_this_worker
from tests.fakes.google_speech import FakeGoogleSpeech, start_fake_google_speech
from tests.fakes.google_translate import FakeGoogleTranslate, start_fake_google_translate
from tests.fakes.twilio_api import FakeTwilio, start_fake_twilio

# Named after the test run's own database (HOTLINE_TEST_DB_NAME) so that several runs can
# share the machine's servers; HOTLINE_ACCEPTANCE_REDIS_URL likewise for Redis.
SERVER_REDIS_URL = for_this_worker(
    os.environ.get("HOTLINE_ACCEPTANCE_REDIS_URL", "redis://127.0.0.1:6379/6")
)
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = PG_TEST_DB + "_acceptance"


@dataclass
class Edge:
    twilio: FakeTwilio
    translate: FakeGoogleTranslate
    speech: FakeGoogleSpeech


@pytest.fixture(scope="session")
def edge() -> Iterator[Edge]:
    fakes = Edge(
        twilio=start_fake_twilio(ACCOUNT_SID, AUTH_TOKEN),
        translate=start_fake_google_translate(GOOGLE_PROJECT),
        speech=start_fake_google_speech(),
    )
    yield fakes
    for fake in (fakes.twilio, fakes.translate, fakes.speech):
        assert fake.server is not None
        fake.server.stop()


def base_env(edge: Edge, instance: Path) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_NUMBER": HOTLINE_NUMBER,
        "TWILIO_API_URL": edge.twilio.url,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "HOTLINE_SECRET_KEY": SECRET_KEY,
        "GOOGLE_CLOUD_PROJECT": GOOGLE_PROJECT,
        "GOOGLE_TRANSLATE_ENDPOINT": edge.translate.url,
        "GOOGLE_SPEECH_ENDPOINT": edge.speech.url,
        "HOTLINE_INSTANCE_PATH": str(instance),
    }


def _recreate_database(name: str) -> None:
    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(name: str) -> None:
    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_deployment(
    env: dict[str, str], instance: Path, *, stagger: bool = False
) -> Iterator[Deployment]:
    deployment = Deployment(env=env, instance_path=instance)
    try:
        deployment.start(stagger=stagger)
        yield deployment
    finally:
        deployment.stop()
        leftovers = deployment.leftover_pids()
        if os.environ.get("HOTLINE_ACCEPTANCE_KEEP_LOGS"):
            print(f"logs kept in {instance}")
        else:
            shutil.rmtree(instance, ignore_errors=True)
        assert not leftovers, f"processes left behind: {leftovers}"


@pytest.fixture(scope="session")
def hotline(edge: Edge) -> Iterator[Deployment]:
    """Production shape: PostgreSQL + Redis, quiet hours off so any hour can claim."""
    try:
        _recreate_database(PG_DATABASE)
        redis.Redis.from_url(SERVER_REDIS_URL, socket_connect_timeout=1).flushdb()
    except (psycopg.OperationalError, redis.ConnectionError) as exc:
        if UNDER_CI:
            raise
        pytest.skip(f"PostgreSQL or Redis on 127.0.0.1 is not reachable ({type(exc).__name__})")
    instance = Path(tempfile.mkdtemp(prefix="hotline-acceptance-"))
    env = {
        **base_env(edge, instance),
        "DATABASE_URL": f"{PG_SERVER}/{PG_DATABASE}",
        "REDIS_URL": SERVER_REDIS_URL,
        "HOTLINE_QUIET_HOURS": "00:00-00:00",
    }
    yield from run_deployment(env, instance)
    redis.Redis.from_url(SERVER_REDIS_URL).flushdb()
    _drop_database(PG_DATABASE)


@pytest.fixture(scope="module")
def embedded_hotline(edge: Edge) -> Iterator[Deployment]:
    """The laptop shape: no DATABASE_URL, no REDIS_URL, default quiet hours."""
    instance = Path(tempfile.mkdtemp(prefix="hotline-acceptance-embedded-"))
    yield from run_deployment(base_env(edge, instance), instance)


@pytest.fixture(scope="module")
def hotline_without_google(edge: Edge) -> Iterator[Deployment]:
    """Embedded defaults and no GOOGLE_* variables. The worker starts once the web
    answers, so this module does not depend on the embedded-Redis start-up race."""
    instance = Path(tempfile.mkdtemp(prefix="hotline-acceptance-nogoogle-"))
    env = {k: v for k, v in base_env(edge, instance).items() if not k.startswith("GOOGLE_")}
    yield from run_deployment(env, instance, stagger=True)


@pytest.fixture(scope="session")
def openapi(hotline: Deployment) -> dict[str, Any]:
    import requests

    response = requests.get(hotline.base_url + "/api/openapi.json", timeout=10)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document
