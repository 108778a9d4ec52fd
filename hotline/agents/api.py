"""The agent JSON API (contract in DESIGN.md); OpenAPI document at /api/openapi.json."""

from __future__ import annotations

from flask import Blueprint, g, jsonify
from flask.typing import ResponseReturnValue

from hotline.agents.auth import api_auth_required
from hotline.agents.models import Agent

bp = Blueprint("api", __name__, url_prefix="/api")


def agent_json(agent: Agent) -> dict[str, object]:
    return {
        "id": agent.id,
        "name": agent.name,
        "languages": list(agent.languages),
        "role": agent.role,
        "available": agent.available,
    }


@bp.get("/agents/me")
@api_auth_required
def me() -> ResponseReturnValue:
    return jsonify(agent_json(g.agent))
