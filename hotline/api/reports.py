"""`GET /api/reports/cases.csv`: the anonymised per-case CSV for supervisors (Bearer).
Registered on the API blueprint; `OPENAPI` is merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from hotline.agents.auth import api_auth_required
from hotline.agents.models import Agent
from hotline.api.common import bp, fail
from hotline.api.openapi_parts import errors, json_response
from hotline.audit import record
from hotline.db import utcnow
from hotline.reports.service import DateRange, case_rows, cases_csv, japan_today, parse_range


def csv_download(session: Session, agent: Agent, period: DateRange) -> Response:
    """The CSV as a download, audited with who took it and for which dates."""
    rows = case_rows(session, period)
    record(
        session,
        "report.cases_csv",
        "report",
        None,
        agent_id=agent.id,
        first=period.first.isoformat(),
        last=period.last.isoformat(),
        rows=len(rows),
    )
    session.commit()
    name = f"cases-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        cases_csv(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/reports/cases.csv")
@api_auth_required
def cases_csv_download() -> ResponseReturnValue:
    if not g.agent.is_supervisor:
        fail(403, "forbidden", "reports are for supervisors")
    try:
        period = parse_range(
            request.args.get("from"), request.args.get("to"), today=japan_today(utcnow())
        )
    except ValueError as exc:
        fail(422, "validation_error", str(exc))
    return csv_download(g.db, g.agent, period)


def _date_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "format": "date"},
    }


OPENAPI: dict[str, dict[str, Any]] = {
    "schemas": {},
    "paths": {
        "/api/reports/cases.csv": {
            "get": {
                "operationId": "getCasesReportCsv",
                "summary": "Supervisors only: one anonymised row per case opened in the range "
                "(no number, name, message, transcript, note or reference); audited",
                "parameters": [
                    _date_param("from", "First Japan date, included (default: 29 days before to)"),
                    _date_param("to", "Last Japan date, included (default: today)"),
                ],
                "responses": {
                    "200": {
                        "description": "The CSV, one header line then one row per case",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    **errors(),
                    "403": json_response("Error", "Not a supervisor"),
                    "422": json_response("Error", "A date is not YYYY-MM-DD, or from is after to"),
                },
            }
        }
    },
}
