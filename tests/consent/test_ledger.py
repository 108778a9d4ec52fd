"""The consent ledger: what the worker agreed to, when and how, shown on the case and
changeable on their request; the privacy notice's text is versioned."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.callers.models import ConsentEntry, PrivacyNotice
from hotline.cases.models import Case
from hotline.config import default_data_path
from hotline.runtime import Runtime
from hotline.voice.scripts import reload_scripts
from tests.api.openapi_check import check_response
from tests.builders import auth, make_agent
from tests.conftest import both_backends
from tests.helpers import run_jobs
from tests.voice.helpers import place_call

WORKER = "+819000000778"


def case_id_of(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return session.scalars(select(Case.id)).one()


@both_backends
@pytest.mark.slow
def test_the_case_shows_the_notice_heard_with_its_version_the_recording_and_the_choices(
    client: Any, runtime: Runtime
) -> None:
    place_call(client, "84#3 R12#", from_number=WORKER)  # hears the notice, leaves a message
    place_call(client, "2 1 1 1 2 2", from_number=WORKER)  # callback: morning, may say, no SMS
    token = make_agent(runtime, languages="vi").token
    answer = client.get(f"/api/cases/{case_id_of(runtime)}", headers=auth(token))
    assert answer.status_code == 200
    check_response(client.get("/api/openapi.json").json, "GET", "/api/cases/{case_id}", answer)
    case = answer.json
    assert case["choices"] == {"sms_allowed": False, "may_identify": True, "call_window": "morning"}
    consents = case["consents"]
    assert consents["privacy_notice"]["value"] == "heard"
    assert consents["privacy_notice"]["channel"] == "voice"
    assert consents["privacy_notice"]["notice_version"] == 1
    assert consents["recording"]["value"] == "yes"
    assert consents["sms"]["value"] == "no"
    assert [e["subject"] for e in case["consent_history"]].count("privacy_notice") == 1


def test_an_adviser_records_what_the_worker_asked_for_audited_and_then_a_reply_goes(
    client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    from hotline import create_app

    client = create_app(runtime=twilio_runtime).test_client()
    place_call(client, "84#2 1 4 2 2 2", from_number=WORKER)  # said no SMS
    case_id = case_id_of(twilio_runtime)
    agent = make_agent(twilio_runtime, languages="vi,en")
    assert (
        client.post(f"/api/cases/{case_id}/reply", json={"text": "Hi"}, headers=auth(agent.token))
    ).json["error"] == "sms_refused"

    changed = client.post(
        f"/api/cases/{case_id}/consent",
        json={"subject": "sms", "value": "yes"},
        headers=auth(agent.token),
    )
    assert changed.status_code == 200, changed.json
    document = client.get("/api/openapi.json").json
    check_response(document, "POST", "/api/cases/{case_id}/consent", changed)
    assert changed.json["choices"]["sms_allowed"] is True
    latest = changed.json["consents"]["sms"]
    assert (latest["value"], latest["channel"], latest["agent_id"]) == ("yes", "agent", agent.id)
    assert [e["value"] for e in changed.json["consent_history"] if e["subject"] == "sms"] == [
        "yes",
        "no",
    ]
    with twilio_runtime.db.session() as session:
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.consent")
        ).one()
        assert (audited.agent_id, audited.subject_id) == (agent.id, case_id)
        assert audited.detail == {"subject": "sms", "value": "yes"}

    reply = client.post(
        f"/api/cases/{case_id}/reply",
        json={"text": "Hi", "language": "en"},
        headers=auth(agent.token),
    )
    assert reply.status_code in (200, 201), reply.json
    run_jobs(twilio_runtime)
    assert len(fake_twilio.sms_to(WORKER)) == 1


@pytest.mark.slow
def test_sharing_the_number_is_kept_on_the_ledger_and_on_the_case(
    client: Any, runtime: Runtime
) -> None:
    place_call(client, "84#2 1 4 2 2 2", from_number=WORKER)
    case_id = case_id_of(runtime)
    token = make_agent(runtime, languages="vi").token
    path = f"/api/cases/{case_id}/consent"
    client.post(path, json={"subject": "number_share", "value": "yes"}, headers=auth(token))
    case = client.get(f"/api/cases/{case_id}", headers=auth(token)).json
    assert case["number_share_agreed_at"] is not None
    assert case["consents"]["number_share"]["value"] == "yes"
    client.post(path, json={"subject": "number_share", "value": "no"}, headers=auth(token))
    assert (
        client.get(f"/api/cases/{case_id}", headers=auth(token)).json["number_share_agreed_at"]
        is None
    )


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "privacy_notice", "value": "heard"},  # the worker hears it themselves
        {"subject": "sms", "value": "maybe"},
        {"subject": "call_window", "value": "midnight"},
        {"subject": "sms"},
        {"subject": "sms", "value": "yes", "extra": 1},
    ],
)
def test_a_bad_consent_request_is_a_422_and_records_nothing(
    client: Any, runtime: Runtime, body: dict[str, Any]
) -> None:
    place_call(client, "84#2 1 4 2 2 2", from_number=WORKER)
    token = make_agent(runtime, languages="vi").token
    with runtime.db.session() as session:
        before = len(session.scalars(select(ConsentEntry)).all())
    answer = client.post(
        f"/api/cases/{case_id_of(runtime)}/consent", json=body, headers=auth(token)
    )
    assert answer.status_code == 422, answer.json
    with runtime.db.session() as session:
        assert len(session.scalars(select(ConsentEntry)).all()) == before


@pytest.fixture
def edited_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of ivr_scripts/ this test may edit, loaded in place of the real one (ask for
    it before `runtime`, whose settings then name it)."""
    copy = tmp_path / "ivr_scripts"
    shutil.copytree(default_data_path("ivr_scripts"), copy)
    monkeypatch.setenv("HOTLINE_IVR_SCRIPTS", str(copy))
    monkeypatch.setenv("HOTLINE_AUDIO_DIR", str(default_data_path("audio")))
    reload_scripts()
    yield copy
    monkeypatch.undo()
    reload_scripts()


@pytest.mark.slow
def test_changing_the_notice_text_records_a_new_version_heard_by_the_next_new_caller(
    edited_scripts: Path, client: Any, runtime: Runtime
) -> None:
    place_call(client, "84#*", from_number=WORKER)
    prompts = edited_scripts / "prompts" / "vi.yaml"
    text = prompts.read_text()
    marker = 'privacy_notice:\n    text: "'
    prompts.write_text(text.replace(marker, marker + "(2) ", 1))
    assert prompts.read_text() != text
    reload_scripts()
    place_call(client, "84#*", from_number="+819000000779")
    place_call(client, "*", from_number=WORKER)  # heard already: not played, not recorded again
    with runtime.db.session() as session:
        versions = session.scalars(select(PrivacyNotice).order_by(PrivacyNotice.version)).all()
        heard = session.scalars(
            select(ConsentEntry.notice_version)
            .where(ConsentEntry.subject == "privacy_notice")
            .order_by(ConsentEntry.id)
        ).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].texts["vi"].startswith("(2) ")
    assert versions[0].texts["vi"] == versions[1].texts["vi"][4:]
    assert heard == [1, 2]
