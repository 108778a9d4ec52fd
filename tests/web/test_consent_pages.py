"""The case page says why no SMS may go and offers a callback instead; advisers record
the worker's choices there; supervisors and admins read the audit log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline.callbacks.models import CallbackRequest
from hotline.callers.models import Caller
from hotline.cli import main
from hotline.runtime import Runtime
from tests.builders import PASSWORD, auth, make_agent, make_vietnamese_sms_case
from tests.test_cli import cli_env
from tests.web.helpers import page_csrf, sign_in


def said_no_to_sms(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        session.scalars(select(Caller)).one().sms_allowed = False


@pytest.mark.slow
def test_a_worker_who_said_no_sms_gets_a_callback_offered_instead_of_a_reply_form(
    client: Any, runtime: Runtime
) -> None:
    info = make_vietnamese_sms_case(runtime)
    with runtime.db.session() as session:
        session.get(CallbackRequest, info.callback_id).status = "closed"  # type: ignore[union-attr]
    said_no_to_sms(runtime)
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, lan)
    page = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
    assert 'id="sms-refused"' in page and "they asked not to be texted" in page
    assert 'id="reply-text"' not in page and 'id="callback-instead"' in page

    forced = client.post(
        f"/cases/{info.case_id}/reply",
        data={"csrf_token": page_csrf(client), "text": "hi", "action": "send"},
    )
    assert forced.status_code == 409

    asked = client.post(f"/cases/{info.case_id}/callback", data={"csrf_token": page_csrf(client)})
    assert asked.status_code == 302
    with runtime.db.session() as session:
        open_requests = session.scalars(
            select(CallbackRequest).where(CallbackRequest.status != "closed")
        ).all()
    assert [(r.source, r.sms_allowed) for r in open_requests] == [("agent", False)]


@pytest.mark.slow
def test_an_adviser_records_the_workers_change_of_mind_on_the_page(
    client: Any, runtime: Runtime
) -> None:
    info = make_vietnamese_sms_case(runtime)
    said_no_to_sms(runtime)
    sign_in(client, make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD))
    client.post(
        f"/cases/{info.case_id}/consent",
        data={"csrf_token": page_csrf(client), "subject": "sms", "value": "yes"},
    )
    page = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
    assert 'id="sms-refused"' not in page and 'id="reply-text"' in page
    history = page[page.index('id="consent-history"') :]
    assert "told an adviser" in history and "by text" in history
    bad = client.post(
        f"/cases/{info.case_id}/consent",
        data={"csrf_token": page_csrf(client), "subject": "sms", "value": "perhaps"},
        follow_redirects=True,
    )
    assert "sms must be one of" in bad.get_data(as_text=True)


@pytest.mark.parametrize("role", ["supervisor", "admin"])
@pytest.mark.slow
def test_the_audit_page_shows_a_case_read_by_an_adviser(
    client: Any, runtime: Runtime, role: str
) -> None:
    info = make_vietnamese_sms_case(runtime)
    token = make_agent(runtime, name="Lan", languages="vi").token
    assert client.get(f"/api/cases/{info.case_id}", headers=auth(token)).status_code == 200
    make_agent(runtime, name="Minh", languages="vi")  # reads nothing

    sign_in(client, make_agent(runtime, name="Sato", languages="ja", role=role, password=PASSWORD))
    page = client.get(f"/audit?case={info.reference}&action=case.read")
    assert page.status_code == 200
    body = page.get_data(as_text=True).split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    assert len(rows) == 1, rows
    assert "Lan" in rows[0] and "case.read" in rows[0] and info.reference in rows[0]
    assert "+8190" not in page.get_data(as_text=True)

    by_minh = client.get("/audit?agent=999999").get_data(as_text=True)
    assert 'id="audit-empty"' in by_minh
    assert client.get("/audit?from=yesterday").status_code == 400


@pytest.mark.slow
def test_an_adviser_cannot_open_the_audit_log(client: Any, runtime: Runtime) -> None:
    sign_in(client, make_agent(runtime, name="Lan", languages="vi", password=PASSWORD))
    assert client.get("/audit").status_code == 403
    assert 'href="/audit"' not in client.get("/inbox").get_data(as_text=True)


def test_agent_add_takes_the_admin_and_adviser_roles(settings: Any, client: Any) -> None:
    for role, stored in (("admin", "admin"), ("adviser", "agent")):
        result = CliRunner().invoke(
            main,
            ["agent", "add", "--name", role, "--languages", "ja", "--role", role],
            env=cli_env(settings),
        )
        assert result.exit_code == 0, result.output
        assert f"(ja, {stored})" in result.output
        token = re.search(r"^(hl_\S+)$", result.output, re.MULTILINE)
        assert token is not None
        me = client.get("/api/agents/me", headers=auth(token.group(1))).json
        assert me["role"] == stored
