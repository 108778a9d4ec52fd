"""An adviser carries a case from first contact to closure through the agent API:
inbox, notes, assignment and hand-over, status and topics, STATUS for the worker,
reopening when the worker comes back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.cases.models import Case, CaseEvent
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from tests.builders import auth, case_by_text, make_agent, make_callback
from tests.conftest import both_backends
from tests.helpers import run_jobs
from tests.sms.helpers import expected, reply_of, text_in

VI_WORKER = "+819000000301"
KM_WORKER = "+819000000302"
UNPAID = "Công ty không trả lương cho tôi ba tháng rồi"


def listed(client: Any, token: str, query: str = "") -> list[dict[str, Any]]:
    answer = client.get(f"/api/cases{query}", headers=auth(token))
    assert answer.status_code == 200, answer.json
    return list(answer.json)


def test_an_sms_only_vietnamese_case_reaches_vietnamese_advisers_only(
    client: Any, runtime: Runtime
) -> None:
    case_id = case_by_text(client, runtime, sender=VI_WORKER, body=UNPAID)
    lan = make_agent(runtime, name="Lan", languages="vi,en").token
    sokha = make_agent(runtime, name="Sokha", languages="km").token
    [item] = listed(client, lan)
    assert item["id"] == case_id
    assert item["language"] == "vi"
    assert item["needs_reply"] is True
    assert item["oldest_unanswered_age_seconds"] >= 0
    assert item["unread"] is True
    assert listed(client, sokha) == []
    assert client.get(f"/api/cases/{case_id}", headers=auth(sokha)).status_code == 404


def test_a_reply_answers_the_worker_and_reading_marks_the_case_read(
    client: Any, runtime: Runtime
) -> None:
    case_id = case_by_text(client, runtime, sender=VI_WORKER, body=UNPAID)
    lan = make_agent(runtime, name="Lan", languages="vi").token
    client.get(f"/api/cases/{case_id}", headers=auth(lan))
    [item] = listed(client, lan)
    assert (item["unread"], item["needs_reply"]) == (False, True)
    sent = client.post(f"/api/cases/{case_id}/reply", json={"text": "Chào bạn"}, headers=auth(lan))
    assert sent.status_code == 200
    [item] = listed(client, lan)
    assert item["needs_reply"] is False
    assert item["oldest_unanswered_age_seconds"] is None
    text_in(client, "Tôi vẫn chưa được trả lương", sender=VI_WORKER)
    [item] = listed(client, lan)
    assert (item["unread"], item["needs_reply"]) == (True, True)


def test_a_note_stays_inside_and_never_reaches_twilio(
    twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    from hotline import create_app

    client = create_app(runtime=twilio_runtime).test_client()
    _, case_id = make_callback(twilio_runtime, language="vi")
    lan = make_agent(twilio_runtime, name="Lan", languages="vi")
    note = "Employer is Sato Farm; worker afraid of losing visa"
    answer = client.post(
        f"/api/cases/{case_id}/notes", json={"text": note}, headers=auth(lan.token)
    )
    assert answer.status_code == 201 and answer.json is not None
    assert (answer.json["kind"], answer.json["text"], answer.json["agent_id"]) == (
        "note",
        note,
        lan.id,
    )
    run_jobs(twilio_runtime)
    assert fake_twilio.requests == []
    with twilio_runtime.db.session() as session:
        assert session.scalars(select(SmsMessage)).all() == []
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.note")).all()
        assert [(a.agent_id, a.subject_id) for a in audit] == [(lan.id, case_id)]
        assert note not in str([a.detail for a in audit])  # the audit log names, never quotes
    case = client.get(f"/api/cases/{case_id}", headers=auth(lan.token)).json
    assert case is not None
    assert [(e["kind"], e["text"]) for e in case["events"]] == [("note", note)]
    assert {"type": "event", "at": case["events"][0]["at"], "id": answer.json["id"]} in case[
        "timeline"
    ]


@pytest.mark.parametrize("text", ["", "   ", 5, None])
def test_an_empty_or_malformed_note_is_refused(client: Any, runtime: Runtime, text: Any) -> None:
    _, case_id = make_callback(runtime, language="vi")
    lan = make_agent(runtime, languages="vi").token
    answer = client.post(f"/api/cases/{case_id}/notes", json={"text": text}, headers=auth(lan))
    assert answer.status_code == 422
    assert answer.json["error"] == "validation_error"


def test_hand_over_goes_only_to_an_adviser_who_speaks_the_language(
    client: Any, runtime: Runtime
) -> None:
    _, case_id = make_callback(runtime, language="vi")
    lan = make_agent(runtime, name="Lan", languages="vi,en")
    minh_id = make_agent(runtime, name="Minh", languages="vi").id
    sokha_id = make_agent(runtime, name="Sokha", languages="km,en").id
    mine = client.post(
        f"/api/cases/{case_id}/assign", json={"agent_id": lan.id}, headers=auth(lan.token)
    )
    assert mine.status_code == 200 and mine.json["assigned_agent_id"] == lan.id
    refused = client.post(
        f"/api/cases/{case_id}/assign", json={"agent_id": sokha_id}, headers=auth(lan.token)
    )
    assert refused.status_code == 409
    assert refused.json["error"] == "language_mismatch"
    assert "Sokha" in refused.json["message"] and "vi" in refused.json["message"]
    handed = client.post(
        f"/api/cases/{case_id}/assign",
        json={"agent_id": minh_id, "note": "Minh knows this employer"},
        headers=auth(lan.token),
    )
    assert handed.status_code == 200 and handed.json["assigned_agent_id"] == minh_id
    with runtime.db.session() as session:
        events = session.scalars(select(CaseEvent).order_by(CaseEvent.id)).all()
        assert [(e.kind, e.agent_id, (e.detail or {}).get("to_agent_id")) for e in events] == [
            ("assigned", lan.id, lan.id),
            ("handed_over", lan.id, minh_id),
        ]
        assert events[1].body == "Minh knows this employer"
        assert session.get(Case, case_id).assigned_agent_id == minh_id  # type: ignore[union-attr]
    # Lan still speaks Vietnamese, so she still sees it; assigned=me no longer lists it.
    assert listed(client, lan.token, "?assigned=me") == []
    unassigned = client.post(
        f"/api/cases/{case_id}/assign", json={"agent_id": None}, headers=auth(lan.token)
    )
    assert unassigned.json["assigned_agent_id"] is None
    assert [c["id"] for c in listed(client, lan.token, "?assigned=none")] == [case_id]


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [{}, {"agent_id": "2"}, {"agent_id": True}, {"agent_id": 999999}, {"agent_id": 2**40}],
)
def test_assigning_to_nobody_known_is_a_clear_422(
    client: Any, runtime: Runtime, body: dict[str, Any]
) -> None:
    _, case_id = make_callback(runtime, language="vi")
    lan = make_agent(runtime, languages="vi").token
    answer = client.post(f"/api/cases/{case_id}/assign", json=body, headers=auth(lan))
    assert answer.status_code == 422, answer.json


@pytest.mark.slow
@both_backends
def test_close_status_reopen_on_the_workers_next_text(client: Any, runtime: Runtime) -> None:
    case_id = case_by_text(client, runtime, sender=VI_WORKER, body=UNPAID)
    lan = make_agent(runtime, name="Lan", languages="vi")
    client.post(f"/api/cases/{case_id}/assign", json={"agent_id": lan.id}, headers=auth(lan.token))
    reference = client.get(f"/api/cases/{case_id}", headers=auth(lan.token)).json["reference"]

    no_outcome = client.post(
        f"/api/cases/{case_id}/status", json={"status": "closed"}, headers=auth(lan.token)
    )
    assert no_outcome.status_code == 422 and "outcome" in no_outcome.json["message"]
    closed = client.post(
        f"/api/cases/{case_id}/status",
        json={"status": "closed", "outcome": "resolved", "topics": ["unpaid_wages"]},
        headers=auth(lan.token),
    )
    assert closed.status_code == 200
    assert (closed.json["status"], closed.json["outcome"], closed.json["topics"]) == (
        "closed",
        "resolved",
        ["unpaid_wages"],
    )
    assert listed(client, lan.token) == []  # the inbox shows every status but closed
    assert [c["id"] for c in listed(client, lan.token, "?status=closed")] == [case_id]

    answer = reply_of(text_in(client, f"STATUS {reference}", sender=VI_WORKER))
    assert answer == expected("vi", "status_closed", reference=reference)

    text_in(client, "Công ty lại không trả lương tháng này", sender=VI_WORKER)
    [item] = listed(client, lan.token)
    assert (item["id"], item["status"], item["outcome"]) == (case_id, "open", None)
    assert item["assigned_agent_id"] == lan.id  # the adviser who had it is shown
    assert item["needs_reply"] is True
    kinds = [
        e["kind"]
        for e in client.get(f"/api/cases/{case_id}", headers=auth(lan.token)).json["events"]
    ]
    assert kinds[-1] == "reopened"
    answer = reply_of(text_in(client, f"STATUS {reference}", sender=VI_WORKER))
    assert answer == expected("vi", "status_open", reference=reference)


@pytest.mark.parametrize("status", ["waiting", "referred"])
def test_status_answers_waiting_and_referred_in_the_workers_language(
    client: Any, runtime: Runtime, status: str
) -> None:
    case_id = case_by_text(client, runtime, sender=VI_WORKER, body=UNPAID)
    lan = make_agent(runtime, languages="vi").token
    client.post(f"/api/cases/{case_id}/status", json={"status": status}, headers=auth(lan))
    reference = client.get(f"/api/cases/{case_id}", headers=auth(lan)).json["reference"]
    answer = reply_of(text_in(client, f"STATUS {reference}", sender=VI_WORKER))
    assert answer == expected("vi", f"status_{status}", reference=reference)


def test_a_worker_who_answers_a_waiting_case_makes_it_open_again(
    client: Any, runtime: Runtime
) -> None:
    case_id = case_by_text(client, runtime, sender=VI_WORKER, body=UNPAID)
    lan = make_agent(runtime, languages="vi").token
    client.post(f"/api/cases/{case_id}/reply", json={"text": "Bạn làm ở đâu?"}, headers=auth(lan))
    client.post(f"/api/cases/{case_id}/status", json={"status": "waiting"}, headers=auth(lan))
    assert listed(client, lan)[0]["status"] == "waiting"
    text_in(client, "Tôi làm ở Aichi", sender=VI_WORKER)
    [item] = listed(client, lan)
    assert (item["status"], item["needs_reply"]) == ("open", True)


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        {"status": "done"},
        {"status": "closed", "outcome": "happy"},
        {"status": "open", "outcome": "resolved"},
        {"topics": ["wages"]},
        {"topics": "unpaid_wages"},
        {},
        {"status": 3},
    ],
)
def test_a_bad_status_change_is_a_clear_422_and_changes_nothing(
    client: Any, runtime: Runtime, body: dict[str, Any]
) -> None:
    _, case_id = make_callback(runtime, language="vi")
    lan = make_agent(runtime, languages="vi").token
    answer = client.post(f"/api/cases/{case_id}/status", json=body, headers=auth(lan))
    assert answer.status_code == 422, answer.json
    case = client.get(f"/api/cases/{case_id}", headers=auth(lan)).json
    assert (case["status"], case["topics"], case["events"]) == ("open", [], [])


def test_a_closed_case_cannot_be_reopened_beside_the_workers_new_one(
    client: Any, runtime: Runtime
) -> None:
    first = case_by_text(client, runtime, sender=VI_WORKER, body=UNPAID)
    lan = make_agent(runtime, languages="vi").token
    client.post(
        f"/api/cases/{first}/status",
        json={"status": "closed", "outcome": "withdrawn"},
        headers=auth(lan),
    )
    with runtime.db.session() as session:  # closed long ago: the next text opens a new case
        import datetime as dt

        case = session.get(Case, first)
        assert case is not None and case.closed_at is not None
        case.closed_at -= dt.timedelta(days=400)
    second = case_by_text(client, runtime, sender=VI_WORKER, body="Tôi bị tai nạn lao động")
    assert second != first
    answer = client.post(f"/api/cases/{first}/status", json={"status": "open"}, headers=auth(lan))
    assert answer.status_code == 409
    assert answer.json["error"] == "case_conflict"


def test_inbox_filters_and_pages(client: Any, runtime: Runtime) -> None:
    ids = [
        case_by_text(client, runtime, sender=f"+8190000004{n:02d}", body=f"Tin nhắn số {n}")
        for n in range(5)
    ]
    km_case = case_by_text(client, runtime, sender=KM_WORKER, body="ក្រុមហ៊ុនមិនបើកប្រាក់ខែ")
    lan = make_agent(runtime, name="Lan", languages="vi,km")
    client.post(f"/api/cases/{ids[1]}/assign", json={"agent_id": lan.id}, headers=auth(lan.token))
    client.post(
        f"/api/cases/{ids[2]}/status",
        json={"topics": ["injury", "housing"]},
        headers=auth(lan.token),
    )
    with runtime.db.session() as session:
        urgent = session.get(Case, ids[3])
        assert urgent is not None
        urgent.urgent = True
        reference = session.get(Case, ids[4]).reference  # type: ignore[union-attr]

    assert {c["id"] for c in listed(client, lan.token)} == {*ids, km_case}
    assert [c["id"] for c in listed(client, lan.token, "?language=km")] == [km_case]
    assert [c["id"] for c in listed(client, lan.token, "?assigned=me")] == [ids[1]]
    assert ids[1] not in {c["id"] for c in listed(client, lan.token, "?assigned=none")}
    assert [c["id"] for c in listed(client, lan.token, "?topic=injury")] == [ids[2]]
    assert [c["id"] for c in listed(client, lan.token, f"?q={reference}")] == [ids[4]]
    assert [c["id"] for c in listed(client, lan.token, "?urgent=true")] == [ids[3]]
    needs_first = listed(client, lan.token, "?sort=needs_reply")
    assert needs_first[0]["id"] == ids[3]  # urgent first, then the oldest unanswered
    assert [c["id"] for c in needs_first[1:]] == [*ids[:3], ids[4], km_case]
    assert listed(client, lan.token)[0]["id"] == km_case  # by default latest activity first

    page = client.get("/api/cases?per_page=4&page=2", headers=auth(lan.token))
    assert page.headers["X-Total-Count"] == "6"
    assert len(page.json) == 2
    assert 'rel="prev"' in page.headers["Link"] and 'rel="next"' not in page.headers["Link"]


@pytest.mark.parametrize(
    "query",
    [
        "?status=pending",
        "?language=xx",
        "?assigned=them",
        "?topic=money",
        "?q=abc",
        "?q=12345678",
        "?page=0",
        "?page=99999999999",
        "?per_page=500",
        "?urgent=maybe",
        "?sort=random",
    ],
)
def test_a_bad_inbox_filter_is_a_clear_422(client: Any, runtime: Runtime, query: str) -> None:
    lan = make_agent(runtime, languages="vi").token
    answer = client.get(f"/api/cases{query}", headers=auth(lan))
    assert answer.status_code == 422
    assert answer.json["error"] == "validation_error"


@pytest.mark.slow
def test_a_long_inbox_counts_only_so_far_and_still_pages_on(
    client: Any, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.cases import inbox

    monkeypatch.setattr(inbox, "COUNT_LIMIT", 3)
    for n in range(5):
        case_by_text(client, runtime, sender=f"+8190000005{n:02d}", body=f"Tin nhắn số {n}")
    lan = make_agent(runtime, languages="vi").token
    first = client.get("/api/cases?per_page=2", headers=auth(lan))
    assert (first.headers["X-Total-Count"], first.headers["X-Total-Count-Capped"]) == ("3", "true")
    assert 'rel="next"' in first.headers["Link"]
    last = client.get("/api/cases?per_page=2&page=3", headers=auth(lan))
    assert len(last.json) == 1
    assert last.headers["X-Total-Count"] == "5"  # counted as far as the page asked
    assert "X-Total-Count-Capped" not in last.headers
    assert 'rel="next"' not in last.headers["Link"]
    exact = client.get("/api/cases?per_page=2&status=closed", headers=auth(lan))
    assert "X-Total-Count-Capped" not in exact.headers
