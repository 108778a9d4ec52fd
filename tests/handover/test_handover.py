"""Handing a case over to a partner organisation: the adviser's summary, the worker's
agreement to share their number, the JSON and PDF documents, audit and access."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.cases.models import Case, CaseEvent
from hotline.runtime import Runtime
from tests.api.openapi_check import check_response
from tests.builders import PASSWORD, auth, make_agent, make_callback, worker_number
from tests.conftest import both_backends
from tests.pdf_text import pdftotext as _pdftotext
from tests.pdf_text import words as _words
from tests.web.helpers import page_csrf, sign_in

PHONE = "+819000000123"
# A summary as an adviser who speaks the worker's language would write it.
SUMMARIES = {
    "km": "ក្រុមហ៊ុនមិនបានបើកប្រាក់ខែឱ្យខ្ញុំបីខែហើយ។ និយោជករក្សាលិខិតឆ្លងដែនរបស់ខ្ញុំ។",
    "my": "ကုမ္ပဏီက ကျွန်တော့်ကို သုံးလ လစာမပေးပါဘူး။ အလုပ်ရှင်က ပတ်စ်ပို့ကို သိမ်းထားတယ်။",
    "ne": "कम्पनीले मलाई तीन महिनादेखि तलब दिएको छैन। मालिकले मेरो राहदानी राखेको छ।",
}


def _summary(client: Any, token: str, case_id: int, text: str) -> Any:
    return client.put(f"/api/cases/{case_id}/summary", json={"text": text}, headers=auth(token))


@pytest.mark.slow
@both_backends
def test_the_summary_is_on_the_timeline_and_the_latest_wins(client: Any, runtime: Runtime) -> None:
    _, case_id = make_callback(runtime, phone=PHONE, language="vi")
    agent = make_agent(runtime, name="Lan", languages="vi,en")
    document = client.get("/api/openapi.json").json
    first = _summary(client, agent.token, case_id, "First draft")
    check_response(document, "PUT", "/api/cases/{case_id}/summary", first)
    second = _summary(client, agent.token, case_id, "  Wages unpaid since March.  ")
    assert second.status_code == 200
    assert second.json["text"] == "Wages unpaid since March."
    assert second.json["written_by"] == {"id": agent.id, "name": "Lan"}
    handover = client.get(f"/api/cases/{case_id}/handover.json", headers=auth(agent.token))
    check_response(document, "GET", "/api/cases/{case_id}/handover.json", handover)
    assert handover.json["summary"]["text"] == "Wages unpaid since March."
    assert handover.json["summary"]["written_by"] == "Lan"
    with runtime.db.session() as session:
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "summary")
        ).all()
        assert [e.body for e in events] == ["First draft", "Wages unpaid since March."]
        assert {e.agent_id for e in events} == {agent.id}
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.summary"))
        assert all(e.detail and "First draft" not in str(e.detail) for e in audit)


def test_bad_summaries_get_422_and_strangers_404(client: Any, runtime: Runtime) -> None:
    _, case_id = make_callback(runtime, phone=PHONE, language="vi")
    token = make_agent(runtime, name="Lan", languages="vi,en").token
    khmer_only = make_agent(runtime, name="Sokha", languages="km").token
    document = client.get("/api/openapi.json").json
    path = "/api/cases/{case_id}/summary"
    bodies: list[Any] = [{"text": "   "}, {"text": 5}, {"text": "x" * 4001}, {"summary": "hi"}, []]
    for body in bodies:
        answer = client.put(f"/api/cases/{case_id}/summary", json=body, headers=auth(token))
        assert answer.status_code == 422, body
        check_response(document, "PUT", path, answer)
    stranger = _summary(client, khmer_only, case_id, "hello")
    assert stranger.status_code == 404
    for suffix in ("handover.json", "handover.pdf"):
        assert (
            client.get(f"/api/cases/{case_id}/{suffix}", headers=auth(khmer_only)).status_code
            == 404
        )
    sharing = client.post(
        f"/api/cases/{case_id}/number-sharing", json={"agreed": True}, headers=auth(khmer_only)
    )
    assert sharing.status_code == 404
    with runtime.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.number_share_agreed_at is None


@both_backends
@pytest.mark.slow
def test_the_number_is_in_the_handover_only_after_the_worker_agreed(
    client: Any, runtime: Runtime, tmp_path: Path
) -> None:
    _, case_id = make_callback(runtime, phone=PHONE, language="vi")
    agent = make_agent(runtime, name="Lan", languages="vi,en")
    document = client.get("/api/openapi.json").json
    url = f"/api/cases/{case_id}/handover.json"

    before = client.get(url, headers=auth(agent.token))
    assert before.json["phone"] == {"shared": False, "number": None, "agreed_at": None}
    assert "9000000123" not in before.get_data(as_text=True)
    pdf_before = client.get(f"/api/cases/{case_id}/handover.pdf", headers=auth(agent.token))
    assert "9000000123" not in _pdftotext(pdf_before.data, tmp_path)

    agreed = client.post(
        f"/api/cases/{case_id}/number-sharing", json={"agreed": True}, headers=auth(agent.token)
    )
    check_response(document, "POST", "/api/cases/{case_id}/number-sharing", agreed)
    assert agreed.json["agreed"] is True
    assert agreed.json["recorded_by"] == {"id": agent.id, "name": "Lan"}
    after = client.get(url, headers=auth(agent.token)).json
    assert after["phone"]["shared"] is True
    assert after["phone"]["number"] == PHONE
    pdf_after = client.get(f"/api/cases/{case_id}/handover.pdf", headers=auth(agent.token))
    assert PHONE in _pdftotext(pdf_after.data, tmp_path)

    withdrawn = client.post(
        f"/api/cases/{case_id}/number-sharing", json={"agreed": False}, headers=auth(agent.token)
    )
    assert withdrawn.json["agreed"] is False
    assert withdrawn.json["agreed_at"] is None
    assert client.get(url, headers=auth(agent.token)).json["phone"]["number"] is None

    with runtime.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.number_share_agreed_at is None
        assert case.number_share_recorded_by_id == agent.id
        events = session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.kind == "number_sharing")
            .order_by(CaseEvent.id)
        ).all()
        assert [(e.agent_id, e.detail) for e in events] == [
            (agent.id, {"agreed": True}),
            (agent.id, {"agreed": False}),
        ]
        downloads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.handover").order_by(AuditEvent.id)
        ).all()
        assert [(e.agent_id, e.subject_id) for e in downloads] == [(agent.id, case_id)] * 5
        assert [e.detail["format"] for e in downloads if e.detail] == [
            "json", "pdf", "json", "pdf", "json",
        ]  # fmt: skip
        assert [e.detail["number_shared"] for e in downloads if e.detail] == [
            False, False, True, True, False,
        ]  # fmt: skip
    assert (
        client.post(
            f"/api/cases/{case_id}/number-sharing",
            json={"agreed": "yes"},
            headers=auth(agent.token),
        ).status_code
        == 422
    )


@pytest.mark.slow
def test_without_google_the_summary_is_marked_not_translated(client: Any, runtime: Runtime) -> None:
    _, case_id = make_callback(runtime, phone=PHONE, language="vi")
    token = make_agent(runtime, name="Lan", languages="vi,en").token
    _summary(client, token, case_id, "Wages unpaid since March.")
    handover = client.get(
        f"/api/cases/{case_id}/handover.json", query_string={"language": "vi"}, headers=auth(token)
    ).json
    assert handover["summary"]["language"] == "vi"  # the adviser's first language
    japanese = client.get(
        f"/api/cases/{case_id}/handover.json", query_string={"language": "ja"}, headers=auth(token)
    ).json
    assert handover["partner_language"] == "vi"
    assert handover["summary_translation"]["status"] == "same_language"
    assert japanese["summary_translation"] == {
        "language": "ja",
        "status": "not_configured",
        "label": "not translated",
        "text": None,
    }
    bad = client.get(
        f"/api/cases/{case_id}/handover.json", query_string={"language": "xx"}, headers=auth(token)
    )
    assert bad.status_code == 422


@pytest.mark.slow
@pytest.mark.parametrize("language", ["km", "my", "ne"])
def test_the_pdf_renders_khmer_burmese_and_nepali_as_the_same_text(
    client: Any, runtime: Runtime, tmp_path: Path, language: str
) -> None:
    _, case_id = make_callback(runtime, phone=worker_number(1), language=language)
    token = make_agent(runtime, name="Adviser", languages=language).token
    assert _summary(client, token, case_id, SUMMARIES[language]).status_code == 200
    answer = client.get(
        f"/api/cases/{case_id}/handover.pdf",
        query_string={"language": language},
        headers=auth(token),
    )
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.data.startswith(b"%PDF-")
    text = _words(_pdftotext(answer.data, tmp_path))
    assert _words(SUMMARIES[language]) in text


@pytest.mark.slow
def test_the_web_app_serves_the_pdf_to_a_signed_in_adviser(
    app: Any, client: Any, runtime: Runtime, tmp_path: Path
) -> None:
    _, case_id = make_callback(runtime, phone=PHONE, language="vi")
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    signed_out = client.get(f"/cases/{case_id}/handover.pdf")
    assert signed_out.status_code == 302
    sign_in(client, lan)
    page_csrf(client)
    answer = client.get(f"/cases/{case_id}/handover.pdf", query_string={"language": "ja"})
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert "事案の引き継ぎ" in _pdftotext(answer.data, tmp_path)
    assert client.get("/cases/999999/handover.pdf").status_code == 404
    assert client.get(f"/cases/{case_id}/handover.pdf?language=zz").status_code == 422
    sokha = make_agent(runtime, name="Sokha", languages="km", password=PASSWORD)
    other = app.test_client()
    sign_in(other, sokha)
    assert other.get(f"/cases/{case_id}/handover.pdf").status_code == 404


@pytest.mark.slow
def test_every_language_of_the_hotline_renders_in_the_pdf(
    client: Any, runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from hotline.languages import LANGUAGES

    _, case_id = make_callback(runtime, phone=PHONE, language="vi")
    token = make_agent(runtime, name="Lan", languages="vi,en").token
    names = [language.native_name for language in LANGUAGES.values()]
    assert len(names) == 22
    assert _summary(client, token, case_id, "\n".join(names)).status_code == 200
    pdf = client.get(f"/api/cases/{case_id}/handover.pdf", headers=auth(token)).data
    text = _words(_pdftotext(pdf, tmp_path))
    missing = [name for name in names if _words(name) not in text]
    assert missing == []
    # A glyph no installed font has is drawn as an empty box and logged by WeasyPrint.
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]


@pytest.mark.slow
def test_advisers_write_the_summary_and_record_consent_from_the_web_app(
    app: Any, client: Any, runtime: Runtime
) -> None:
    from flask import g, render_template_string

    from hotline.agents.models import Agent

    _, case_id = make_callback(runtime, phone=PHONE, language="vi")
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, lan)
    token = page_csrf(client)
    saved = client.post(
        f"/cases/{case_id}/summary", data={"csrf_token": token, "text": "Wages unpaid."}
    )
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/cases/{case_id}#handover")
    agreed = client.post(
        f"/cases/{case_id}/number-sharing", data={"csrf_token": token, "agreed": "1"}
    )
    assert agreed.status_code == 302
    forged = client.post(f"/cases/{case_id}/number-sharing", data={"agreed": "0"})
    assert forged.status_code in (400, 403)  # no CSRF token: nothing recorded
    bad = client.post(
        f"/cases/{case_id}/number-sharing", data={"csrf_token": token, "agreed": "maybe"}
    )
    assert bad.status_code == 400
    with runtime.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.number_share_agreed_at is not None
        assert case.number_share_recorded_by_id == lan.id

    # The panel the case page includes shows both, in the adviser's interface language.
    with app.test_request_context(f"/cases/{case_id}"):
        app.preprocess_request()
        g.agent = g.db.get(Agent, lan.id)
        g.agent.ui_language = "ja"
        html = render_template_string('{% include "web/_handover.html" %}', case={"id": case_id})
    assert "Wages unpaid." in html
    assert "相談者は電話番号の提供に同意しています（記録: Lan" in html
    assert f'action="/cases/{case_id}/summary"' in html
    assert 'name="csrf_token"' in html
