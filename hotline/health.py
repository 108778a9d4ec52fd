"""`GET /healthz`: can this process reach its database and Redis?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    runtime = current_app.extensions["hotline"]
    database = runtime.db.ping()
    try:
        redis_ok = bool(runtime.redis.ping())
    except Exception:
        redis_ok = False
    ok = database and redis_ok
    body = {
        "status": "ok" if ok else "unavailable",
        "database": "ok" if database else "unreachable",
        "redis": "ok" if redis_ok else "unreachable",
    }
    return jsonify(body), 200 if ok else 503
