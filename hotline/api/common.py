"""The agent JSON API: one blueprint for all of `/api/*` (contract in DESIGN.md), the
OpenAPI document beside it (`openapi.py`), and tests/api/test_url_map.py checking that
the two agree.

Views only parse input, call the service functions the web UI shares, commit, and
shape the answer. Errors are `{"error": code, "message": text}` with a 4xx status;
a case or callback the agent may not see is a plain 404.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from hotline.inputs import first_with_control_characters

bp = Blueprint("api", __name__, url_prefix="/api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> ResponseReturnValue:
    return jsonify({"error": exc.code, "message": exc.message}), exc.status


def fail(status: int, code: str, message: str) -> NoReturn:
    raise ApiError(status, code, message)


def json_object(*allowed: str) -> dict[str, Any]:
    """The request body as a JSON object, or a clear 400/422."""
    # Parsed whatever the Content-Type says: clients that forget the header still work.
    body = request.get_json(force=True, silent=True)
    if body is None:
        fail(400, "invalid_json", "the body is not valid JSON")
    if not isinstance(body, dict):
        fail(422, "validation_error", "the body must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        fail(422, "validation_error", f"unknown field(s): {', '.join(unknown)}")
    texts = [(name, value) for name, value in body.items() if isinstance(value, str)]
    name = first_with_control_characters(texts)
    if name is not None:
        fail(422, "validation_error", f"{name} contains a control character")
    return body
