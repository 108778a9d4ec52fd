"""The /directory page: advisers look entries up, supervisors verify, edit and add."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hotline.directory import service
from hotline.directory.models import Organisation
from hotline.runtime import Runtime
from tests.builders import PASSWORD, make_agent, make_organisation
from tests.web.helpers import page_csrf, sign_in


def _seed(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        service.seed(session)


@pytest.mark.slow
def test_an_adviser_sees_unverified_entries_marked_and_cannot_change_them(
    client: Any, runtime: Runtime
) -> None:
    _seed(runtime)
    adviser = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, adviser)
    page = client.get("/directory?language=vi")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "0120-558-815" in html and "0120-662-700" not in html
    assert 'class="badge unverified">Unverified<' in html
    assert "Mon–Fri 17:00–22:00; Sat and Sun 09:00–21:00" in html
    assert "Mark verified" not in html
    org_id = make_organisation(runtime)
    token = page_csrf(client, "/directory")
    refused = client.post(f"/directory/{org_id}/verify", data={"csrf_token": token})
    assert refused.status_code == 403
    assert client.get("/directory/new").status_code == 403


@pytest.mark.slow
def test_the_page_speaks_japanese_with_weekdays_in_japanese(client: Any, runtime: Runtime) -> None:
    _seed(runtime)
    adviser = make_agent(
        runtime, name="Kenji", languages="ja,en", ui_language="ja", password=PASSWORD
    )
    sign_in(client, adviser)
    html = client.get("/directory?kind=legal_aid").get_data(as_text=True)
    assert "法テラス" in html
    assert "未確認" in html
    assert "月–金 09:00–17:00" in html


def test_bad_filters_are_a_400_not_a_500(client: Any, runtime: Runtime) -> None:
    sign_in(client, make_agent(runtime, name="Lan", languages="vi", password=PASSWORD))
    assert client.get("/directory?prefecture=atlantis").status_code == 400
    assert client.get("/directory?kind=church").status_code == 400


def test_signed_out_visitors_are_sent_to_sign_in(client: Any) -> None:
    answer = client.get("/directory")
    assert answer.status_code == 302
    assert "/sign-in" in answer.headers["Location"]


def test_a_supervisor_verifies_edits_and_adds_with_csrf(client: Any, runtime: Runtime) -> None:
    supervisor = make_agent(
        runtime,
        name="Kenji",
        languages="ja,en",
        role="supervisor",
        ui_language="en",
        password=PASSWORD,
    )
    org_id = make_organisation(
        runtime,
        name_ja="テスト支援センター",
        name_en="Test Support Centre",
        kind="ngo",
        phone="03-0000-0000",
        hours="mon-fri 10:00-18:00",
    )
    sign_in(client, supervisor)

    without_csrf = client.post(f"/directory/{org_id}/verify")
    assert without_csrf.status_code in (400, 403)
    verified = client.post(
        f"/directory/{org_id}/verify", data={"csrf_token": page_csrf(client, "/directory")}
    )
    assert verified.status_code == 302
    with runtime.db.session() as session:
        org = session.get(Organisation, org_id)
        assert org is not None and org.verified_by_id == supervisor.id

    form = client.get(f"/directory/{org_id}/edit").get_data(as_text=True)
    assert 'value="mon-fri 10:00-18:00"' in form
    values = {
        "name_ja": "テスト支援センター",
        "name_en": "Test Support Centre",
        "known_as": "TSC",
        "kind": "ngo",
        "prefecture": "aichi",
        "country": "",
        "phone": "052-000-0000",
        "hours": "mon-sat 10:00-18:00",
        "languages": "vi,fil",
        "url": "https://example.org/tsc",
        "source": "their leaflet, 2026-11",
    }
    token = page_csrf(client, f"/directory/{org_id}/edit")
    bad = client.post(
        f"/directory/{org_id}/edit", data={**values, "hours": "9 to 5", "csrf_token": token}
    )
    assert bad.status_code == 422
    assert "hours" in bad.get_data(as_text=True)
    saved = client.post(f"/directory/{org_id}/edit", data={**values, "csrf_token": token})
    assert saved.status_code == 302
    with runtime.db.session() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        assert (org.phone, org.prefecture, org.languages) == (
            "052-000-0000",
            "aichi",
            ["vi", "fil"],
        )
        assert org.verified_at is None  # a new number must be checked again

    added = client.post(
        "/directory/new",
        data={
            **values,
            "name_en": "Another NGO",
            "csrf_token": page_csrf(client, "/directory/new"),
        },
    )
    assert added.status_code == 302
    with runtime.db.session() as session:
        names = set(session.scalars(select(Organisation.name_en)))
    assert names == {"Test Support Centre", "Another NGO"}
    listing = client.get("/directory?prefecture=aichi").get_data(as_text=True)
    assert "Another NGO" in listing and "Mark verified" in listing
