"""Recording prompts by phone: a staff member with a registered phone and a PIN gives
Khmer (which no machine can speak) its real voice, one prompt at a time."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.voice.models import PromptRecording
from hotline.voice.recording import set_recorder_pin
from hotline.voice.scripts import load_scripts
from tests.builders import make_agent
from tests.conftest import both_backends
from tests.helpers import run_jobs
from tests.voice.helpers import place_call

STAFF_PHONE = "+819000000009"
PIN = "246813"
ASKED_FOR_LANGUAGE = "Enter the calling code of the language you will record, then hash."
NOON = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40


@pytest.fixture
def settings_overrides(fake_twilio: Any) -> dict[str, Any]:
    return {"twilio_api_url": fake_twilio.url}


@pytest.fixture
def staff(runtime: Any) -> int:
    agent_id = make_agent(runtime, name="Recorder", languages="km,en", phone=STAFF_PHONE).id
    with runtime.db.session() as s:
        set_recorder_pin(s, agent_id, "246813")
    return agent_id


def recordings(runtime: Any) -> list[PromptRecording]:
    with runtime.db.session() as s:
        return list(s.scalars(select(PromptRecording).order_by(PromptRecording.id)))


def test_staff_record_listen_back_redo_and_keep_khmer_prompts(
    client: Any, runtime: Any, staff: int, fake_twilio: Any
) -> None:
    # PIN, Khmer, record main_menu and keep it, record the next, redo it, keep, hang up.
    result = place_call(client, "246813# 855# R4# 1 R3# 2 R2# 1 H", from_number=STAFF_PHONE)
    says = result.says()
    assert "Staff line. Enter your PIN, then hash." in says
    assert says.count("You said:") == 3
    kept = recordings(runtime)
    assert [(r.language, r.prompt, r.status, r.reviewed) for r in kept] == [
        ("km", "main_menu", "kept", False),
        ("km", "too_many_failures", "kept", False),
    ]
    assert kept[1].duration_seconds == 2  # the redo, not the first take
    takes = [x.params["RecordingSid"] for x in result.exchanges if "RecordingSid" in x.params]
    redone = next(sid for sid in takes if sid not in {r.recording_sid for r in kept})
    for sid in takes:
        fake_twilio.add_recording(sid, WAV)
    run_jobs(runtime)
    assert fake_twilio.deleted_recordings == [redone]  # the take re-recorded, only
    response = client.get("/audio/km/main_menu.wav")
    assert response.status_code == 200 and response.get_data() == WAV
    assert response.content_type == "audio/wav" and response.cache_control.public


@pytest.mark.slow
def test_a_recorded_khmer_notice_reaches_the_next_khmer_caller(
    client: Any, runtime: Any, staff: int, fake_twilio: Any
) -> None:
    names = load_scripts().menu.prompt_names()
    skip_to_notice = "R1# 3 " * names.index("no_voice_notice")
    place_call(client, f"246813# 855# {skip_to_notice} R5# 1 . . .", from_number=STAFF_PHONE)
    (row,) = recordings(runtime)
    assert row.prompt == "no_voice_notice"
    fake_twilio.add_recording(row.recording_sid, WAV)
    run_jobs(runtime)
    caller = place_call(client, "855#")
    assert any(f"/audio/km/no_voice_notice.wav?v=r{row.id}" in url for url in caller.played)


def test_a_wrong_pin_three_times_ends_the_staff_call_with_nothing_recorded(
    client: Any, runtime: Any, staff: int
) -> None:
    result = place_call(client, "111111# 222222# 333333# R4# 1", from_number=STAFF_PHONE)
    assert result.says().count("That PIN is not right.") == 2
    assert result.says()[-1] == "Goodbye."
    assert recordings(runtime) == []


def test_an_agent_without_a_pin_calling_in_hears_the_ordinary_hotline(
    client: Any, runtime: Any
) -> None:
    make_agent(runtime, name="No PIN", languages="vi", phone=STAFF_PHONE)
    result = place_call(client, "84#", from_number=STAFF_PHONE)
    assert "Staff line. Enter your PIN, then hash." not in result.says()


def test_the_pin_command_requires_a_registered_phone(runtime: Any, monkeypatch: Any) -> None:
    from hotline.cli import main

    agent_id = make_agent(runtime, name="No phone", languages="en", phone=None).id
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(runtime.settings.instance_path))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", runtime.settings.secret_key)
    result = CliRunner().invoke(main, ["prompts", "pin", str(agent_id), "--pin", "246813"])
    assert result.exit_code == 1 and "registered phone" in result.output


def run_cli(runtime: Any, monkeypatch: Any, *args: str) -> Any:
    from hotline.cli import main

    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(runtime.settings.instance_path))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", runtime.settings.secret_key)
    return CliRunner().invoke(main, list(args))


def lock_events(runtime: Any) -> list[AuditEvent]:
    with runtime.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == "recorder_pin.locked")))


def staff_line_opens(client: Any, keys: str) -> bool:
    return ASKED_FOR_LANGUAGE in place_call(client, keys, from_number=STAFF_PHONE).says()


@pytest.mark.slow
@both_backends
def test_wrong_pins_over_several_calls_lock_the_staff_line_even_against_the_right_pin(
    client: Any, runtime: Any, staff: int, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = place_call(client, "111111# 222222# 333333#", from_number=STAFF_PHONE)
    assert lock_events(runtime) == []
    # Two more wrong PINs make five: the right one straight after is refused.
    assert not staff_line_opens(client, f"444444# 555555# {PIN}#")
    locked = place_call(client, f"{PIN}# {PIN}# {PIN}#", from_number=STAFF_PHONE)
    assert locked.says() == wrong.says()  # the same polite goodbye, no hint of the lock
    (event,) = lock_events(runtime)
    assert event.subject_type == "agent" and event.subject_id == staff
    assert "9000000009" not in caplog.text


@pytest.mark.slow
def test_the_lock_wears_off_after_an_hour_then_lasts_twice_as_long(
    client: Any, runtime: Any, staff: int
) -> None:
    with time_machine.travel(NOON, tick=False):
        place_call(client, "111111# 222222# 333333#", from_number=STAFF_PHONE)
        place_call(client, "444444# 555555#", from_number=STAFF_PHONE)
    with time_machine.travel(NOON + dt.timedelta(minutes=59), tick=False):
        assert not staff_line_opens(client, f"{PIN}# H")
    later = NOON + dt.timedelta(minutes=61)
    with time_machine.travel(later, tick=False):
        assert staff_line_opens(client, f"{PIN}# H")
        place_call(client, "111111# 222222# 333333#", from_number=STAFF_PHONE)
        place_call(client, "444444# 555555#", from_number=STAFF_PHONE)
    with time_machine.travel(later + dt.timedelta(minutes=119), tick=False):
        assert not staff_line_opens(client, f"{PIN}# H")
    with time_machine.travel(later + dt.timedelta(minutes=121), tick=False):
        assert staff_line_opens(client, f"{PIN}# H")
    assert len(lock_events(runtime)) == 2


@pytest.mark.slow
def test_the_right_pin_clears_the_count_of_wrong_ones(
    client: Any, runtime: Any, staff: int
) -> None:
    assert staff_line_opens(client, f"111111# 222222# {PIN}# H")
    place_call(client, "111111# 222222# 333333#", from_number=STAFF_PHONE)
    # Six wrong in all, but never five since the right PIN: still open.
    assert staff_line_opens(client, f"444444# {PIN}# H")
    assert lock_events(runtime) == []


@pytest.mark.slow
def test_issuing_the_pin_again_lifts_the_lock(
    client: Any, runtime: Any, staff: int, monkeypatch: Any
) -> None:
    place_call(client, "111111# 222222# 333333#", from_number=STAFF_PHONE)
    place_call(client, "444444# 555555#", from_number=STAFF_PHONE)
    assert not staff_line_opens(client, f"{PIN}# H")
    result = run_cli(runtime, monkeypatch, "prompts", "pin", str(staff), "--pin", "975310")
    assert result.exit_code == 0, result.output
    assert staff_line_opens(client, "975310# H")


@pytest.mark.parametrize("pin", ["2468", "24681", "24681x", "1234567890123"])
def test_the_pin_command_refuses_pins_other_than_6_to_12_digits(
    runtime: Any, staff: int, monkeypatch: Any, pin: str
) -> None:
    result = run_cli(runtime, monkeypatch, "prompts", "pin", str(staff), "--pin", pin)
    assert result.exit_code == 1 and "6 to 12 digits" in result.output
