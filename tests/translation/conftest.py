"""Fixtures for the language pipeline: local fakes of Google Translate and Speech at the
network edge, a runtime configured to use them (and the fake Twilio), recordings and
later job runs (the builders are in tests/builders.py)."""

from __future__ import annotations

import datetime as dt
import io
import math
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.db import utcnow
from hotline.handlers import register_handlers
from hotline.jobs import REGISTRY, queue, relay
from hotline.jobs.transport import BurstWorker
from hotline.runtime import Runtime
from tests.conftest import GOOGLE_PROJECT, make_settings, open_runtime
from tests.fakes.google_speech import FakeGoogleSpeech
from tests.fakes.google_translate import FakeGoogleTranslate

PROJECT = GOOGLE_PROJECT
CLOSED_PORT_URL = "http://127.0.0.1:9"

register_handlers(REGISTRY)  # every job handler, as in a worker


@pytest.fixture
def google_settings(
    fake_translate: FakeGoogleTranslate, fake_speech: FakeGoogleSpeech
) -> dict[str, Any]:
    return {
        "google_cloud_project": PROJECT,
        "google_translate_endpoint": fake_translate.url,
        "google_speech_endpoint": fake_speech.url,
    }


@pytest.fixture
def pipeline_runtime(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    fake_twilio: Any,
    google_settings: dict[str, Any],
) -> Iterator[Runtime]:
    """Twilio and Google both configured, both answered by local fakes."""
    settings = make_settings(
        tmp_path, database_url, redis_url, twilio_api_url=fake_twilio.url, **google_settings
    )
    yield from open_runtime(settings)


@pytest.fixture
def google_runtime(
    tmp_path: Path, database_url: str, redis_url: str, google_settings: dict[str, Any]
) -> Iterator[Runtime]:
    """Google answered by the local fakes; Twilio REST points at a closed local port, so
    a test that sends by accident fails loudly instead of reaching Twilio."""
    settings = make_settings(
        tmp_path, database_url, redis_url, twilio_api_url=CLOSED_PORT_URL, **google_settings
    )
    yield from open_runtime(settings)


@pytest.fixture
def unconfigured_runtime(
    tmp_path: Path, database_url: str, redis_url: str, fake_twilio: Any
) -> Iterator[Runtime]:
    """Twilio answered by the fake; Google not configured at all."""
    settings = make_settings(tmp_path, database_url, redis_url, twilio_api_url=fake_twilio.url)
    yield from open_runtime(settings)


def tone_wav(seconds: float, *, pitch: float = 440.0, rate: int = 8000) -> bytes:
    """A mono 16-bit 8 kHz WAV like Twilio's recordings; pitch makes recordings distinct."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        samples = bytearray()
        for i in range(int(seconds * rate)):
            # Speech-like bursts with pauses, so quiet moments exist to cut at.
            envelope = 1.0 if (i // (rate // 2)) % 3 else 0.0
            value = int(8000 * envelope * math.sin(2 * math.pi * pitch * i / rate))
            samples += value.to_bytes(2, "little", signed=True)
        w.writeframes(bytes(samples))
    return out.getvalue()


def wav_length(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as w:
        return w.getnframes() / w.getframerate()


def run_jobs_later(runtime: Runtime, *, after: dt.timedelta) -> None:
    """Run the jobs that will be due `after` from now (retries waiting for their backoff)."""
    relay(runtime, now=utcnow() + after)
    BurstWorker([queue(runtime)], connection=runtime.redis).work(burst=True)


def caller_of(runtime: Runtime, case: Case) -> Caller:
    with runtime.db.session() as session:
        caller = session.get(Caller, case.caller_id)
        assert caller is not None
        return caller
