"""Whether an adviser can really take a live caller now.

`Agent.available` is the adviser's wish. It is only true in practice while they are
active (an action within HOTLINE_AGENT_IDLE_MINUTES) and not already on a call: a
live call they took, or a callback they are dialling or bridged into. Being on a call
is read from the calls themselves, so availability comes back on by itself when the
call ends, if it was on. Signing out and going idle turn the wish off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from hotline.agents.live import set_availability
from hotline.agents.models import Agent
from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.callbacks.service import IN_PROGRESS_STATES
from hotline.config import Settings
from hotline.db import utcnow
from hotline.voice.models import Call

# A call whose final status never arrived stops counting after this long.
LIVE_CALL_AT_MOST = dt.timedelta(hours=3)
# last_active_at is written at most this often, so every page view is not a write.
ACTIVITY_GRANULARITY = dt.timedelta(seconds=30)


def wait_limit_seconds(settings: Settings, language: str) -> int:
    """How long a live caller of `language` waits before the callback is offered."""
    limits = dict(settings.live_wait_limits)
    return 60 * limits.get(language, limits.get("default", 5))


def idle_after(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.agent_idle_minutes)


def _on_live_call(now: dt.datetime) -> ColumnElement[bool]:
    return exists().where(
        Call.agent_id == Agent.id,
        Call.purpose == "live",
        Call.ended_at.is_(None),
        Call.started_at > now - LIVE_CALL_AT_MOST,
    )


def _on_callback_call(now: dt.datetime) -> ColumnElement[bool]:
    return exists().where(
        CallbackAttempt.agent_id == Agent.id,
        CallbackAttempt.state.in_(IN_PROGRESS_STATES),
        CallbackAttempt.created_at > now - LIVE_CALL_AT_MOST,
    )


def available_now(settings: Settings, now: dt.datetime) -> ColumnElement[bool]:
    """SQL: the agent wants live calls, is active, not idle and not on a call.

    An agent never seen since this was introduced (no `last_active_at`) is not idle.
    """
    return and_(
        Agent.available.is_(True),
        Agent.active.is_(True),
        or_(Agent.last_active_at.is_(None), Agent.last_active_at > now - idle_after(settings)),
        ~_on_live_call(now),
        ~_on_callback_call(now),
    )


def is_available_now(session: Session, settings: Settings, agent: Agent) -> bool:
    now = utcnow()
    found = session.scalar(
        select(Agent.id).where(Agent.id == agent.id, available_now(settings, now))
    )
    return found is not None


def note_activity(
    session: Session, settings: Settings, agent: Agent, now: dt.datetime | None = None
) -> bool:
    """The adviser did something. Back from being idle, their availability is off (they
    turn it on again knowingly). Returns whether anything changed (the caller commits)."""
    now = now or utcnow()
    seen = agent.last_active_at
    if seen is not None and now - seen < ACTIVITY_GRANULARITY:
        return False
    if agent.available and seen is not None and now - seen > idle_after(settings):
        set_availability(session, agent, False, reason="idle")
    agent.last_active_at = now
    return True


def signed_out(session: Session, agent: Agent) -> None:
    """Nobody is at the screen any more: no live caller may be promised to them."""
    set_availability(session, agent, False, reason="signed_out")


@dataclass(frozen=True)
class OnCall:
    agent_id: int
    kind: str  # live | callback
    language: str | None
    since: dt.datetime


def calls_in_progress(session: Session, now: dt.datetime) -> dict[int, OnCall]:
    """agent id → the call they are on (live or callback); no numbers, no case."""
    found: dict[int, OnCall] = {}
    live = session.execute(
        select(Call.agent_id, Call.language, Call.started_at).where(
            Call.purpose == "live",
            Call.agent_id.is_not(None),
            Call.ended_at.is_(None),
            Call.started_at > now - LIVE_CALL_AT_MOST,
        )
    )
    for agent_id, language, started in live:
        if agent_id is None:
            continue
        found[int(agent_id)] = OnCall(int(agent_id), "live", language, started)
    callbacks = session.execute(
        select(CallbackAttempt.agent_id, CallbackRequest.language, CallbackAttempt.created_at)
        .join(CallbackRequest, CallbackRequest.id == CallbackAttempt.callback_id)
        .where(
            CallbackAttempt.state.in_(IN_PROGRESS_STATES),
            CallbackAttempt.created_at > now - LIVE_CALL_AT_MOST,
        )
    )
    for agent_id, language, started in callbacks:
        found.setdefault(int(agent_id), OnCall(int(agent_id), "callback", language, started))
    return found
