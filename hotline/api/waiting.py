"""`GET /api/live/waiting`: the live callers an agent could take, for clients that poll.
Registered on the API blueprint; `OPENAPI` is merged into /api/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from hotline.agents.auth import api_auth_required
from hotline.agents.waiting import etag_of, waiting_for
from hotline.api.common import bp
from hotline.api.openapi_parts import BOOL, INT, LANGUAGE, TIME, errors, json_response, obj, ref
from hotline.runtime import app_runtime


def conditional_json(payload: dict[str, Any]) -> Response:
    """The payload with its ETag; 304 and no body when the client already has it."""
    response = jsonify(payload)
    response.set_etag(etag_of(payload))
    response.headers["Cache-Control"] = "private, no-cache"
    response.make_conditional(request)
    return response


@bp.get("/live/waiting")
@api_auth_required(activity=False)
def live_waiting() -> ResponseReturnValue:
    """Poll every `poll_seconds` with If-None-Match; polling is not activity (idle still
    counts down), so a client left open does not keep an absent adviser available."""
    settings = app_runtime().settings
    payload = waiting_for(g.db, settings, g.agent)
    g.db.commit()
    return conditional_json(payload)


OPENAPI: dict[str, dict[str, Any]] = {
    "schemas": {
        "LiveWaiting": obj(
            {
                "now": TIME,
                "poll_seconds": INT,
                "availability": {
                    "type": "string",
                    "enum": ["on", "off", "on_call", "idle"],
                    "description": "What the phone menu sees of you now: on (callers are "
                    "offered you), off, on_call (back on when the call ends) or idle",
                },
                "languages": {"type": "array", "items": ref("LiveLanguageQueue")},
                "alert": {
                    **BOOL,
                    "description": "You are available and a caller waits in your language",
                },
            }
        ),
        "LiveLanguageQueue": obj(
            {
                "language": LANGUAGE,
                "waiting": INT,
                "longest_wait_seconds": INT,
                "callers": {
                    "type": "array",
                    "items": obj({"since": TIME, "wait_seconds": INT}),
                },
                "can_take": BOOL,
            }
        ),
    },
    "paths": {
        "/api/live/waiting": {
            "get": {
                "operationId": "getLiveWaiting",
                "summary": "Live callers waiting per language (yours; all for supervisors) and "
                "your availability. Poll every poll_seconds with If-None-Match: 304 until a "
                "caller joins or leaves or your availability changes",
                "parameters": [
                    {
                        "name": "If-None-Match",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": json_response("LiveWaiting", "The live queues"),
                    "304": {"description": "Unchanged since the ETag you sent"},
                    **errors(),
                },
            }
        }
    },
}
