"""Building blocks of the agent API's OpenAPI document, shared by its parts."""

from __future__ import annotations

from typing import Any

from hotline.languages import LANGUAGES


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
LANGUAGE = {"type": "string", "enum": sorted(LANGUAGES)}
# Finished translations by target language; the `translations` list says what else is pending.
TRANSLATION_MAP = {"type": "object", "additionalProperties": {"type": "string"}}


def obj(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref(schema_name)}},
    }


def errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Malformed request (invalid JSON, or a control character in the query)",
        401: "Missing or invalid Bearer token",
        404: "Not found, or not visible to this agent",
        409: "Conflict with the current state",
        422: "Invalid values",
        503: "An outside service (translation, telephony) is unavailable",
    }
    # Any call may be sent a query with a control character: always a documented 400.
    every = dict.fromkeys((400, 401, *codes))
    return {str(code): json_response("Error", text[code]) for code in every}


def body(schema_name: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": ref(schema_name)}}}


def id_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


BODY_ERRORS = (400, 422)
