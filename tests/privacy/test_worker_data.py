"""Access and erasure requests: export everything held about a number, then erase it so
that nothing readable about the worker is left, here or at Twilio."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from hotline.audit import AuditEvent
from hotline.callers.consent import record_answer
from hotline.callers.models import ConsentEntry
from hotline.callers.service import find_caller, get_or_create_caller
from hotline.cases.models import Case, CaseEvent, CaseTopic
from hotline.cli import main
from hotline.db import utcnow
from hotline.models import metadata
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.sms.outbound import queue_sms
from hotline.translation.models import Translation
from hotline.voice.models import Voicemail
from tests.builders import make_agent
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, both_backends
from tests.helpers import run_jobs
from tests.privacy.builders import Built, make_history
from tests.test_cli import cli_env

NUMBER = "+819000000777"
OTHER = "+819000000888"
DAY = dt.timedelta(days=1)


def _env(runtime: Runtime, fake_twilio: Any) -> dict[str, str]:
    return {
        **cli_env(runtime.settings),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_NUMBER": HOTLINE_NUMBER,
        "TWILIO_API_URL": fake_twilio.url,
    }


def _worker_with_two_cases(runtime: Runtime, fake_twilio: Any) -> tuple[list[Built], str]:
    """Two cases (one closed, one open) with texts, voicemails, notes and callbacks, the
    copies Twilio holds of them, and an adviser's reply sent through the fake."""
    agent_id = make_agent(runtime, name="Lan", languages="vi", phone=None).id
    now = utcnow()
    built = [
        make_history(
            runtime,
            NUMBER,
            opened=now - 90 * DAY,
            closed=now - 60 * DAY,
            words="tango",
            agent_id=agent_id,
        ),
        make_history(runtime, NUMBER, opened=now - 2 * DAY, closed=None, words="uniform"),
    ]
    for b in built:
        fake_twilio.add_received_message(b.message_sid, NUMBER, b.body)
        fake_twilio.add_recording(b.recording_sid, b.audio)
        fake_twilio.add_call(b.call_sid, NUMBER)
    reply = "Chúng tôi sẽ gọi lại cho bạn tối nay victor"
    with runtime.session() as s:
        caller = get_or_create_caller(s, runtime.settings.secret_key, NUMBER)
        case = s.get(Case, built[1].case_id)
        queue_sms(
            s, caller=caller, body=reply, case=case, kind="agent", language="vi", purpose="reply"
        )
    run_jobs(runtime)
    assert fake_twilio.sms_to(NUMBER)
    return built, reply


def _all_rows_as_text(runtime: Runtime) -> str:
    with runtime.db.engine.connect() as conn:
        return "\n".join(
            repr(row)
            for table in metadata.sorted_tables
            for row in conn.execute(text(f"SELECT * FROM {table.name}"))  # noqa: S608
        )


def _readable(runtime: Runtime) -> str:
    """Every text the hotline can still read back (decrypted), whatever table holds it."""
    with runtime.db.session() as s:
        texts = [
            *s.scalars(select(SmsMessage.body)),
            *s.scalars(select(Voicemail.transcript)),
            *s.scalars(select(Translation.text)),
            *s.scalars(select(CaseEvent.body)),
        ]
    return "\n".join(t for t in texts if t)


def _raw_sqlite(runtime: Runtime) -> bytes:
    """The database file and its write-ahead log, byte for byte."""
    path = Path(runtime.settings.database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@both_backends
@pytest.mark.slow
def test_export_then_erase_leaves_nothing_readable_about_the_worker(
    twilio_runtime: Runtime, fake_twilio: Any, tmp_path: Path
) -> None:
    runtime = twilio_runtime
    built, reply = _worker_with_two_cases(runtime, fake_twilio)
    other = make_history(runtime, OTHER, opened=utcnow() - DAY, closed=None, words="zulu")
    env = _env(runtime, fake_twilio)
    out = tmp_path / "export"
    with runtime.db.session() as s:  # a choice the worker told an adviser: exported, erased
        caller = find_caller(s, runtime.settings.secret_key, NUMBER)
        assert caller is not None
        record_answer(s, caller, "sms", "no", channel="agent")

    exported = CliRunner().invoke(
        main, ["worker-data", "export", "--number", NUMBER, "--out", str(out), "--yes"], env=env
    )

    assert exported.exit_code == 0, exported.output
    assert NUMBER not in exported.output
    data = json.loads((out / "worker-data.json").read_text("utf-8"))
    with runtime.db.session() as s:
        references = {s.get(Case, b.case_id).reference for b in built}  # type: ignore[union-attr]
    assert {c["reference"] for c in data["cases"]} == references
    texts = {m["text"] for m in data["messages"]}
    assert {b.body for b in built} | {reply} <= texts
    transcripts = {v["transcript"] for c in data["cases"] for v in c["voicemails"]}
    assert transcripts == {b.transcript for b in built}
    notes = {e["text"] for c in data["cases"] for e in c["timeline"] if e["kind"] == "note"}
    assert notes == {b.note for b in built}
    assert any("tango" in t["text"] for m in data["messages"] for t in m["translations"])
    audio = {(out / v["audio_file"]).read_bytes() for c in data["cases"] for v in c["voicemails"]}
    assert audio == {b.audio for b in built}
    assert [e["action"] for e in data["opt_out_history"]] == ["stop", "stop"]
    assert ("sms", "no", "agent") in {
        (e["subject"], e["value"], e["channel"]) for e in data["consent_history"]
    }
    assert "zulu" not in (out / "worker-data.json").read_text("utf-8")

    if runtime.db.is_sqlite:
        assert built[0].body in _readable(runtime)  # the hotline could read it before

    refused = CliRunner().invoke(
        main, ["worker-data", "erase", "--number", NUMBER], env=env, input="n\n"
    )
    assert refused.exit_code != 0
    assert built[0].body in _readable(runtime)  # nothing erased without a yes

    erased = CliRunner().invoke(
        main, ["worker-data", "erase", "--number", NUMBER], env=env, input="y\n"
    )

    assert erased.exit_code == 0, erased.output
    assert NUMBER not in erased.output
    # Twilio holds nothing about the number any more.
    assert fake_twilio.held_about(NUMBER) == []
    assert not {b.recording_sid for b in built} & set(fake_twilio.recordings)
    # Nothing readable about the worker is left in any row of any table.
    everything = _all_rows_as_text(runtime) + _readable(runtime)
    for b in built:
        for secret in (b.body, b.transcript, b.note, "tango", "uniform", b.message_sid):
            assert secret not in everything
    assert "victor" not in everything
    assert NUMBER not in everything and NUMBER[1:] not in everything
    with runtime.db.engine.connect() as conn:
        blobs = [bytes(r[0]) for r in conn.execute(text("SELECT audio FROM voicemail_audio"))]
    assert not {b.audio for b in built} & set(blobs)
    with runtime.db.session() as s:
        assert find_caller(s, runtime.settings.secret_key, NUMBER) is None
        assert s.scalars(select(ConsentEntry).where(ConsentEntry.channel == "agent")).all() == []
        # The anonymised statistics stay: both cases, their language, topics and outcome.
        cases = [s.get(Case, b.case_id) for b in built]
        assert [(c.language, c.status, c.outcome) for c in cases if c] == [
            ("vi", "closed", "resolved"),
            ("vi", "open", None),
        ]
        assert set(
            s.scalars(select(CaseTopic.topic).where(CaseTopic.case_id == built[0].case_id))
        ) == {"wages"}
        audit = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action.in_(["worker_data.export", "worker_data.erase"])
            )
        ).all()
    assert [e.action for e in audit] == ["worker_data.export", "worker_data.erase"]
    assert audit[1].detail is not None and audit[1].detail["twilio_recordings"] == 2
    assert NUMBER not in repr([e.detail for e in audit])
    # The other worker's data is untouched.
    assert other.body in everything and other.note in everything
    if runtime.db.is_sqlite:
        raw = _raw_sqlite(runtime)
        for b in built:
            assert b.body.encode() not in raw
            assert b.note.encode() not in raw
            assert b.audio not in raw


def test_export_and_erase_ask_for_confirmation_and_name_an_unknown_number(
    twilio_runtime: Runtime, fake_twilio: Any, tmp_path: Path
) -> None:
    env = _env(twilio_runtime, fake_twilio)

    unknown = CliRunner().invoke(
        main, ["worker-data", "erase", "--number", NUMBER, "--yes"], env=env
    )
    assert unknown.exit_code != 0
    assert "nothing is held about that number" in unknown.output

    bad = CliRunner().invoke(main, ["worker-data", "export", "--number", "hello"], env=env)
    assert bad.exit_code == 2
    assert "E.164" in bad.output

    make_history(twilio_runtime, NUMBER, opened=utcnow(), closed=None, words="kilo")
    declined = CliRunner().invoke(
        main,
        ["worker-data", "export", "--number", NUMBER, "--out", str(tmp_path / "x")],
        env=env,
        input="n\n",
    )
    assert declined.exit_code != 0
    assert not (tmp_path / "x" / "worker-data.json").exists()


def test_erase_stops_before_deleting_ours_when_twilio_fails(
    twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    built = make_history(twilio_runtime, NUMBER, opened=utcnow(), closed=None, words="lima")
    fake_twilio.add_recording(built.recording_sid, built.audio)
    env = {**_env(twilio_runtime, fake_twilio), "TWILIO_API_URL": "http://127.0.0.1:9"}

    failed = CliRunner().invoke(
        main, ["worker-data", "erase", "--number", NUMBER, "--yes"], env=env
    )

    assert failed.exit_code != 0
    assert "run the command again" in failed.output
    assert built.body in _readable(twilio_runtime)
