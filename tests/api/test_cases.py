"""Reading cases through the agent API: language-routed access, audit, masked numbers,
and translations shown only when they are translations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.cases.models import Case
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.models import Translation
from hotline.voice.models import Voicemail
from tests.builders import auth, make_agent, make_callback, worker_number


@pytest.mark.slow
def test_an_agent_without_khmer_cannot_read_a_khmer_case(client: Any, runtime: Runtime) -> None:
    _, khmer_case = make_callback(runtime, phone=worker_number(1), language="km")
    token = make_agent(runtime, languages="vi,en").token
    answer = client.get(f"/api/cases/{khmer_case}", headers=auth(token))
    missing = client.get("/api/cases/999999", headers=auth(token))
    listed = client.get("/api/cases", headers=auth(token)).json
    assert answer.status_code == 404
    assert answer.json == missing.json  # no hint that the case exists
    assert answer.json["error"] == "not_found"
    assert listed == []
    with runtime.db.session() as session:
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.action == "case.read")).all() == []
        )


def test_khmer_speakers_supervisors_and_the_assigned_agent_can_read_it(
    client: Any, runtime: Runtime
) -> None:
    _, khmer_case = make_callback(runtime, phone=worker_number(1), language="km")
    khmer = make_agent(runtime, name="Sokha", languages="km,en").token
    supervisor = make_agent(runtime, name="Lead", languages="ja", role="supervisor").token
    assigned = make_agent(runtime, name="Assigned", languages="en")
    with runtime.db.session() as session:
        case = session.get(Case, khmer_case)
        assert case is not None
        case.assigned_agent_id = assigned.id
    for token in (khmer, supervisor, assigned.token):
        assert client.get(f"/api/cases/{khmer_case}", headers=auth(token)).status_code == 200


def test_reading_a_case_is_audited_with_the_agent(client: Any, runtime: Runtime) -> None:
    _, case_id = make_callback(runtime)
    agent = make_agent(runtime)
    client.get(f"/api/cases/{case_id}", headers=auth(agent.token))
    client.get(f"/api/cases/{case_id}", headers=auth(agent.token))
    with runtime.db.session() as session:
        reads = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "case.read", AuditEvent.subject_id == case_id
            )
        ).all()
    assert [(e.agent_id, e.subject_type) for e in reads] == [(agent.id, "case")] * 2


def test_the_case_shows_a_masked_number_and_an_honest_timeline(
    client: Any, runtime: Runtime
) -> None:
    callback_id, case_id = make_callback(
        runtime, phone="+819000000123", language="vi", may_identify=True
    )
    token = make_agent(runtime).token
    with runtime.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        incoming = SmsMessage(
            direction="in",
            kind="worker",
            caller_id=case.caller_id,
            case_id=case_id,
            body="Công ty giữ hộ chiếu của tôi",
            language="vi",
            status="received",
        )
        reply = SmsMessage(
            direction="out",
            kind="agent",
            caller_id=case.caller_id,
            case_id=case_id,
            body="Chúng tôi sẽ gọi lại",
            language="vi",
            status="pending",
        )
        voicemail = Voicemail(
            case_id=case_id,
            recording_sid="RE" + "0" * 32,
            recording_url="https://x.invalid/r",
            language="vi",
            transcription_status="done",
            transcript="Tôi cần giúp đỡ",
            transcript_confidence=0.91,
        )
        session.add_all([incoming, reply, voicemail])
        session.flush()
        session.add_all(
            [
                Translation(
                    source_kind="sms",
                    source_id=incoming.id,
                    source_language="vi",
                    target_language="en",
                    status="done",
                    text="The company keeps my passport",
                ),
                Translation(
                    source_kind="sms",
                    source_id=incoming.id,
                    source_language="vi",
                    target_language="ja",
                    status="failed",
                    text="garbage",
                ),
                Translation(
                    source_kind="voicemail",
                    source_id=voicemail.id,
                    source_language="vi",
                    target_language="en",
                    status="pending",
                ),
            ]
        )
    seen = client.get(f"/api/cases/{case_id}", headers=auth(token)).json
    assert seen["language"] == "vi"
    assert seen["phone_masked"] == "+81 •••• ••23"
    assert "0000123" not in str(seen)
    assert [m["direction"] for m in seen["messages"]] == ["in", "out"]
    english, japanese = seen["messages"][0]["translations"]
    assert (english["status"], english["text"]) == ("done", "The company keeps my passport")
    assert (japanese["status"], japanese["text"], japanese["label"]) == (
        "failed",
        None,
        "translation failed",
    )
    [vm] = seen["voicemails"]
    assert (vm["transcription_status"], vm["transcript"]) == ("done", "Tôi cần giúp đỡ")
    assert vm["translations"] == [
        {
            "language": "en",
            "source_language": "vi",
            "status": "pending",
            "label": "translating",
            "text": None,
        }
    ]
    [callback] = seen["callbacks"]
    assert callback["id"] == callback_id
    assert callback["discretion"] == {"may_identify": True, "sms_allowed": False}
    assert callback["phone_masked"] == "+81 •••• ••23"
    # Finished translations by language: the failed Japanese one is not among them.
    assert seen["messages"][0]["translation"] == {"en": "The company keeps my passport"}
    assert vm["translation"] == {}
    # One chronological timeline over messages, voicemails and callbacks.
    kinds = [(entry["type"], entry["id"]) for entry in seen["timeline"]]
    assert sorted(kinds) == sorted(
        [("message", m["id"]) for m in seen["messages"]]
        + [("voicemail", vm["id"]), ("callback", callback_id)]
    )
    moments = [entry["at"] for entry in seen["timeline"]]
    assert moments == sorted(moments)


def test_open_cases_are_listed_latest_activity_first(client: Any, runtime: Runtime) -> None:
    _, older = make_callback(runtime, phone=worker_number(1))
    _, newer = make_callback(runtime, phone=worker_number(2))
    _, closed = make_callback(runtime, phone=worker_number(3))
    with runtime.db.session() as session:
        for case_id, minutes in ((older, 30), (newer, 5)):
            case = session.get(Case, case_id)
            assert case is not None
            case.last_activity_at = dt.datetime(2030, 1, 15, 1, 0, tzinfo=dt.UTC) - dt.timedelta(
                minutes=minutes
            )
        finished = session.get(Case, closed)
        assert finished is not None
        finished.status = "closed"
    token = make_agent(runtime).token
    listed = client.get("/api/cases", headers=auth(token)).json
    assert [c["id"] for c in listed] == [newer, older]
    assert set(listed[0]) >= {"id", "reference", "language", "status", "last_activity_at"}


def test_without_a_valid_token_the_api_answers_401_in_json(client: Any, runtime: Runtime) -> None:
    for path in ("/api/queue", "/api/cases", "/api/cases/1"):
        answer = client.get(path, headers={"Authorization": "Bearer nope"})
        assert answer.status_code == 401
        assert answer.json["error"] == "unauthorized"
