"""Reports for supervisors: counts over Japan dates, the anonymised CSV (web and API),
and who may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.cases.models import Case
from hotline.reports.service import case_rows, parse_range, percentile, summarise
from hotline.runtime import Runtime
from tests.api.openapi_check import check_response
from tests.builders import PASSWORD, auth, make_agent, make_callback, tokyo, worker_number
from tests.conftest import both_backends
from tests.reports.builders import (
    ADVISER_NAME,
    ATTEMPT_NOTE,
    NOTE_TEXT,
    REPLY_TEXT,
    SUMMARY_TEXT,
    TRANSCRIPT,
    WORKER_TEXT,
    make_rich_case,
)
from tests.web.helpers import sign_in

JANUARY = {"from": "2030-01-01", "to": "2030-01-31"}


def _rows(answer: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))


@both_backends
def test_the_csv_of_a_case_with_numbers_names_texts_and_notes_contains_none_of_them(
    client: Any, runtime: Runtime
) -> None:
    rich = make_rich_case(runtime)
    supervisor = make_agent(
        runtime, name="Supervisor Sato", languages="ja", role="supervisor"
    ).token
    answer = client.get("/api/reports/cases.csv", query_string=JANUARY, headers=auth(supervisor))
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    body = answer.get_data(as_text=True)
    secrets = [
        rich.phone,
        rich.phone.removeprefix("+81"),
        "0" + rich.phone.removeprefix("+81"),
        rich.phone[-4:] + ",",  # not even the masked tail
        rich.reference,
        ADVISER_NAME,
        "Supervisor Sato",
        WORKER_TEXT,
        REPLY_TEXT,
        TRANSCRIPT,
        NOTE_TEXT,
        SUMMARY_TEXT,
        ATTEMPT_NOTE,
        "Japan Legal Support Center",
        "法テラス",
    ]
    for secret in secrets:
        assert secret not in body, f"the CSV contains {secret!r}"
    [row] = _rows(answer)
    assert row == {
        "case_id": str(rich.case_id),
        "opened_on": "2030-01-15",
        "closed_on": "2030-01-18",
        "language": "vi",
        "channels": "call;sms;voicemail",
        "topics": "documents_held;changing_employer",
        "status": "closed",
        "outcome": "referred",
        "referral_kinds": "legal_aid",
        "first_response_minutes": "42",
        "callbacks": "1",
        "reached": "1",
    }


def test_reports_never_decrypt_a_number(
    client: Any, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_rich_case(runtime)
    supervisor = make_agent(runtime, languages="ja", role="supervisor").token

    def refuse(*_: Any) -> str:
        raise AssertionError("a report decrypted something")

    # Every encrypted value (numbers, texts at rest) is a Fernet token.
    monkeypatch.setattr("cryptography.fernet.Fernet.decrypt", refuse)
    monkeypatch.setattr("cryptography.fernet.MultiFernet.decrypt", refuse)
    answer = client.get("/api/reports/cases.csv", query_string=JANUARY, headers=auth(supervisor))
    assert answer.status_code == 200
    assert len(_rows(answer)) == 1


def test_the_range_is_in_japan_dates_both_included(client: Any, runtime: Runtime) -> None:
    # 2030-01-31 23:30 JST is still January in Japan, though 14:30 UTC.
    late = make_rich_case(runtime, phone=worker_number(1), opened=tokyo(2030, 1, 31, 23, 30))
    early = make_rich_case(runtime, phone=worker_number(2), opened=tokyo(2030, 1, 1, 0, 0))
    outside = make_rich_case(runtime, phone=worker_number(3), opened=tokyo(2030, 2, 1, 0, 0))
    supervisor = make_agent(runtime, name="Lead", languages="ja", role="supervisor").token
    rows = _rows(
        client.get("/api/reports/cases.csv", query_string=JANUARY, headers=auth(supervisor))
    )
    opened = {int(r["case_id"]): r["opened_on"] for r in rows}
    assert opened == {late.case_id: "2030-01-31", early.case_id: "2030-01-01"}
    assert outside.case_id not in opened


def test_advisers_get_403_and_bad_dates_422(client: Any, runtime: Runtime) -> None:
    adviser = make_agent(runtime, name="Lan", languages="vi,en").token
    supervisor = make_agent(runtime, name="Lead", languages="ja", role="supervisor").token
    document = client.get("/api/openapi.json").json
    path = "/api/reports/cases.csv"
    forbidden = client.get(path, query_string=JANUARY, headers=auth(adviser))
    assert forbidden.status_code == 403
    assert forbidden.json["error"] == "forbidden"
    check_response(document, "GET", path, forbidden)
    for query in (
        {"from": "2030-13-01"},
        {"to": "yesterday"},
        {"from": "2030-02-01", "to": "2030-01-01"},
    ):
        bad = client.get(path, query_string=query, headers=auth(supervisor))
        assert bad.status_code == 422, query
        check_response(document, "GET", path, bad)
    assert client.get(path, query_string=JANUARY).status_code == 401
    assert client.get(path, headers=auth(supervisor)).status_code == 200  # last 30 days


def test_every_download_is_audited_with_who_and_which_dates(client: Any, runtime: Runtime) -> None:
    make_rich_case(runtime)
    supervisor = make_agent(runtime, languages="ja", role="supervisor")
    client.get("/api/reports/cases.csv", query_string=JANUARY, headers=auth(supervisor.token))
    with runtime.db.session() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.cases_csv")
        ).all()
        assert event.agent_id == supervisor.id
        assert event.detail == {"first": "2030-01-01", "last": "2030-01-31", "rows": 1}


@both_backends
def test_counts_first_response_percentiles_and_reach_rate(runtime: Runtime) -> None:
    for n, minutes in enumerate((10, 20, 30, 40, 300), start=1):
        make_rich_case(runtime, phone=worker_number(n), answer_after=dt.timedelta(minutes=minutes))
    # A Khmer case still open, by callback only: no worker contact, no answer yet.
    _, khmer_case = make_callback(runtime, phone=worker_number(9), language="km")
    with runtime.db.session() as session:
        case = session.get(Case, khmer_case)
        assert case is not None
        case.created_at = tokyo(2030, 1, 20, 9)
    period = parse_range("2030-01-01", "2030-01-31", today=dt.date(2030, 2, 1))
    with runtime.db.session() as session:
        report = summarise(period, case_rows(session, period))
    assert report.cases == 6
    assert report.languages == {"vi": 5, "km": 1}
    assert report.channels == {"sms": 5, "call": 5, "voicemail": 5}
    assert report.topics == {"documents_held": 5, "changing_employer": 5}
    assert report.outcomes == {"referred": 5}
    assert report.statuses == {"closed": 5, "open": 1}
    assert report.referral_kinds == {"legal_aid": 5}
    assert report.median_response_minutes == 30
    assert report.p90_response_minutes == 300
    assert report.reach_rate == 1.0
    assert (report.callbacks_reached, report.callbacks_closed) == (5, 5)


def test_percentiles_are_values_that_occurred() -> None:
    assert percentile([], 0.9) is None
    assert percentile([7], 0.9) == 7
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile(list(range(1, 101)), 0.9) == 90


@pytest.mark.slow
def test_the_reports_page_shows_counts_and_charts_to_supervisors_only(
    app: Any, client: Any, runtime: Runtime
) -> None:
    make_rich_case(runtime)
    adviser = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, adviser)
    assert client.get("/reports", query_string=JANUARY).status_code == 403
    assert client.get("/reports/cases.csv", query_string=JANUARY).status_code == 403

    supervisor = make_agent(
        runtime,
        name="Lead",
        languages="ja,en",
        role="supervisor",
        ui_language="ja",
        password=PASSWORD,
    )
    client = app.test_client()
    sign_in(client, supervisor)
    page = client.get("/reports", query_string=JANUARY)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="tile-cases">1<' in html
    assert 'id="tile-median">42 min<' in html
    assert 'id="tile-reach">100%<' in html
    assert html.count('<svg class="chart"') == 5
    assert "法テラス・法律相談" in html  # the referral kind, labelled in Japanese
    assert "/reports/cases.csv?from=2030-01-01&amp;to=2030-01-31" in html
    for secret in (WORKER_TEXT, NOTE_TEXT, ADVISER_NAME):
        assert secret not in html
    download = client.get("/reports/cases.csv", query_string=JANUARY)
    assert download.status_code == 200
    assert len(_rows(download)) == 1
    assert client.get("/reports", query_string={"from": "nope"}).status_code == 422
