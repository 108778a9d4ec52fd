"""Recording prompts by phone: a staff member with a registered phone and a PIN gives
Khmer (which no machine can speak) its real voice, one prompt at a time."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline.agents.models import Agent
from hotline.crypto import encrypt_phone
from hotline.voice.models import PromptRecording
from hotline.voice.recording import set_recorder_pin
from hotline.voice.scripts import load_scripts
from tests.helpers import run_jobs
from tests.voice.helpers import place_call

STAFF_PHONE = "+819000000009"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40


@pytest.fixture
def settings_overrides(fake_twilio: Any) -> dict[str, Any]:
    return {"twilio_api_url": fake_twilio.url}


@pytest.fixture
def staff(runtime: Any) -> int:
    with runtime.db.session() as s:
        agent = Agent(
            name="Recorder",
            languages=["km", "en"],
            token_hash="r" * 64,
            phone_encrypted=encrypt_phone(runtime.settings.secret_key, STAFF_PHONE),
        )
        s.add(agent)
        s.flush()
        set_recorder_pin(s, agent.id, "2468")
        return agent.id


def recordings(runtime: Any) -> list[PromptRecording]:
    with runtime.db.session() as s:
        return list(s.scalars(select(PromptRecording).order_by(PromptRecording.id)))


def test_staff_record_listen_back_redo_and_keep_khmer_prompts(
    client: Any, runtime: Any, staff: int, fake_twilio: Any
) -> None:
    # PIN, Khmer, record main_menu and keep it, record the next, redo it, keep, hang up.
    result = place_call(client, "2468# 855# R4# 1 R3# 2 R2# 1 H", from_number=STAFF_PHONE)
    says = result.says()
    assert "Staff line. Enter your PIN, then hash." in says
    assert says.count("You said:") == 3
    kept = recordings(runtime)
    assert [(r.language, r.prompt, r.status, r.reviewed) for r in kept] == [
        ("km", "main_menu", "kept", False),
        ("km", "too_many_failures", "kept", False),
    ]
    assert kept[1].duration_seconds == 2  # the redo, not the first take
    for row in kept:
        fake_twilio.add_recording(row.recording_sid, WAV)
    run_jobs(runtime)
    response = client.get("/audio/km/main_menu.wav")
    assert response.status_code == 200 and response.get_data() == WAV
    assert response.content_type == "audio/wav" and response.cache_control.public


def test_a_recorded_khmer_notice_reaches_the_next_khmer_caller(
    client: Any, runtime: Any, staff: int, fake_twilio: Any
) -> None:
    names = load_scripts().menu.prompt_names()
    skip_to_notice = "R1# 3 " * names.index("no_voice_notice")
    place_call(client, f"2468# 855# {skip_to_notice} R5# 1 . . .", from_number=STAFF_PHONE)
    (row,) = recordings(runtime)
    assert row.prompt == "no_voice_notice"
    fake_twilio.add_recording(row.recording_sid, WAV)
    run_jobs(runtime)
    caller = place_call(client, "855#")
    assert any(f"/audio/km/no_voice_notice.wav?v=r{row.id}" in url for url in caller.played)


def test_a_wrong_pin_three_times_ends_the_staff_call_with_nothing_recorded(
    client: Any, runtime: Any, staff: int
) -> None:
    result = place_call(client, "1111# 2222# 3333# R4# 1", from_number=STAFF_PHONE)
    assert result.says().count("That PIN is not right.") == 2
    assert result.says()[-1] == "Goodbye."
    assert recordings(runtime) == []


def test_an_agent_without_a_pin_calling_in_hears_the_ordinary_hotline(
    client: Any, runtime: Any
) -> None:
    with runtime.db.session() as s:
        s.add(
            Agent(
                name="No PIN",
                languages=["vi"],
                token_hash="n" * 64,
                phone_encrypted=encrypt_phone(runtime.settings.secret_key, STAFF_PHONE),
            )
        )
    result = place_call(client, "84#", from_number=STAFF_PHONE)
    assert "Staff line. Enter your PIN, then hash." not in result.says()


def test_the_pin_command_requires_a_registered_phone(runtime: Any, monkeypatch: Any) -> None:
    from hotline.cli import main

    with runtime.db.session() as s:
        agent = Agent(name="No phone", languages=["en"], token_hash="p" * 64)
        s.add(agent)
        s.flush()
        agent_id = agent.id
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(runtime.settings.instance_path))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", runtime.settings.secret_key)
    result = CliRunner().invoke(main, ["prompts", "pin", str(agent_id), "--pin", "2468"])
    assert result.exit_code == 1 and "registered phone" in result.output
