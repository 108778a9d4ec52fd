"""The referral directory's part of the agent API's OpenAPI document."""

from __future__ import annotations

from typing import Any

from hotline.api.openapi_parts import (
    BOOL,
    INT,
    STRING,
    TIME,
    errors,
    json_response,
    nullable,
    obj,
    ref,
)
from hotline.directory import service
from hotline.directory.models import ORGANISATION_KINDS
from hotline.languages import LANGUAGES

OPENAPI_SCHEMAS: dict[str, Any] = {
    "Organisation": obj(
        {
            "id": INT,
            "name_ja": STRING,
            "name_en": STRING,
            "known_as": nullable(STRING),
            "kind": {"type": "string", "enum": list(ORGANISATION_KINDS)},
            "prefecture": nullable(STRING),
            "country": nullable(STRING),
            "phone": STRING,
            "hours": {
                "type": "string",
                "description": "Japan time, e.g. 'mon-fri 09:00-17:00; sat,sun 09:00-21:00'; "
                "empty: always open",
            },
            "hours_en": {"type": "string", "description": "The hours in English"},
            "languages": {"type": "array", "items": STRING},
            "url": nullable(STRING),
            "verified": BOOL,
            "verified_at": nullable(TIME),
            "source": nullable(STRING),
            "active": BOOL,
        }
    ),
    "OrganisationList": {"type": "array", "items": ref("Organisation")},
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
                "200": json_response("OrganisationList", "The organisations"),
                **errors(422),
            },
        }
    }
}
