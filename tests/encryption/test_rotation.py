"""Several keys, one current: rotation moves every value to the current key in batches,
can stop anywhere (a kill) and resume, and old data stays readable throughout. A missing
or wrong key stops start-up with a clear message, never garbage."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from hotline import create_app
from hotline.cases.models import CaseEvent
from hotline.cli import main
from hotline.config import ConfigError, Settings, load_settings
from hotline.encryption import DataKeyError
from hotline.encryption import rotation as rotation_module
from hotline.encryption.rotation import key_counts, rotate, verify_data_keys
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.voice.models import VoicemailAudio
from tests.builders import make_case, make_message, make_voicemail
from tests.conftest import both_backends, open_runtime
from tests.translation.conftest import tone_wav

K1 = ("k1", bytes(range(32)))
K2 = ("k2", bytes(range(100, 132)))
K1_WRONG = ("k1", bytes(range(1, 33)))
BODIES = [f"Tin nhắn số {i}: chủ không trả lương" for i in range(9)]


def keyed(settings: Settings, *keys: tuple[str, bytes]) -> Settings:
    return settings.with_overrides(data_keys=tuple(keys))


@pytest.fixture
def old_runtime(settings: Settings, fake_twilio: Any) -> Iterator[Runtime]:
    """The hotline as it ran before rotation: k1 is the only key."""
    yield from open_runtime(keyed(settings.with_overrides(twilio_api_url=fake_twilio.url), K1))


def fill(runtime: Runtime, fake_twilio: Any) -> tuple[list[int], bytes]:
    verify_data_keys(runtime.db)
    case = make_case(runtime, language="vi")
    ids = [make_message(runtime, case=case, body=body).id for body in BODIES]
    audio = tone_wav(1)
    make_voicemail(runtime, case=case, fake_twilio=fake_twilio, audio=audio)
    from tests.helpers import run_jobs

    run_jobs(runtime)
    with runtime.db.session() as session:
        session.add(CaseEvent(case_id=case.id, kind="note", body="ghi chú"))
    return ids, audio


def read_all(runtime: Runtime) -> tuple[list[str], bytes | None]:
    with runtime.db.session() as session:
        bodies = session.scalars(
            select(SmsMessage.body).where(SmsMessage.direction == "in").order_by(SmsMessage.id)
        ).all()
        audio = session.scalar(select(VoicemailAudio.audio))
    return list(bodies), audio


def on_key(runtime: Runtime, key_id: str) -> int:
    return sum(tally[key_id] for tally in key_counts(runtime.db).values())


def off_key(runtime: Runtime, key_id: str) -> int:
    return sum(
        n for tally in key_counts(runtime.db).values() for k, n in tally.items() if k != key_id
    )


@both_backends
@pytest.mark.slow
def test_rotation_moves_everything_to_the_new_key_and_resumes_after_a_kill(
    old_runtime: Runtime, fake_twilio: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, audio = fill(old_runtime, fake_twilio)
    assert off_key(old_runtime, "k1") == 0
    stored = on_key(old_runtime, "k1")
    assert stored >= len(BODIES) + 2  # messages, the recording, the note
    old_runtime.close()

    new_runtime = Runtime(keyed(old_runtime.settings, K2, K1), redis_client=old_runtime.redis)
    verify_data_keys(new_runtime.db)
    # Part of the way: two batches, then stop.
    report = rotate(new_runtime.db, batch_size=3, max_batches=2)
    assert not report.finished
    assert sum(report.rewritten.values()) > 0
    assert on_key(new_runtime, "k2") > 0 and on_key(new_runtime, "k1") > 0
    assert read_all(new_runtime) == (BODIES, audio)  # a mix of keys reads the same

    # A kill in the middle of a batch: that batch's transaction never commits.
    calls = {"n": 0}
    real_reseal = rotation_module._reseal

    def dies_on_the_second_value(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")
        return real_reseal(*args)

    monkeypatch.setattr(rotation_module, "_reseal", dies_on_the_second_value)
    before = on_key(new_runtime, "k2")
    with pytest.raises(KeyboardInterrupt):
        rotate(new_runtime.db, batch_size=3)
    assert on_key(new_runtime, "k2") == before
    assert read_all(new_runtime) == (BODIES, audio)
    monkeypatch.undo()

    report = rotate(new_runtime.db, batch_size=3)
    assert report.finished
    assert off_key(new_runtime, "k2") == 0
    assert on_key(new_runtime, "k2") == stored
    assert "k1" in report.retired
    new_runtime.close()

    # k1 may now leave the configuration: start-up accepts k2 alone, and reads it all.
    only_new = Runtime(keyed(old_runtime.settings, K2), redis_client=old_runtime.redis)
    verify_data_keys(only_new.db)
    assert read_all(only_new) == (BODIES, audio)
    only_new.close()


def test_a_key_still_holding_data_cannot_leave_the_configuration(
    old_runtime: Runtime, fake_twilio: Any
) -> None:
    fill(old_runtime, fake_twilio)
    without_k1 = Runtime(keyed(old_runtime.settings, K2), redis_client=old_runtime.redis)
    with pytest.raises(DataKeyError, match="encrypted with key k1, which is not configured"):
        create_app(runtime=without_k1)
    # Even without the start-up check, a read fails clearly instead of returning garbage.
    with pytest.raises(DataKeyError, match="key k1"):
        read_all(without_k1)
    without_k1.close()


def test_a_different_key_under_the_same_id_is_refused_at_start_up(
    old_runtime: Runtime, fake_twilio: Any
) -> None:
    fill(old_runtime, fake_twilio)
    wrong = Runtime(keyed(old_runtime.settings, K1_WRONG), redis_client=old_runtime.redis)
    with pytest.raises(DataKeyError, match="different key under the id k1"):
        create_app(runtime=wrong)
    with pytest.raises(DataKeyError, match="does not open"):
        read_all(wrong)
    wrong.close()


def env_for(settings: Settings, *keys: tuple[str, bytes]) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "HOTLINE_SECRET_KEY": settings.secret_key,
        "HOTLINE_INSTANCE_PATH": str(settings.instance_path),
        "HOTLINE_DATA_KEYS": ",".join(
            f"{key_id}:{base64.urlsafe_b64encode(secret).decode()}" for key_id, secret in keys
        ),
    }


def test_keys_commands_show_rotate_and_refuse_a_missing_key(
    old_runtime: Runtime, fake_twilio: Any
) -> None:
    fill(old_runtime, fake_twilio)
    runner = CliRunner()

    status = runner.invoke(main, ["keys", "status"], env=env_for(old_runtime.settings, K2, K1))
    assert status.exit_code == 0, status.output
    assert "current key: k2" in status.output
    assert f"sms_messages.body: k1={len(BODIES)}" in status.output
    assert "run `hotline keys rotate`" in status.output

    partial = runner.invoke(
        main,
        ["keys", "rotate", "--batch-size", "4", "--max-batches", "1"],
        env=env_for(old_runtime.settings, K2, K1),
    )
    assert partial.exit_code == 0, partial.output
    assert "run again to continue" in partial.output

    missing = runner.invoke(main, ["keys", "rotate"], env=env_for(old_runtime.settings, K2))
    assert missing.exit_code == 1
    assert "configuration error: stored data is encrypted with key k1" in missing.output
    assert "Traceback" not in missing.output

    done = runner.invoke(main, ["keys", "rotate"], env=env_for(old_runtime.settings, K2, K1))
    assert done.exit_code == 0, done.output
    assert "done: everything is encrypted with k2" in done.output
    assert "key k1 no longer encrypts anything" in done.output
    status = runner.invoke(main, ["keys", "status"], env=env_for(old_runtime.settings, K2))
    assert "every value is encrypted with the current key" in status.output


def test_a_fresh_key_line_is_accepted_by_the_configuration(tmp_path: Path) -> None:
    printed = CliRunner().invoke(main, ["keys", "new", "--id", "2027a"])
    assert printed.exit_code == 0
    settings = load_settings(
        {"HOTLINE_DATA_KEYS": printed.output.strip(), "HOTLINE_SECRET_KEY": "x" * 32},
        instance_path=tmp_path,
    )
    assert [key_id for key_id, _ in settings.data_keys] == ["2027a"]
    assert settings.public_dict()["data_keys"] == ["2027a"]
    assert printed.output.strip().split(":", 1)[1] not in repr(settings)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("k1", "must look like"),
        ("k 1:AAAA", "must look like"),
        ("k1:not-base64!!", "not base64"),
        ("k1:" + base64.urlsafe_b64encode(b"short").decode(), "must be 32 bytes"),
        (
            "k1:"
            + base64.urlsafe_b64encode(bytes(32)).decode()
            + ",k1:"
            + base64.urlsafe_b64encode(bytes(32)).decode(),
            "twice",
        ),
    ],
)
def test_malformed_data_keys_stop_start_up_naming_the_variable(
    tmp_path: Path, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings({"HOTLINE_DATA_KEYS": value}, instance_path=tmp_path)
    assert "HOTLINE_DATA_KEYS" in str(raised.value)


@both_backends
@pytest.mark.slow
def test_a_value_altered_in_the_database_is_refused_not_returned(
    old_runtime: Runtime, fake_twilio: Any
) -> None:
    fill(old_runtime, fake_twilio)
    with old_runtime.db.session() as session:
        session.execute(
            text(
                "UPDATE sms_messages SET body = substr(body, 1, length(body) - 8) || 'AAAAAAAA'"
                " WHERE id = (SELECT min(id) FROM sms_messages)"
            )
        )
    with pytest.raises(DataKeyError, match="or the value was altered"):
        read_all(old_runtime)
