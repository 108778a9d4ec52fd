"""The casework part of the agent API's OpenAPI document: the inbox, notes, assignment
and hand-over, status and topics, referrals."""

from __future__ import annotations

from typing import Any

from hotline.api.openapi_parts import (
    BODY_ERRORS,
    BOOL,
    INT,
    STRING,
    TIME,
    body,
    errors,
    id_param,
    json_response,
    nullable,
    obj,
    ref,
)
from hotline.callbacks.models import WINDOWS
from hotline.callers.consent import ADVISER_SUBJECTS, CHANNELS, SUBJECTS
from hotline.cases.inbox import MAX_PER_PAGE, SORTS
from hotline.cases.models import CASE_OUTCOMES, CASE_STATUSES
from hotline.cases.topics import TOPIC_CODES
from hotline.cases.work import MAX_NOTE
from hotline.languages import LANGUAGES

STATUS = {"type": "string", "enum": list(CASE_STATUSES)}
OUTCOME = {"type": "string", "enum": list(CASE_OUTCOMES)}
TOPICS = {"type": "array", "items": {"type": "string", "enum": list(TOPIC_CODES)}}

# What every list of cases shows of one; the case itself adds its timeline.
CASE_SUMMARY: dict[str, Any] = {
    "id": INT,
    "reference": STRING,
    "language": nullable(STRING),
    "status": STATUS,
    "outcome": nullable(OUTCOME),
    "urgent": BOOL,
    "assigned_agent_id": nullable(INT),
    "needs_reply": BOOL,
    "awaiting_reply_since": nullable(TIME),
    "oldest_unanswered_age_seconds": nullable(INT),
    "last_activity_at": nullable(TIME),
    "last_activity": nullable(TIME),
    "created_at": nullable(TIME),
    "closed_at": nullable(TIME),
    "topics": TOPICS,
    "unread": BOOL,
}

# The worker's choices and consent ledger, shown on the case (`GET /api/cases/{id}`):
# current choices (null: never asked), the latest answer per subject, every answer.
CONSENT_FIELDS: dict[str, Any] = {
    "choices": ref("Choices"),
    "consents": {"type": "object", "additionalProperties": ref("ConsentEntry")},
    "consent_history": {"type": "array", "items": ref("ConsentEntry")},
}

CASEWORK_SCHEMAS: dict[str, Any] = {
    "CaseSummary": obj(CASE_SUMMARY, optional=("unread",)),
    "CaseList": {"type": "array", "items": ref("CaseSummary")},
    "CaseEvent": obj(
        {
            "id": INT,
            "kind": STRING,
            "at": nullable(TIME),
            "agent_id": nullable(INT),
            "text": nullable(STRING),
            "detail": {"type": "object"},
        }
    ),
    "Referral": obj(
        {
            "id": INT,
            "organisation_id": INT,
            "organisation": STRING,
            "kind": STRING,
            "agent_id": nullable(INT),
            "message_id": nullable(INT),
            "at": nullable(TIME),
        }
    ),
    "NoteRequest": obj({"text": {"type": "string", "minLength": 1, "maxLength": MAX_NOTE}}),
    "AssignRequest": obj(
        {"agent_id": nullable(INT), "note": nullable({"type": "string", "maxLength": MAX_NOTE})},
        optional=("note",),
    ),
    "StatusRequest": obj(
        {"status": STATUS, "outcome": nullable(OUTCOME), "topics": TOPICS},
        optional=("status", "outcome", "topics"),
    ),
    "ReferralRequest": obj(
        {
            "organisations": {"type": "array", "items": INT, "minItems": 1, "maxItems": 5},
            "send_sms": BOOL,
        },
        optional=("send_sms",),
    ),
    "Choices": obj(
        {
            "sms_allowed": nullable(BOOL),
            "may_identify": nullable(BOOL),
            "call_window": nullable({"type": "string", "enum": list(WINDOWS)}),
        }
    ),
    "ConsentEntry": obj(
        {
            "subject": {"type": "string", "enum": [*SUBJECTS, "sms_opt_out"]},
            "value": STRING,
            "channel": {"type": "string", "enum": [*CHANNELS, "migration"]},
            "at": nullable(TIME),
            "notice_version": nullable(INT),
            "case_id": nullable(INT),
            "agent_id": nullable(INT),
        }
    ),
    "ConsentRequest": obj(
        {
            "subject": {"type": "string", "enum": list(ADVISER_SUBJECTS)},
            "value": {
                "type": "string",
                "description": "yes or no; for call_window one of " + ", ".join(WINDOWS),
            },
        }
    ),
    "ConsentLedger": obj(CONSENT_FIELDS),
    "ReferralResult": obj(
        {"case": ref("CaseSummary"), "referrals": {"type": "array", "items": ref("Referral")}}
    ),
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


CASE_LIST_PARAMETERS = [
    _query(
        "status",
        {"type": "string", "enum": [*CASE_STATUSES, "all"]},
        "One status, or all; default: every status but closed",
    ),
    _query("language", {"type": "string", "enum": sorted(LANGUAGES)}, "The case's language"),
    _query("assigned", {"type": "string", "enum": ["me", "none"]}, "Assigned to me, or to nobody"),
    _query("urgent", BOOL, "Only urgent (or only not urgent) cases"),
    _query("needs_reply", BOOL, "Only cases whose worker waits for an answer (or not)"),
    _query("topic", {"type": "string", "enum": list(TOPIC_CODES)}, "Cases about this topic"),
    _query(
        "q", {"type": "string", "pattern": "^[0-9]{1,7}$"}, "A case reference, or its first digits"
    ),
    _query(
        "sort",
        {"type": "string", "enum": list(SORTS)},
        "activity (default: latest activity first) or needs_reply (the inbox's order: "
        "urgent, then the oldest unanswered worker contact)",
    ),
    _query("page", {"type": "integer", "minimum": 1, "maximum": 10000}, "Page, from 1"),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "Cases per page (default 50)",
    ),
]

CASE = [id_param("case_id")]

CASEWORK_PATHS: dict[str, Any] = {
    "/api/cases": {
        "get": {
            "operationId": "listCases",
            "summary": "Cases this agent may see (their languages or assigned to them), "
            "filtered; the total count is in X-Total-Count (exact up to 1,000; beyond, "
            "X-Total-Count-Capped: true), other pages in Link",
            "parameters": CASE_LIST_PARAMETERS,
            "responses": {"200": json_response("CaseList", "The cases"), **errors(422)},
        }
    },
    "/api/cases/{case_id}/notes": {
        "post": {
            "operationId": "addCaseNote",
            "summary": "An internal note: for advisers only, never sent to the worker",
            "parameters": CASE,
            "requestBody": body("NoteRequest"),
            "responses": {
                "201": json_response("CaseEvent", "The note on the timeline"),
                **errors(404, *BODY_ERRORS),
            },
        }
    },
    "/api/cases/{case_id}/assign": {
        "post": {
            "operationId": "assignCase",
            "summary": "Assign the case (to yourself), hand it over to an adviser who speaks "
            "its language (409 otherwise), or unassign it with agent_id null",
            "parameters": CASE,
            "requestBody": body("AssignRequest"),
            "responses": {
                "200": json_response("CaseSummary", "The case"),
                **errors(404, 409, *BODY_ERRORS),
            },
        }
    },
    "/api/cases/{case_id}/status": {
        "post": {
            "operationId": "setCaseStatus",
            "summary": "Move the case along its life and/or set its topics; closing needs an "
            "outcome",
            "parameters": CASE,
            "requestBody": body("StatusRequest"),
            "responses": {
                "200": json_response("CaseSummary", "The case"),
                **errors(404, 409, *BODY_ERRORS),
            },
        }
    },
    "/api/cases/{case_id}/consent": {
        "post": {
            "operationId": "recordConsent",
            "summary": "Record a choice or consent the worker asked for (SMS allowed, "
            "discretion, call window, sharing their number with a partner organisation): "
            "the newest answer holds, every answer is kept; audited and on the timeline",
            "parameters": CASE,
            "requestBody": body("ConsentRequest"),
            "responses": {
                "200": json_response("ConsentLedger", "The worker's choices and ledger"),
                **errors(404, *BODY_ERRORS),
            },
        }
    },
    "/api/cases/{case_id}/referrals": {
        "post": {
            "operationId": "referCase",
            "summary": "Refer the worker to organisations of the directory; with send_sms "
            "(default) one SMS per organisation in the worker's language; 409 when the worker "
            "opted out or refused SMS (nothing recorded or sent)",
            "parameters": CASE,
            "requestBody": body("ReferralRequest"),
            "responses": {
                "201": json_response("ReferralResult", "The referrals of the case"),
                **errors(404, 409, *BODY_ERRORS),
            },
        }
    },
}
