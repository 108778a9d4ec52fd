"""`GET /api/directory`: the referral directory for any signed-in agent, on the agent
API's blueprint; its OpenAPI paths and schemas are in `openapi_directory.py`."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from hotline.agents.auth import api_auth_required
from hotline.api.common import ApiError, bp
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
