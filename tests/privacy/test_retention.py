"""The retention job deletes exactly what its periods say is due, at frozen instants, and
a second run changes nothing; `hotline retention report` shows what comes next."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.callbacks.models import CallbackRequest
from hotline.cases.models import Case, CaseEvent, CaseTopic
from hotline.cli import main
from hotline.privacy.retention import purge
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.models import Translation
from hotline.voice.models import Voicemail, VoicemailAudio
from tests.conftest import both_backends
from tests.privacy.builders import Built, make_history
from tests.test_cli import cli_env

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _snapshot(runtime: Runtime) -> dict[str, Any]:
    """Everything the retention rules can touch, as comparable values."""
    with runtime.db.session() as s:
        return {
            "cases": sorted(s.execute(select(Case.id, Case.status, Case.outcome)).all()),
            "topics": sorted(s.execute(select(CaseTopic.case_id, CaseTopic.topic)).all()),
            "texts": sorted(s.scalars(select(SmsMessage.body))),
            "audio": sorted(s.scalars(select(VoicemailAudio.voicemail_id))),
            "transcripts": sorted(s.execute(select(Voicemail.id, Voicemail.transcript)).all()),
            "translations": sorted(s.scalars(select(Translation.text))),
            "notes": sorted(s.execute(select(CaseEvent.id, CaseEvent.body)).all()),
            "callback_notes": sorted(
                s.execute(select(CallbackRequest.id, CallbackRequest.note)).all()
            ),
            "audit": sorted(s.scalars(select(AuditEvent.id))),
        }


def _build(runtime: Runtime) -> dict[str, Built]:
    return {
        # Closed just over the audio period: audio goes, content stays.
        "audio_due": make_history(
            runtime,
            "+819000000301",
            opened=NOW - 60 * DAY,
            closed=NOW - 30 * DAY - 1 * DAY,
            words="alpha",
        ),
        # Closed one second short of the audio period: nothing goes.
        "nothing_due": make_history(
            runtime,
            "+819000000302",
            opened=NOW - 60 * DAY,
            closed=NOW - 30 * DAY + dt.timedelta(seconds=1),
            words="bravo",
        ),
        # Closed over a year ago: content and audio go, the case row stays.
        "content_due": make_history(
            runtime,
            "+819000000303",
            opened=NOW - 500 * DAY,
            closed=NOW - 366 * DAY,
            words="charlie",
        ),
        # Opened long ago and still open: nothing goes, however old.
        "open": make_history(
            runtime, "+819000000304", opened=NOW - 900 * DAY, closed=None, words="delta"
        ),
    }


def _audit_at(runtime: Runtime, when: dt.datetime) -> int:
    with runtime.db.session() as s:
        event = AuditEvent(action="case.read", subject_type="case", subject_id=1, at=when)
        s.add(event)
        s.flush()
        return event.id


@pytest.mark.slow
@both_backends
def test_retention_deletes_exactly_what_is_due_and_a_second_run_changes_nothing(
    runtime: Runtime,
) -> None:
    built = _build(runtime)
    old_audit = _audit_at(runtime, NOW - 3 * 365 * DAY - DAY)
    recent_audit = _audit_at(runtime, NOW - 3 * 365 * DAY + DAY)
    before = _snapshot(runtime)

    with time_machine.travel(NOW, tick=False):
        first = purge(runtime, batch_size=1)  # one row per batch: the batching is exercised
        after_first = _snapshot(runtime)
        second = purge(runtime, batch_size=1)
        after_second = _snapshot(runtime)

    assert first == {
        "voicemail_audio": 2,
        "texts": 1,
        "transcripts": 1,
        "notes": 1,
        "callback_notes": 1,
        "translation_cache": 0,
        "audit_events": 1,
    }
    assert set(second.values()) == {0}
    assert after_second == after_first
    # Every case, topic and outcome is still there for the statistics.
    assert after_first["cases"] == before["cases"]
    assert after_first["topics"] == before["topics"]
    with runtime.db.session() as s:
        texts = set(s.scalars(select(SmsMessage.body)))
        audio_cases = set(
            s.scalars(
                select(Voicemail.case_id).join(
                    VoicemailAudio, VoicemailAudio.voicemail_id == Voicemail.id
                )
            )
        )
        transcripts = {t for t in s.scalars(select(Voicemail.transcript)) if t}
        notes = {n for n in s.scalars(select(CaseEvent.body)) if n}
        translations = " ".join(t or "" for t in s.scalars(select(Translation.text)))
        callback_notes = " ".join(n or "" for n in s.scalars(select(CallbackRequest.note)))
        audit = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    kept = ("nothing_due", "open", "audio_due")
    assert texts == {built[k].body for k in kept}
    assert audio_cases == {built["nothing_due"].case_id, built["open"].case_id}
    assert transcripts == {built[k].transcript for k in kept}
    assert notes == {built[k].note for k in kept}
    assert "charlie" not in translations and "charlie" not in callback_notes
    assert "alpha" in translations and "bravo" in translations and "delta" in translations
    # The old audit entry went, the recent one stayed, and one entry records the counts.
    ids = [e.id for e in audit]
    assert old_audit not in ids and recent_audit in ids
    purges = [e for e in audit if e.action == "retention.purge"]
    assert len(purges) == 1
    assert purges[0].detail == first
    assert "charlie" not in str(purges[0].detail)


def test_texts_without_a_case_go_a_year_after_they_were_sent(runtime: Runtime) -> None:
    built = make_history(runtime, "+819000000305", opened=NOW - 10 * DAY, closed=None, words="echo")
    with runtime.db.session() as s:
        case_message = s.scalars(select(SmsMessage)).one()
        for days, body in ((366, "old help reply"), (364, "recent help reply")):
            s.add(
                SmsMessage(
                    direction="out",
                    kind="system",
                    caller_id=case_message.caller_id,
                    body=body,
                    status="delivered",
                    created_at=NOW - days * DAY,
                )
            )

    with time_machine.travel(NOW, tick=False):
        counts = purge(runtime)

    assert counts["texts"] == 1
    with runtime.db.session() as s:
        assert set(s.scalars(select(SmsMessage.body))) == {built.body, "recent help reply"}


def test_shorter_configured_periods_are_honoured(settings: Any) -> None:
    from tests.conftest import open_runtime

    shorter = settings.with_overrides(retain_voicemail_audio_days=7, retain_content_days=30)
    for runtime in open_runtime(shorter):
        built = make_history(
            runtime, "+819000000306", opened=NOW - 40 * DAY, closed=NOW - 31 * DAY, words="fox"
        )
        with time_machine.travel(NOW, tick=False):
            counts = purge(runtime)
        assert counts["texts"] == 1 and counts["voicemail_audio"] == 1
        with runtime.db.session() as s:
            assert built.body not in set(s.scalars(select(SmsMessage.body)))


def test_report_shows_the_periods_and_what_falls_due_next(settings: Any, runtime: Runtime) -> None:
    _build(runtime)

    with time_machine.travel(NOW, tick=False):
        result = CliRunner().invoke(
            main, ["retention", "report", "--days", "2"], env=cli_env(settings)
        )

    assert result.exit_code == 0, result.output
    assert "voicemail audio: 30 days after the case closes" in result.output
    assert "notes: 365 days after the case closes" in result.output
    assert "audit log: 1095 days" in result.output
    rows = {
        line.split()[0]: [int(n) for n in line.split()[1:]]
        for line in result.output.splitlines()
        if line.split() and line.split()[0] in ("voicemail_audio", "texts", "notes")
    }
    # Now: two cases' audio, one case's texts; within two days the "nothing due" case's
    # audio joins them.
    assert rows == {"voicemail_audio": [2, 3], "texts": [1, 1], "notes": [1, 1]}
    with runtime.db.session() as s:
        assert s.scalar(select(VoicemailAudio.id).limit(1)) is not None  # report deletes nothing
