"""Bearer-token authentication for the agent API."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any

from flask import g, jsonify, request
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hotline.agents.models import ROLE_ALIASES, ROLES, Agent
from hotline.audit import record
from hotline.crypto import encrypt_phone, normalise_phone, token_hash
from hotline.languages import parse_codes
from hotline.runtime import app_runtime


def create_agent(
    session: Session,
    secret: str,
    *,
    name: str,
    languages: str | list[str],
    phone: str | None,
    role: str = "agent",
) -> tuple[Agent, str]:
    """Create an agent and return it with its API token, which is stored only as a hash."""
    codes = (
        parse_codes(languages) if isinstance(languages, str) else parse_codes(",".join(languages))
    )
    role = ROLE_ALIASES.get(role, role)
    if role not in ROLES:
        raise ValueError(f"role must be one of: {', '.join(ROLES)}")
    if not name.strip():
        raise ValueError("name must not be empty")
    token = new_token()
    agent = Agent(
        name=name.strip(),
        languages=codes,
        phone_encrypted=encrypt_phone(secret, normalise_phone(phone)) if phone else None,
        role=role,
        token_hash=token_hash(token),
        ui_language="ja" if codes[0] == "ja" else "en",
    )
    session.add(agent)
    session.flush()
    return agent, token


def new_token() -> str:
    return "hl_" + secrets.token_urlsafe(32)


def rotate_token(session: Session, agent: Agent) -> str:
    """Give `agent` a new API token and return it; the old one stops working at commit."""
    token = new_token()
    agent.token_hash = token_hash(token)
    record(session, "agent.token_rotated", "agent", agent.id)
    return token


def deactivate_agent(session: Session, agent: Agent) -> list[int]:
    """Take an agent out of service: token and browser sessions stop working, they are
    no longer available for live calls, and callbacks they held go back to the queue
    (their ids are returned)."""
    from hotline.callbacks.models import CallbackRequest
    from hotline.web.models import WebSession

    agent.active = False
    agent.available = False
    session.execute(delete(WebSession).where(WebSession.agent_id == agent.id))
    released = list(
        session.scalars(
            update(CallbackRequest)
            .where(CallbackRequest.claimed_by_id == agent.id, CallbackRequest.status == "claimed")
            .values(status="queued", claimed_by_id=None, claimed_at=None, lease_expires_at=None)
            .returning(CallbackRequest.id)
        )
    )
    record(session, "agent.deactivated", "agent", agent.id, released=released)
    return released


def agent_for_token(session: Session, token: str) -> Agent | None:
    return session.scalar(
        select(Agent).where(Agent.token_hash == token_hash(token), Agent.active.is_(True))
    )


def api_auth_required(view: Callable[..., Any] | None = None, *, activity: bool = True) -> Any:
    """Require `Authorization: Bearer <token>`; sets `g.agent`. Each call counts as the
    agent's activity (hotline.agents.presence) unless `activity=False` (polling)."""
    if view is None:
        return functools.partial(api_auth_required, activity=activity)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        agent = None
        if scheme.lower() == "bearer" and token.strip():
            agent = agent_for_token(g.db, token.strip())
        if agent is None:
            response = jsonify(
                {"error": "unauthorized", "message": "a valid Bearer token is required"}
            )
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Bearer realm="hotline"'
            return response
        g.agent = agent
        if activity:
            from hotline.agents.presence import note_activity

            if note_activity(g.db, app_runtime().settings, agent):
                g.db.commit()
        return view(*args, **kwargs)

    return wrapper
