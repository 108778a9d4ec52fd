"""The hand-over calls of the agent API: the adviser's summary, the worker's agreement
to share their number, and the hand-over document as JSON or PDF.

Same access rules as the case itself (`case_for_agent`; anything else is 404).
Registered on the API blueprint; `OPENAPI` is merged into /api/openapi.json.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from hotline.agents.auth import api_auth_required
from hotline.agents.cases import case_for_agent
from hotline.api.common import bp, fail, json_object
from hotline.api.openapi_parts import STRING, TIME, errors, json_response, nullable, obj, ref
from hotline.cases import handover
from hotline.cases.models import Case
from hotline.db import iso
from hotline.runtime import app_runtime


def _case_or_404(case_id: int) -> Case:
    found = case_for_agent(g.db, g.agent, case_id)
    if found is None:
        fail(404, "not_found", "no such case")
    return found


def _partner_language() -> str:
    try:
        return handover.partner_language(request.args.get("language"))
    except ValueError as exc:
        fail(422, "validation_error", str(exc))


@bp.put("/cases/<int:case_id>/summary")
@api_auth_required
def put_summary(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    text = json_object("text").get("text")
    if not isinstance(text, str):
        fail(422, "validation_error", "text must be a string")
    try:
        event = handover.set_summary(app_runtime(), g.db, case, g.agent, text)
    except ValueError as exc:
        fail(422, "validation_error", str(exc))
    g.db.commit()
    return jsonify(
        {
            "case_id": case.id,
            "text": event.body,
            "language": (event.detail or {}).get("language"),
            "written_at": iso(event.at),
            "written_by": {"id": g.agent.id, "name": g.agent.name},
        }
    )


@bp.post("/cases/<int:case_id>/number-sharing")
@api_auth_required
def number_sharing(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    agreed = json_object("agreed").get("agreed")
    if not isinstance(agreed, bool):
        fail(422, "validation_error", "agreed must be true or false")
    handover.record_number_sharing(g.db, case, g.agent, agreed)
    g.db.commit()
    return jsonify(handover.number_sharing_json(g.db, case))


def _document(case_id: int, fmt: str) -> tuple[Case, dict[str, Any]]:
    case = _case_or_404(case_id)
    language = _partner_language()
    document = handover.handover_document(app_runtime(), g.db, case, g.agent, language)
    handover.audit_download(g.db, case, g.agent, fmt, language)
    g.db.commit()
    return case, document


@bp.get("/cases/<int:case_id>/handover.json")
@api_auth_required
def handover_json(case_id: int) -> ResponseReturnValue:
    _, document = _document(case_id, "json")
    response = jsonify(document)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cases/<int:case_id>/handover.pdf")
@api_auth_required
def handover_pdf(case_id: int) -> ResponseReturnValue:
    from hotline.cases.handover_pdf import render_pdf

    case, document = _document(case_id, "pdf")
    return pdf_response(render_pdf(document), case)


def pdf_response(pdf: bytes, case: Case) -> Response:
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="handover-{case.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


# --- OpenAPI ------------------------------------------------------------------------

_CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_LANGUAGE = {
    "name": "language",
    "in": "query",
    "required": False,
    "description": "The partner organisation's language (default ja)",
    "schema": {"type": "string"},
}
_AGENT_REF = nullable(obj({"id": {"type": "integer"}, "name": STRING}))

OPENAPI: dict[str, dict[str, Any]] = {
    "schemas": {
        "SummaryRequest": obj({"text": {"type": "string", "minLength": 1, "maxLength": 4000}}),
        "Summary": obj(
            {
                "case_id": {"type": "integer"},
                "text": STRING,
                "language": nullable(STRING),
                "written_at": TIME,
                "written_by": _AGENT_REF,
            }
        ),
        "NumberSharingRequest": obj({"agreed": {"type": "boolean"}}),
        "NumberSharing": obj(
            {
                "case_id": {"type": "integer"},
                "agreed": {"type": "boolean"},
                "agreed_at": nullable(TIME),
                "recorded_by": _AGENT_REF,
            }
        ),
        "Handover": obj(
            {
                "case_id": {"type": "integer"},
                "reference": STRING,
                "language": nullable(STRING),
                "language_name": nullable(STRING),
                "partner_language": STRING,
                "topics": {
                    "type": "array",
                    "items": obj({"code": STRING, "label": STRING}),
                },
                "opened_at": nullable(TIME),
                "last_contact_at": nullable(TIME),
                "closed_at": nullable(TIME),
                "status": STRING,
                "outcome": nullable(STRING),
                "referrals": {
                    "type": "array",
                    "items": obj(
                        {
                            "organisation_id": {"type": "integer"},
                            "name_en": STRING,
                            "name_ja": STRING,
                            "kind": STRING,
                            "phone": STRING,
                            "referred_at": nullable(TIME),
                        }
                    ),
                },
                "summary": obj(
                    {
                        "text": nullable(STRING),
                        "language": nullable(STRING),
                        "written_at": nullable(TIME),
                        "written_by": nullable(STRING),
                    }
                ),
                "summary_translation": obj(
                    {
                        "language": STRING,
                        "status": {
                            "type": "string",
                            "enum": [
                                "done",
                                "same_language",
                                "not_configured",
                                "failed",
                                "no_summary",
                            ],
                        },
                        "label": STRING,
                        "text": nullable(STRING),
                    }
                ),
                "phone": obj(
                    {
                        "shared": {"type": "boolean"},
                        "number": nullable(STRING),
                        "agreed_at": nullable(TIME),
                    }
                ),
                "generated_at": TIME,
            }
        ),
    },
    "paths": {
        "/api/cases/{case_id}/summary": {
            "put": {
                "operationId": "setCaseSummary",
                "summary": "The adviser's written summary for a partner organisation "
                "(the latest wins; on the timeline as a 'summary' event)",
                "parameters": [_CASE_ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("SummaryRequest")}},
                },
                "responses": {
                    "200": json_response("Summary", "The summary"),
                    **errors(404, 400, 422),
                },
            }
        },
        "/api/cases/{case_id}/number-sharing": {
            "post": {
                "operationId": "recordNumberSharing",
                "summary": "Record whether the worker agreed that their number may be given "
                "to a partner organisation (who recorded it and when)",
                "parameters": [_CASE_ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("NumberSharingRequest")}},
                },
                "responses": {
                    "200": json_response("NumberSharing", "The recorded answer"),
                    **errors(404, 400, 422),
                },
            }
        },
        "/api/cases/{case_id}/handover.json": {
            "get": {
                "operationId": "getHandoverJson",
                "summary": "The hand-over document (audited); the full number only if the "
                "worker agreed to share it",
                "parameters": [_CASE_ID, _LANGUAGE],
                "responses": {
                    "200": json_response("Handover", "The hand-over"),
                    **errors(404, 422),
                },
            }
        },
        "/api/cases/{case_id}/handover.pdf": {
            "get": {
                "operationId": "getHandoverPdf",
                "summary": "The hand-over document as PDF (audited)",
                "parameters": [_CASE_ID, _LANGUAGE],
                "responses": {
                    "200": {
                        "description": "The hand-over as PDF",
                        "content": {
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    **errors(404, 422),
                },
            }
        },
    },
}
