"""The OpenAPI 3.1 document of the agent API, served at /api/openapi.json.

Written by hand next to the views it describes; tests validate real responses against
these schemas and fuzz the API from this document, so a drift shows up as a failure.
"""

from __future__ import annotations

from typing import Any

from hotline.agents.models import ROLES
from hotline.api.handover import OPENAPI as HANDOVER
from hotline.api.openapi_casework import (
    CASE_SUMMARY,
    CASEWORK_PATHS,
    CASEWORK_SCHEMAS,
    CONSENT_FIELDS,
)
from hotline.api.openapi_directory import OPENAPI_PATHS as DIRECTORY_PATHS
from hotline.api.openapi_directory import OPENAPI_SCHEMAS as DIRECTORY_SCHEMAS
from hotline.api.openapi_parts import (
    BODY_ERRORS,
    BOOL,
    INT,
    LANGUAGE,
    STRING,
    TIME,
    TRANSLATION_MAP,
    body,
    errors,
    id_param,
    json_response,
    nullable,
    obj,
    ref,
)
from hotline.api.reports import OPENAPI as REPORTS
from hotline.api.waiting import OPENAPI as WAITING
from hotline.callbacks.models import OUTCOMES, STATUSES, WINDOWS
from hotline.languages import LANGUAGES

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {"error": STRING, "message": STRING},
        "required": ["error", "message"],
    },
    "Agent": obj(
        {
            "id": INT,
            "name": STRING,
            "languages": {"type": "array", "items": STRING},
            "role": {"type": "string", "enum": list(ROLES)},
            "available": BOOL,
        }
    ),
    "Translation": obj(
        {
            "language": STRING,
            "source_language": nullable(STRING),
            "status": {"type": "string", "enum": ["pending", "done", "failed", "not_configured"]},
            "label": STRING,
            "text": nullable(STRING),
        }
    ),
    "Attempt": obj(
        {
            "id": INT,
            "number": INT,
            "agent_id": INT,
            "state": STRING,
            "call_status": nullable(STRING),
            "dial_status": nullable(STRING),
            "dial_duration_seconds": nullable(INT),
            "outcome": nullable({"type": "string", "enum": list(OUTCOMES)}),
            "note": nullable(STRING),
            "error": nullable(STRING),
            "created_at": nullable(TIME),
        }
    ),
    "Callback": obj(
        {
            "id": INT,
            "case_id": INT,
            "case_reference": nullable(STRING),
            "reference": nullable(STRING),
            "language": STRING,
            "status": {"type": "string", "enum": list(STATUSES)},
            "phone_masked": nullable(STRING),
            "window": {"type": "string", "enum": list(WINDOWS)},
            "discretion": obj({"may_identify": BOOL, "sms_allowed": BOOL}),
            "urgent": BOOL,
            "priority": INT,
            "source": STRING,
            "attempts": INT,
            "next_attempt_at": nullable(TIME),
            "claimed_by_id": nullable(INT),
            "lease_expires_at": nullable(TIME),
            "outcome": nullable({"type": "string", "enum": list(OUTCOMES)}),
            "closed_reason": nullable(STRING),
            "created_at": nullable(TIME),
            "attempt_log": {"type": "array", "items": ref("Attempt")},
            "eligible_now": BOOL,
            "eligible_at": nullable(TIME),
        },
        optional=("attempt_log", "eligible_now", "eligible_at"),
    ),
    "Queue": {"type": "array", "items": ref("Callback")},
    "Message": obj(
        {
            "id": INT,
            "direction": {"type": "string", "enum": ["in", "out"]},
            "kind": STRING,
            "text": STRING,
            "language": nullable(STRING),
            "status": STRING,
            "agent_id": nullable(INT),
            "segments": nullable(INT),
            "created_at": nullable(TIME),
            "translations": {"type": "array", "items": ref("Translation")},
            "translation": TRANSLATION_MAP,
        }
    ),
    "Voicemail": obj(
        {
            "id": INT,
            "language": nullable(STRING),
            "duration_seconds": nullable(INT),
            "transcription_status": STRING,
            "transcript": nullable(STRING),
            "transcript_confidence": nullable({"type": "number"}),
            "created_at": nullable(TIME),
            "translations": {"type": "array", "items": ref("Translation")},
            "translation": TRANSLATION_MAP,
        }
    ),
    "TimelineEntry": obj(
        {
            "type": {"type": "string", "enum": ["message", "voicemail", "callback", "event"]},
            "at": nullable(TIME),
            "id": INT,
        }
    ),
    "Case": obj(
        {
            **CASE_SUMMARY,
            "assigned_agent": nullable(obj({"id": INT, "name": STRING})),
            "phone_masked": nullable(STRING),
            "masked_number": nullable(STRING),
            "sms_opted_out": BOOL,
            "sms_refusal": nullable({"type": "string", "enum": ["opted_out", "sms_refused"]}),
            "number_share_agreed_at": nullable(TIME),
            **CONSENT_FIELDS,
            "timeline": {"type": "array", "items": ref("TimelineEntry")},
            "messages": {"type": "array", "items": ref("Message")},
            "voicemails": {"type": "array", "items": ref("Voicemail")},
            "callbacks": {"type": "array", "items": ref("Callback")},
            "events": {"type": "array", "items": ref("CaseEvent")},
            "referrals": {"type": "array", "items": ref("Referral")},
        },
        optional=("unread",),
    ),
    "ReplyRequest": obj(
        {
            "text": {"type": "string", "minLength": 1, "maxLength": 1600},
            "language": {
                "type": "string",
                "enum": list(LANGUAGES),
                "description": (
                    "The language `text` is written in. Optional: without it, the "
                    "agent's language (their only one, or the one of theirs the text "
                    "is recognised as)."
                ),
            },
        },
        optional=("language",),
    ),
    "ReplyResult": obj(
        {
            "message_id": INT,
            "translation_status": STRING,
            "text": STRING,
            "sent_text": STRING,
            "translated_text": nullable(STRING),
            "translation": nullable(STRING),
            "back_translation": nullable(STRING),
            "segments": INT,
            "language": nullable(STRING),
            "source_language": nullable(STRING),
        }
    ),
    "OutcomeRequest": obj(
        {
            "outcome": {"type": "string", "enum": list(OUTCOMES)},
            "note": nullable({"type": "string", "maxLength": 2000}),
        },
        optional=("note",),
    ),
    "DialResult": obj({"attempt": ref("Attempt"), "callback": ref("Callback")}),
    "AvailabilityRequest": obj({"available": BOOL}),
    "LiveNextRequest": obj({"language": LANGUAGE}, optional=("language",)),
    "LiveNextResult": obj({"call_id": INT, "language": STRING, "queue": STRING, "status": STRING}),
}


PATHS: dict[str, Any] = {
    "/api/agents/me": {
        "get": {
            "operationId": "getMe",
            "summary": "The agent the token belongs to",
            "responses": {"200": json_response("Agent", "The agent"), **errors()},
        }
    },
    "/api/agents/me/availability": {
        "post": {
            "operationId": "setAvailability",
            "summary": "Mark yourself available (or not) for live callers",
            "requestBody": body("AvailabilityRequest"),
            "responses": {"200": json_response("Agent", "The agent"), **errors(*BODY_ERRORS)},
        }
    },
    "/api/queue": {
        "get": {
            "operationId": "getQueue",
            "summary": "Callbacks this agent may work, highest priority and oldest first, each "
            "with eligible_now / eligible_at (windows and quiet hours hold some back)",
            "responses": {"200": json_response("Queue", "The queue"), **errors()},
        }
    },
    "/api/queue/claim": {
        "post": {
            "operationId": "claimNext",
            "summary": "Atomically claim the next callback (a 15-minute lease)",
            "responses": {
                "200": json_response("Callback", "The claimed (or already held) callback"),
                "204": {"description": "Nothing to claim"},
                **errors(),
            },
        }
    },
    "/api/cases/{case_id}": {
        "get": {
            "operationId": "getCase",
            "summary": "A case with its timeline (audited)",
            "parameters": [id_param("case_id")],
            "responses": {"200": json_response("Case", "The case"), **errors(404)},
        }
    },
    "/api/cases/{case_id}/reply": {
        "post": {
            "operationId": "replyToCase",
            "summary": "Send an SMS reply, translated into the worker's language",
            "parameters": [id_param("case_id")],
            "requestBody": body("ReplyRequest"),
            "responses": {
                "200": json_response("ReplyResult", "Queued for sending"),
                **errors(404, 409, 503, *BODY_ERRORS),
            },
        }
    },
    "/api/voicemails/{voicemail_id}/audio": {
        "get": {
            "operationId": "getVoicemailAudio",
            "summary": "The voice message's recording as WAV (audited; Range requests allowed)",
            "parameters": [id_param("voicemail_id")],
            "responses": {
                "200": {
                    "description": "The recording",
                    "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
                },
                "206": {
                    "description": "Part of the recording (a Range request)",
                    "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
                },
                **errors(404),
            },
        }
    },
    "/api/callbacks/{callback_id}/dial": {
        "post": {
            "operationId": "dialCallback",
            "summary": "Ring the agent's phone, then bridge to the worker from the hotline",
            "parameters": [id_param("callback_id")],
            "responses": {
                "200": json_response("DialResult", "The call to the agent is being placed"),
                **errors(404, 409, 422),
            },
        }
    },
    "/api/callbacks/{callback_id}/outcome": {
        "post": {
            "operationId": "recordOutcome",
            "summary": "Record the outcome: close the callback or schedule the next attempt",
            "parameters": [id_param("callback_id")],
            "requestBody": body("OutcomeRequest"),
            "responses": {
                "200": json_response("Callback", "The callback after the outcome"),
                **errors(404, 409, *BODY_ERRORS),
            },
        }
    },
    "/api/live/next": {
        "post": {
            "operationId": "takeNextLiveCaller",
            "summary": "Ring the agent's phone and connect it to the queue hotline-<language>",
            "requestBody": body("LiveNextRequest", required=False),
            "responses": {
                "200": json_response("LiveNextResult", "The call to the agent is being placed"),
                **errors(409, 503, *BODY_ERRORS),
            },
        }
    },
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document; every operation but this one needs a Bearer token."""
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
            **CASEWORK_PATHS,
            **DIRECTORY_PATHS,
            **HANDOVER["paths"],
            **WAITING["paths"],
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
            "schemas": {
                **SCHEMAS,
                **CASEWORK_SCHEMAS,
                **DIRECTORY_SCHEMAS,
                **HANDOVER["schemas"],
                **WAITING["schemas"],
                **REPORTS["schemas"],
            },
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
