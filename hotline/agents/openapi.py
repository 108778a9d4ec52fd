"""The OpenAPI 3.1 document of the agent API, served at /api/openapi.json.

Written by hand next to the views it describes; tests validate real responses against
these schemas and fuzz the API from this document, so a drift shows up as a failure.
"""

from __future__ import annotations

from typing import Any

from hotline.callbacks.models import OUTCOMES, STATUSES, WINDOWS
from hotline.languages import LANGUAGES


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
LANGUAGE = {"type": "string", "enum": sorted(LANGUAGES)}
# Finished translations by target language; the `translations` list says what else is pending.
TRANSLATION_MAP = {"type": "object", "additionalProperties": {"type": "string"}}


def _obj(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {"error": STRING, "message": STRING},
        "required": ["error", "message"],
    },
    "Agent": _obj(
        {
            "id": INT,
            "name": STRING,
            "languages": {"type": "array", "items": STRING},
            "role": {"type": "string", "enum": ["agent", "supervisor"]},
            "available": BOOL,
        }
    ),
    "Translation": _obj(
        {
            "language": STRING,
            "source_language": _nullable(STRING),
            "status": {"type": "string", "enum": ["pending", "done", "failed", "not_configured"]},
            "label": STRING,
            "text": _nullable(STRING),
        }
    ),
    "Attempt": _obj(
        {
            "id": INT,
            "number": INT,
            "agent_id": INT,
            "state": STRING,
            "call_status": _nullable(STRING),
            "dial_status": _nullable(STRING),
            "dial_duration_seconds": _nullable(INT),
            "outcome": _nullable({"type": "string", "enum": list(OUTCOMES)}),
            "note": _nullable(STRING),
            "error": _nullable(STRING),
            "created_at": _nullable(TIME),
        }
    ),
    "Callback": _obj(
        {
            "id": INT,
            "case_id": INT,
            "case_reference": _nullable(STRING),
            "reference": _nullable(STRING),
            "language": STRING,
            "status": {"type": "string", "enum": list(STATUSES)},
            "phone_masked": _nullable(STRING),
            "window": {"type": "string", "enum": list(WINDOWS)},
            "discretion": _obj({"may_identify": BOOL, "sms_allowed": BOOL}),
            "urgent": BOOL,
            "priority": INT,
            "source": STRING,
            "attempts": INT,
            "next_attempt_at": _nullable(TIME),
            "claimed_by_id": _nullable(INT),
            "lease_expires_at": _nullable(TIME),
            "outcome": _nullable({"type": "string", "enum": list(OUTCOMES)}),
            "closed_reason": _nullable(STRING),
            "created_at": _nullable(TIME),
            "attempt_log": {"type": "array", "items": _ref("Attempt")},
            "eligible_now": BOOL,
            "eligible_at": _nullable(TIME),
        },
        optional=("attempt_log", "eligible_now", "eligible_at"),
    ),
    "Queue": {"type": "array", "items": _ref("Callback")},
    "CaseSummary": _obj(
        {
            "id": INT,
            "reference": STRING,
            "language": _nullable(STRING),
            "status": STRING,
            "urgent": BOOL,
            "last_activity_at": _nullable(TIME),
            "last_activity": _nullable(TIME),
        }
    ),
    "CaseList": {"type": "array", "items": _ref("CaseSummary")},
    "Message": _obj(
        {
            "id": INT,
            "direction": {"type": "string", "enum": ["in", "out"]},
            "kind": STRING,
            "text": STRING,
            "language": _nullable(STRING),
            "status": STRING,
            "agent_id": _nullable(INT),
            "segments": _nullable(INT),
            "created_at": _nullable(TIME),
            "translations": {"type": "array", "items": _ref("Translation")},
            "translation": TRANSLATION_MAP,
        }
    ),
    "Voicemail": _obj(
        {
            "id": INT,
            "language": _nullable(STRING),
            "duration_seconds": _nullable(INT),
            "transcription_status": STRING,
            "transcript": _nullable(STRING),
            "transcript_confidence": _nullable({"type": "number"}),
            "created_at": _nullable(TIME),
            "translations": {"type": "array", "items": _ref("Translation")},
            "translation": TRANSLATION_MAP,
        }
    ),
    "TimelineEntry": _obj(
        {
            "type": {"type": "string", "enum": ["message", "voicemail", "callback"]},
            "at": _nullable(TIME),
            "id": INT,
        }
    ),
    "Case": _obj(
        {
            "id": INT,
            "reference": STRING,
            "language": _nullable(STRING),
            "status": STRING,
            "urgent": BOOL,
            "last_activity_at": _nullable(TIME),
            "last_activity": _nullable(TIME),
            "topics": {"type": "array", "items": STRING},
            "assigned_agent_id": _nullable(INT),
            "created_at": _nullable(TIME),
            "phone_masked": _nullable(STRING),
            "masked_number": _nullable(STRING),
            "sms_opted_out": BOOL,
            "timeline": {"type": "array", "items": _ref("TimelineEntry")},
            "messages": {"type": "array", "items": _ref("Message")},
            "voicemails": {"type": "array", "items": _ref("Voicemail")},
            "callbacks": {"type": "array", "items": _ref("Callback")},
        }
    ),
    "ReplyRequest": _obj({"text": {"type": "string", "minLength": 1, "maxLength": 1600}}),
    "ReplyResult": _obj(
        {
            "message_id": INT,
            "translation_status": STRING,
            "text": STRING,
            "sent_text": STRING,
            "translated_text": _nullable(STRING),
            "translation": _nullable(STRING),
            "back_translation": _nullable(STRING),
            "segments": INT,
            "language": _nullable(STRING),
        }
    ),
    "OutcomeRequest": _obj(
        {
            "outcome": {"type": "string", "enum": list(OUTCOMES)},
            "note": _nullable({"type": "string", "maxLength": 2000}),
        },
        optional=("note",),
    ),
    "DialResult": _obj({"attempt": _ref("Attempt"), "callback": _ref("Callback")}),
    "AvailabilityRequest": _obj({"available": BOOL}),
    "LiveNextRequest": _obj({"language": LANGUAGE}, optional=("language",)),
    "LiveNextResult": _obj({"call_id": INT, "language": STRING, "queue": STRING, "status": STRING}),
}


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema_name)}},
    }


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Malformed request (invalid JSON)",
        401: "Missing or invalid Bearer token",
        404: "Not found, or not visible to this agent",
        409: "Conflict with the current state",
        422: "Invalid values",
        503: "An outside service (translation, telephony) is unavailable",
    }
    return {str(code): _json("Error", text[code]) for code in (401, *codes)}


def _body(schema_name: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _id_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


BODY_ERRORS = (400, 422)

PATHS: dict[str, Any] = {
    "/api/agents/me": {
        "get": {
            "operationId": "getMe",
            "summary": "The agent the token belongs to",
            "responses": {"200": _json("Agent", "The agent"), **_errors()},
        }
    },
    "/api/agents/me/availability": {
        "post": {
            "operationId": "setAvailability",
            "summary": "Mark yourself available (or not) for live callers",
            "requestBody": _body("AvailabilityRequest"),
            "responses": {"200": _json("Agent", "The agent"), **_errors(*BODY_ERRORS)},
        }
    },
    "/api/queue": {
        "get": {
            "operationId": "getQueue",
            "summary": "Callbacks this agent may work, highest priority and oldest first, each "
            "with eligible_now / eligible_at (windows and quiet hours hold some back)",
            "responses": {"200": _json("Queue", "The queue"), **_errors()},
        }
    },
    "/api/queue/claim": {
        "post": {
            "operationId": "claimNext",
            "summary": "Atomically claim the next callback (a 15-minute lease)",
            "responses": {
                "200": _json("Callback", "The claimed (or already held) callback"),
                "204": {"description": "Nothing to claim"},
                **_errors(),
            },
        }
    },
    "/api/cases": {
        "get": {
            "operationId": "listCases",
            "summary": "Open cases this agent may see, latest activity first",
            "responses": {"200": _json("CaseList", "The cases"), **_errors()},
        }
    },
    "/api/cases/{case_id}": {
        "get": {
            "operationId": "getCase",
            "summary": "A case with its timeline (audited)",
            "parameters": [_id_param("case_id")],
            "responses": {"200": _json("Case", "The case"), **_errors(404)},
        }
    },
    "/api/cases/{case_id}/reply": {
        "post": {
            "operationId": "replyToCase",
            "summary": "Send an SMS reply, translated into the worker's language",
            "parameters": [_id_param("case_id")],
            "requestBody": _body("ReplyRequest"),
            "responses": {
                "200": _json("ReplyResult", "Queued for sending"),
                **_errors(404, 409, 503, *BODY_ERRORS),
            },
        }
    },
    "/api/callbacks/{callback_id}/dial": {
        "post": {
            "operationId": "dialCallback",
            "summary": "Ring the agent's phone, then bridge to the worker from the hotline",
            "parameters": [_id_param("callback_id")],
            "responses": {
                "200": _json("DialResult", "The call to the agent is being placed"),
                **_errors(404, 409, 422),
            },
        }
    },
    "/api/callbacks/{callback_id}/outcome": {
        "post": {
            "operationId": "recordOutcome",
            "summary": "Record the outcome: close the callback or schedule the next attempt",
            "parameters": [_id_param("callback_id")],
            "requestBody": _body("OutcomeRequest"),
            "responses": {
                "200": _json("Callback", "The callback after the outcome"),
                **_errors(404, 409, *BODY_ERRORS),
            },
        }
    },
    "/api/live/next": {
        "post": {
            "operationId": "takeNextLiveCaller",
            "summary": "Ring the agent's phone and connect it to the queue hotline-<language>",
            "requestBody": _body("LiveNextRequest", required=False),
            "responses": {
                "200": _json("LiveNextResult", "The call to the agent is being placed"),
                **_errors(409, 503, *BODY_ERRORS),
            },
        }
    },
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document; every operation but this one needs a Bearer token."""
    from hotline.cases.handover_api import OPENAPI as HANDOVER
    from hotline.reports.api import OPENAPI as REPORTS

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hotline agent API",
            "version": "1.0.0",
            "description": "Callback queues, cases and replies for hotline advisers. "
            "Phone numbers are always masked; errors are {error, message}.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            **PATHS,
            **HANDOVER["paths"],
            **REPORTS["paths"],
            "/api/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {**SCHEMAS, **HANDOVER["schemas"], **REPORTS["schemas"]},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
