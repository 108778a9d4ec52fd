"""Referring a worker: recorded on the case, told by SMS in the worker's language within
3 segments per organisation, and never sent to a worker who opted out or refused SMS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from hotline import create_app
from hotline.cases.models import Referral
from hotline.runtime import Runtime
from hotline.sms.segments import count_segments
from tests.builders import auth, make_agent, make_callback, make_organisation
from tests.helpers import run_jobs
from tests.sms.helpers import text_in

WORKER = "+819000000501"


@pytest.fixture
def client(twilio_runtime: Runtime) -> Iterator[Any]:
    yield create_app(runtime=twilio_runtime).test_client()


def organisations(runtime: Runtime, language: str) -> list[int]:
    return [
        make_organisation(
            runtime,
            name_en="Japan Legal Support Center multilingual information",
            known_as="Hōterasu",
            kind="legal_aid",
            phone="0570-078377",
            hours="mon-fri 09:00-17:00",
            languages=[language],
        ),
        make_organisation(runtime, languages=[language]),
    ]


@pytest.mark.parametrize("language", ["vi", "ne", "my"])
def test_a_referral_sms_per_organisation_in_the_workers_language(
    client: Any, twilio_runtime: Runtime, fake_twilio: Any, language: str
) -> None:
    _, case_id = make_callback(twilio_runtime, phone=WORKER, language=language, sms_allowed=True)
    agent = make_agent(twilio_runtime, languages=language)
    orgs = organisations(twilio_runtime, language)
    answer = client.post(
        f"/api/cases/{case_id}/referrals",
        json={"organisations": orgs, "send_sms": True},
        headers=auth(agent.token),
    )
    assert answer.status_code == 201, answer.json
    assert [r["organisation_id"] for r in answer.json["referrals"]] == orgs
    run_jobs(twilio_runtime)
    sent = fake_twilio.sms_to(WORKER)
    assert len(sent) == 2
    for body, phone in zip([m["Body"] for m in sent], ["0570-078377", "0120-558-815"], strict=True):
        assert phone in body
        assert count_segments(body).segments <= 3
        assert "{" not in body  # every placeholder filled
    with twilio_runtime.db.session() as session:
        rows = session.scalars(select(Referral).order_by(Referral.id)).all()
        assert [(r.organisation_id, r.agent_id, r.message_id is not None) for r in rows] == [
            (orgs[0], agent.id, True),
            (orgs[1], agent.id, True),
        ]
    case = client.get(f"/api/cases/{case_id}", headers=auth(agent.token)).json
    assert [r["organisation"] for r in case["referrals"]] == ["Hōterasu", "MHLW hotline"]
    assert case["events"][-1]["kind"] == "referral"


def test_no_referral_sms_after_stop(client: Any, twilio_runtime: Runtime, fake_twilio: Any) -> None:
    text_in(client, "Công ty giữ hộ chiếu của tôi", sender=WORKER)
    text_in(client, "STOP", sender=WORKER)
    run_jobs(twilio_runtime)
    token = make_agent(twilio_runtime, languages="vi").token
    case_id = client.get("/api/cases", headers=auth(token)).json[0]["id"]
    requests_before = len(fake_twilio.requests)
    answer = client.post(
        f"/api/cases/{case_id}/referrals",
        json={"organisations": organisations(twilio_runtime, "vi")},
        headers=auth(token),
    )
    assert answer.status_code == 409
    assert answer.json["error"] == "opted_out"
    run_jobs(twilio_runtime)
    assert len(fake_twilio.requests) == requests_before
    with twilio_runtime.db.session() as session:
        assert session.scalars(select(Referral)).all() == []


def test_no_referral_sms_when_the_worker_refused_sms(
    client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    _, case_id = make_callback(twilio_runtime, phone=WORKER, language="vi", sms_allowed=False)
    token = make_agent(twilio_runtime, languages="vi").token
    orgs = organisations(twilio_runtime, "vi")
    refused = client.post(
        f"/api/cases/{case_id}/referrals", json={"organisations": orgs}, headers=auth(token)
    )
    assert refused.status_code == 409
    assert refused.json["error"] == "sms_refused"
    assert "callback" in refused.json["message"]
    # Recorded without a text: the adviser tells the worker on the phone instead.
    quiet = client.post(
        f"/api/cases/{case_id}/referrals",
        json={"organisations": orgs, "send_sms": False},
        headers=auth(token),
    )
    assert quiet.status_code == 201
    run_jobs(twilio_runtime)
    assert fake_twilio.sms_to(WORKER) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        {"organisations": []},
        {"organisations": [999999]},
        {"organisations": ["1"]},
        {"organisations": [2**40]},
        {"organisations": [1], "send_sms": "yes"},
        {"send_sms": True},
    ],
)
def test_a_bad_referral_is_a_clear_422(
    client: Any, twilio_runtime: Runtime, body: dict[str, Any]
) -> None:
    _, case_id = make_callback(twilio_runtime, phone=WORKER, language="vi", sms_allowed=True)
    token = make_agent(twilio_runtime, languages="vi").token
    make_organisation(twilio_runtime)
    answer = client.post(f"/api/cases/{case_id}/referrals", json=body, headers=auth(token))
    assert answer.status_code == 422, answer.json
