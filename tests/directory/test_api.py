"""GET /api/directory: any signed-in agent, filtered, answers as documented."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.directory import service
from hotline.runtime import Runtime
from tests.api.openapi_check import check_response
from tests.builders import auth, make_agent, make_organisation
from tests.conftest import both_backends


def _seed(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        service.seed(session)


@both_backends
def test_an_adviser_gets_the_vietnamese_lines_marked_unverified_as_documented(
    client: Any, runtime: Runtime
) -> None:
    _seed(runtime)
    token = make_agent(runtime, languages="km,en").token
    document = client.get("/api/openapi.json").json
    answer = client.get("/api/directory?language=vi", headers=auth(token))
    assert answer.status_code == 200
    check_response(document, "GET", "/api/directory", answer)
    rows = answer.json
    phones = {row["phone"] for row in rows}
    assert "0120-558-815" in phones  # MHLW hotline, Vietnamese line
    assert "0120-250-168" in phones  # OTIT, Vietnamese line
    assert "0120-662-700" not in phones  # the Burmese line is for Burmese speakers
    assert "0570-011000" in phones  # FRESC: languages not stated, kept
    assert all(row["verified"] is False and row["verified_at"] is None for row in rows)
    hotline = next(row for row in rows if row["phone"] == "0120-558-815")
    assert hotline["hours"] == "mon-fri 17:00-22:00; sat,sun 09:00-21:00"
    assert hotline["hours_en"] == "Mon–Fri 17:00–22:00; Sat and Sun 09:00–21:00"
    assert hotline["source"].startswith("MHLW Labour Conditions Hotline")


def test_filters_by_prefecture_and_kind(client: Any, runtime: Runtime) -> None:
    osaka = make_organisation(runtime, kind="union", prefecture="osaka")
    make_organisation(runtime, kind="union", prefecture="tokyo")
    nationwide = make_organisation(runtime, kind="legal_aid")
    token = make_agent(runtime, languages="vi").token
    in_osaka = client.get("/api/directory?prefecture=osaka", headers=auth(token)).json
    assert {row["id"] for row in in_osaka} == {osaka, nationwide}
    unions = client.get("/api/directory?prefecture=osaka&kind=union", headers=auth(token)).json
    assert [row["id"] for row in unions] == [osaka]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("language=klingon", "language must be a language code"),
        ("prefecture=atlantis", "prefecture must be a prefecture"),
        ("kind=church", "kind must be one of"),
    ],
)
def test_bad_filters_get_a_clear_422(client: Any, runtime: Runtime, query: str, says: str) -> None:
    token = make_agent(runtime, languages="vi").token
    answer = client.get(f"/api/directory?{query}", headers=auth(token))
    assert answer.status_code == 422
    assert answer.json["error"] == "validation_error"
    assert says in answer.json["message"]
    check_response(client.get("/api/openapi.json").json, "GET", "/api/directory", answer)


def test_without_a_token_the_directory_is_401(client: Any) -> None:
    assert client.get("/api/directory").status_code == 401
