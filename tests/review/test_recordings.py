"""Recordings made by phone and review: over a reviewed recording, a new take waits for a
reviewer before callers hear it (HOTLINE_RECORDINGS_NEED_REVIEW, on by default)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from hotline.agents.models import Agent
from hotline.audit import AuditEvent
from hotline.crypto import encrypt_phone
from hotline.voice.models import PromptRecording
from hotline.voice.recording import set_recorder_pin
from hotline.voice.scripts import audio_dir
from tests.helpers import run_jobs
from tests.review.helpers import post_form, reviewer, signed_in
from tests.voice.helpers import place_call

STAFF_PHONE = "+819000000019"
FIRST = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x01" * 40
RECORD_MAIN_MENU = "246813# 855# R4# 1 H"  # PIN, Khmer, record the first prompt, keep it


@pytest.fixture
def settings_overrides(fake_twilio: Any) -> dict[str, Any]:
    return {"twilio_api_url": fake_twilio.url}


@pytest.fixture
def staff(runtime: Any) -> int:
    with runtime.db.session() as s:
        agent = Agent(
            name="Recorder",
            languages=["km", "en"],
            token_hash="q" * 64,
            phone_encrypted=encrypt_phone(runtime.settings.secret_key, STAFF_PHONE),
        )
        s.add(agent)
        s.flush()
        set_recorder_pin(s, agent.id, "246813")
        return agent.id


def record(client: Any, runtime: Any, fake_twilio: Any, audio: bytes) -> None:
    result = place_call(client, RECORD_MAIN_MENU, from_number=STAFF_PHONE)
    for x in result.exchanges:
        if "RecordingSid" in x.params:
            fake_twilio.add_recording(x.params["RecordingSid"], audio)
    run_jobs(runtime)


def audit_events(runtime: Any, action: str) -> list[AuditEvent]:
    with runtime.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def rows(runtime: Any) -> list[tuple[str, bool]]:
    with runtime.db.session() as s:
        found = s.scalars(select(PromptRecording).order_by(PromptRecording.id))
        return [(r.status, r.reviewed) for r in found]


@pytest.fixture
def reviewed_file(runtime: Any, tmp_path: Path, monkeypatch: Any) -> bytes:
    """A person's recording of Khmer main_menu, shipped as a file and marked reviewed."""
    audio = tmp_path / "audio"
    shutil.copytree(audio_dir(), audio)
    (audio / "km").mkdir()
    shutil.copy(audio / "tones" / "ack.wav", audio / "km" / "main_menu.wav")
    manifest = {"main_menu": {"source": "recorded", "reviewed": True}}
    (audio / "km" / "manifest.yaml").write_text(yaml.safe_dump(manifest), "utf-8")
    monkeypatch.setattr(runtime, "settings", runtime.settings.with_overrides(audio_path=audio))
    return (audio / "km" / "main_menu.wav").read_bytes()


@pytest.mark.slow
def test_a_take_over_a_reviewed_recording_goes_live_only_once_reviewed(
    client: Any, runtime: Any, settings: Any, staff: int, fake_twilio: Any, reviewed_file: bytes
) -> None:
    record(client, runtime, fake_twilio, FIRST)
    assert rows(runtime) == [("pending", False)]
    assert client.get("/audio/km/main_menu.wav").get_data() == reviewed_file  # callers

    sok = reviewer(runtime, settings, "Sok", "km")
    signed_in(client, sok)
    page = client.get("/review/km").get_data(as_text=True)
    assert "New recording waiting for review" in page
    assert "/review/km/recordings/1.wav" in page
    assert client.get("/review/km/recordings/1.wav").get_data() == FIRST
    post_form(client, "/review/km/reviewed", "/review/km", channel="voice", key="main_menu")
    assert rows(runtime) == [("kept", True)]
    assert client.get("/audio/km/main_menu.wav").get_data() == FIRST
    event = audit_events(runtime, "prompt.reviewed")[0]
    assert (event.detail or {})["recording"] == 1 and event.agent_id == sok.id


@pytest.mark.slow
def test_a_first_take_is_live_at_once_and_reviewing_it_marks_it_reviewed(
    client: Any, runtime: Any, settings: Any, staff: int, fake_twilio: Any
) -> None:
    record(client, runtime, fake_twilio, FIRST)
    assert rows(runtime) == [("kept", False)]  # nothing reviewed to protect: live at once
    assert client.get("/audio/km/main_menu.wav").get_data() == FIRST
    signed_in(client, reviewer(runtime, settings, "Sok", "km"))
    post_form(client, "/review/km/reviewed", "/review/km", channel="voice", key="main_menu")
    assert rows(runtime) == [("kept", True)]


def test_without_the_setting_a_take_over_a_reviewed_recording_is_live_at_once(
    client: Any, runtime: Any, staff: int, fake_twilio: Any, reviewed_file: bytes, monkeypatch: Any
) -> None:
    monkeypatch.setattr(
        runtime, "settings", runtime.settings.with_overrides(recordings_need_review=False)
    )
    record(client, runtime, fake_twilio, FIRST)
    assert rows(runtime) == [("kept", False)]
    assert client.get("/audio/km/main_menu.wav").get_data() == FIRST
