"""`GET /healthz` (is this process alive?) and `GET /readyz` (can it do its work?).

Liveness asks nothing of the database or Redis, so that an orchestrator does not
restart every web process during a database outage, when they are still answering
calls with the safe fallback. Readiness checks both and says which failed.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from hotline.runtime import app_runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    runtime = app_runtime()
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
