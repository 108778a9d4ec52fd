"""Builders for callback and agent-API tests: agents, cases and callback requests."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hotline.agents.auth import create_agent
from hotline.agents.models import Agent
from hotline.callbacks.models import CallbackRequest
from hotline.callbacks.service import request_callback
from hotline.callers.models import Caller
from hotline.callers.service import get_or_create_caller
from hotline.cases.models import Case
from hotline.cases.service import luhn_digit, open_case_for
from hotline.crypto import encrypt_phone, phone_hash
from hotline.runtime import Runtime

TOKYO = ZoneInfo("Asia/Tokyo")
AGENT_PHONE = "+819000001001"  # made-up numbers, +81 90-0000-xxxx style
SECOND_AGENT_PHONE = "+819000001002"


def tokyo(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment given in Japan time, as an aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO).astimezone(dt.UTC)


def worker_number(n: int) -> str:
    return f"+81900{n:07d}"


def make_agent(
    runtime: Runtime,
    *,
    name: str = "Agent",
    languages: str = "vi,en",
    phone: str | None = AGENT_PHONE,
    role: str = "agent",
    ui_language: str | None = None,
) -> tuple[int, str]:
    """An agent in the database; returns its id and API token."""
    with runtime.db.session() as session:
        agent, token = create_agent(
            session,
            runtime.settings.secret_key,
            name=name,
            languages=languages,
            phone=phone,
            role=role,
        )
        if ui_language:
            agent.ui_language = ui_language
        return agent.id, token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_callback(
    runtime: Runtime,
    *,
    phone: str = "+819000000001",
    language: str = "vi",
    **options: Any,
) -> tuple[int, int]:
    """A worker with an open case and a callback request; returns (callback id, case id)."""
    secret = runtime.settings.secret_key
    with runtime.db.session() as session:
        caller = get_or_create_caller(session, secret, phone)
        caller.language = language
        case = open_case_for(session, caller, language)
        session.flush()
        callback = request_callback(
            session, secret, case=case, caller=caller, language=language, phone=phone, **options
        )
        session.flush()
        return callback.id, case.id


def bulk_callbacks(
    session: Session,
    secret: str,
    count: int,
    *,
    language: str = "vi",
    created_at: dt.datetime,
    start: int = 0,
) -> list[int]:
    """Many workers with one callback request each, inserted in bulk."""
    callers = []
    for i in range(start, start + count):
        phone = worker_number(i)
        callers.append(
            Caller(
                phone_hash=phone_hash(secret, phone),
                phone_encrypted=encrypt_phone(secret, phone),
                language=language,
            )
        )
    session.add_all(callers)
    session.flush()
    cases = []
    for i, caller in enumerate(callers, start=start):
        body = str(100000 + i)
        cases.append(
            Case(reference=body + luhn_digit(body), caller_id=caller.id, language=language)
        )
    session.add_all(cases)
    session.flush()
    requests = [
        CallbackRequest(
            case_id=case.id,
            caller_id=caller.id,
            language=language,
            phone_encrypted=caller.phone_encrypted,
            created_at=created_at,
            next_attempt_at=created_at,
        )
        for caller, case in zip(callers, cases, strict=True)
    ]
    session.add_all(requests)
    session.flush()
    return [r.id for r in requests]


def agent(session: Session, agent_id: int) -> Agent:
    found = session.get(Agent, agent_id)
    assert found is not None
    return found
