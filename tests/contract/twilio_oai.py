"""Check requests on the wire against Twilio's own OpenAPI description of REST API v2010.

`twilio_oai_data/twilio_api_v2010.json` beside this file (licence beside it; override
with TWILIO_OAI_PATH) is the description Twilio publishes. A form-encoded request is
turned into typed values using the schema's property types (the way Twilio's server
reads it), then validated with `jsonschema`: unknown parameters, missing required
ones, wrong types and malformed phone numbers or URLs are all contract violations.
"""

from __future__ import annotations

import copy
import email.utils
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

OAI_PATH = Path(
    os.environ.get(
        "TWILIO_OAI_PATH",
        Path(__file__).resolve().parent / "twilio_oai_data" / "twilio_api_v2010.json",
    )
)
ROOT = "urn:twilio-api-v2010"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")


class ContractViolation(AssertionError):
    """A request or response does not match Twilio's API description."""


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` is not JSON Schema: spell it as a type union."""
    if isinstance(node, dict):
        out = {k: _nullable_to_json_schema(v) for k, v in node.items()}
        if out.pop("nullable", False):
            if "type" in out:
                out["type"] = [out["type"], "null"]
            elif "$ref" in out:
                out = {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
        return out
    if isinstance(node, list):
        return [_nullable_to_json_schema(v) for v in node]
    return node


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    return _nullable_to_json_schema(json.loads(OAI_PATH.read_text("utf-8")))


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("phone-number")
    def _phone(value: object) -> bool:
        return not isinstance(value, str) or bool(E164.match(value))

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc)

    @checker.checks("date-time-rfc-2822")
    def _rfc2822(value: object) -> bool:
        if not isinstance(value, str):
            return True
        try:
            email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return False
        return True

    return checker


def _validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    doc = copy.deepcopy(document())
    doc.setdefault("components", {}).setdefault("schemas", {})["__checked"] = schema
    registry = Registry().with_resource(
        ROOT, Resource.from_contents(doc, default_specification=DRAFT7)
    )
    return jsonschema.Draft7Validator(
        {"$ref": f"{ROOT}#/components/schemas/__checked"},
        registry=registry,
        format_checker=_format_checker(),
    )


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref") or next(
        (alt["$ref"] for alt in node.get("anyOf", []) if "$ref" in alt), None
    )
    if ref is None:
        return node
    target: Any = document()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return dict(target)


def _type_of(prop: dict[str, Any]) -> str:
    kind = _resolve(prop).get("type", "string")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    return str(kind)


def operation(path: str, method: str) -> dict[str, Any]:
    try:
        return dict(document()["paths"][path][method])
    except KeyError as exc:
        raise ContractViolation(f"{method.upper()} {path} is not in Twilio's API") from exc


def check_form_request(path: str, method: str, content_type: str, body: str) -> dict[str, Any]:
    """Validate a form-encoded request body; returns the typed values on success."""
    op = operation(path, method)
    content = op.get("requestBody", {}).get("content", {})
    if content_type.split(";")[0].strip() not in content:
        raise ContractViolation(f"{content_type!r} is not accepted; expected {sorted(content)}")
    schema = content[content_type.split(";")[0].strip()]["schema"]
    props = schema.get("properties", {})
    typed: dict[str, Any] = {}
    for name, values in parse_qs(body, keep_blank_values=True, strict_parsing=True).items():
        if name not in props:
            raise ContractViolation(f"unknown parameter {name!r}")
        kind = _type_of(props[name])
        if kind == "array":
            typed[name] = values
            continue
        if len(values) != 1:
            raise ContractViolation(f"{name!r} given {len(values)} times")
        value: Any = values[0]
        try:
            if kind == "integer":
                value = int(value)
            elif kind == "number":
                value = float(value)
            elif kind == "boolean":
                if value.lower() not in ("true", "false"):
                    raise ValueError(value)
                value = value.lower() == "true"
        except ValueError as exc:
            raise ContractViolation(f"{name!r} is not a valid {kind}: {value!r}") from exc
        typed[name] = value
    errors = sorted(_validator(schema).iter_errors(typed), key=str)
    if errors:
        raise ContractViolation("; ".join(e.message for e in errors))
    return typed


def check_json_response(path: str, method: str, status: int, payload: Any) -> None:
    op = operation(path, method)
    response = op.get("responses", {}).get(str(status))
    if response is None:
        raise ContractViolation(f"status {status} is not a documented answer")
    schema = response["content"]["application/json"]["schema"]
    errors = sorted(_validator(schema).iter_errors(payload), key=str)
    if errors:
        raise ContractViolation("; ".join(e.message for e in errors))


def match_path(request_path: str) -> str | None:
    """The API description's path template that a concrete request path matches."""
    for template in document()["paths"]:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, request_path):
            return str(template)
    return None
