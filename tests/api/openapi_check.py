"""Checking real API answers against the OpenAPI document the app serves."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator


def check_response(document: dict[str, Any], method: str, path: str, response: Any) -> None:
    """Fail unless `response` is documented for this operation and matches its schema."""
    operation = document["paths"][path][method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method} {path} answered undocumented {response.status_code}"
    content = documented.get("content")
    if content is None:
        assert response.data == b""
        return
    assert response.mimetype == "application/json"
    schema = {**content["application/json"]["schema"], "components": document["components"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(response.json), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} {response.status_code}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors
    )
