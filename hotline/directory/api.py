"""`GET /api/directory`: the referral directory for any signed-in agent, on the agent
API's blueprint, with its OpenAPI paths and schemas for `hotline.agents.openapi`."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from hotline.agents.api import ApiError, bp
from hotline.agents.auth import api_auth_required
from hotline.agents.openapi import BOOL, INT, STRING, TIME, _errors, _json, _nullable, _obj, _ref
from hotline.directory import service
from hotline.directory.models import ORGANISATION_KINDS
from hotline.languages import LANGUAGES


def _filter(name: str, allowed: Any, example: str) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise ApiError(422, "validation_error", f"{name} must be {example}, not {value!r}")
    return value


@bp.get("/directory")
@api_auth_required
def directory() -> ResponseReturnValue:
    """Active organisations, filtered by the worker's language, prefecture and kind."""
    language = _filter("language", LANGUAGES, "a language code such as vi")
    prefecture = _filter("prefecture", service.prefectures(), "a prefecture such as tokyo")
    kind = _filter("kind", ORGANISATION_KINDS, "one of " + ", ".join(ORGANISATION_KINDS))
    rows = service.search(g.db, language=language, prefecture=prefecture, kind=kind)
    return jsonify([service.organisation_json(org) for org in rows])


OPENAPI_SCHEMAS: dict[str, Any] = {
    "Organisation": _obj(
        {
            "id": INT,
            "name_ja": STRING,
            "name_en": STRING,
            "known_as": _nullable(STRING),
            "kind": {"type": "string", "enum": list(ORGANISATION_KINDS)},
            "prefecture": _nullable(STRING),
            "country": _nullable(STRING),
            "phone": STRING,
            "hours": {
                "type": "string",
                "description": "Japan time, e.g. 'mon-fri 09:00-17:00; sat,sun 09:00-21:00'; "
                "empty: always open",
            },
            "hours_en": {"type": "string", "description": "The hours in English"},
            "languages": {"type": "array", "items": STRING},
            "url": _nullable(STRING),
            "verified": BOOL,
            "verified_at": _nullable(TIME),
            "source": _nullable(STRING),
            "active": BOOL,
        }
    ),
    "OrganisationList": {"type": "array", "items": _ref("Organisation")},
}


def _query(name: str, values: Any, description: str) -> dict[str, Any]:
    schema = {"type": "string", "enum": list(values)}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


OPENAPI_PATHS: dict[str, Any] = {
    "/api/directory": {
        "get": {
            "operationId": "listDirectory",
            "summary": "Referral organisations, active only; unverified entries have "
            "verified false. A prefecture keeps the nationwide entries; a language keeps "
            "entries that list it, first, and those that state no language.",
            "parameters": [
                _query("language", sorted(LANGUAGES), "Language code, e.g. vi"),
                _query("prefecture", service.prefectures(), "Prefecture code, e.g. tokyo"),
                _query("kind", ORGANISATION_KINDS, "Kind of organisation"),
            ],
            "responses": {
                "200": _json("OrganisationList", "The organisations"),
                **_errors(422),
            },
        }
    }
}
