"""Live callers waiting in the language queues, as advisers' pages and clients see them.

A caller who pressed 1 waits in Twilio's `hotline-<lang>` queue; the hotline knows it
from its own `Call` row (`queued_at` set when they are enqueued, `dequeued_at` when
they are bridged, hang up or leave), so no request to Twilio is needed to show them.
What is shown is a language and a time: never a number, a name or a case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.agents.presence import calls_in_progress, idle_after, is_available_now
from hotline.config import Settings
from hotline.db import utcnow
from hotline.voice.models import Call

# Clients are told to poll this often; the answer is tiny and usually a 304.
POLL_SECONDS = 2
# A queued call whose end never reached us stops being shown after this long.
WAIT_AT_MOST = dt.timedelta(hours=3)


@dataclass(frozen=True)
class LanguageQueue:
    language: str
    since: list[dt.datetime]  # when each waiting caller joined, oldest first

    @property
    def waiting(self) -> int:
        return len(self.since)

    def longest_wait(self, now: dt.datetime) -> int:
        return max(0, int((now - self.since[0]).total_seconds())) if self.since else 0


def waiting_calls(session: Session, now: dt.datetime) -> list[LanguageQueue]:
    """Every language with callers in its live queue now, with when each one joined."""
    rows = session.execute(
        select(Call.language, Call.queued_at)
        .where(
            Call.queued_at.is_not(None),
            Call.queued_at > now - WAIT_AT_MOST,
            Call.dequeued_at.is_(None),
            Call.ended_at.is_(None),
        )
        .order_by(Call.queued_at)
    )
    by_language: dict[str, list[dt.datetime]] = {}
    for language, queued_at in rows:
        if queued_at is None:
            continue
        by_language.setdefault(language or "?", []).append(queued_at)
    return [LanguageQueue(code, since) for code, since in sorted(by_language.items())]


def _iso(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def availability_state(session: Session, settings: Settings, agent: Agent) -> str:
    """on | off | on_call | idle: what the IVR sees of this agent now."""
    if not agent.available:
        return "off"
    if is_available_now(session, settings, agent):
        return "on"
    now = utcnow()
    if agent.id in calls_in_progress(session, now):
        return "on_call"
    if agent.last_active_at is not None and now - agent.last_active_at > idle_after(settings):
        return "idle"
    return "off"


def waiting_for(session: Session, settings: Settings, agent: Agent) -> dict[str, Any]:
    """What one adviser is shown: the queues of the languages they may take (all of
    them for supervisors), their own availability, and whether to alert them."""
    now = utcnow()
    state = availability_state(session, settings, agent)
    queues = [q for q in waiting_calls(session, now) if agent.speaks(q.language)]
    languages = [
        {
            "language": q.language,
            "waiting": q.waiting,
            "longest_wait_seconds": q.longest_wait(now),
            "callers": [
                {"since": _iso(since), "wait_seconds": int((now - since).total_seconds())}
                for since in q.since
            ],
            "can_take": q.language in agent.languages,
        }
        for q in queues
    ]
    return {
        "now": _iso(now),
        "poll_seconds": POLL_SECONDS,
        "availability": state,
        "languages": languages,
        "alert": state == "on" and any(row["can_take"] for row in languages),
    }


def etag_of(payload: dict[str, Any]) -> str:
    """Changes when a caller joins or leaves a queue or the availability changes, not
    as the seconds tick: the page counts waits up itself from `since`."""
    steady = {
        **payload,
        "now": None,
        "languages": [
            {**row, "longest_wait_seconds": None, "callers": [c["since"] for c in row["callers"]]}
            for row in payload["languages"]
        ],
    }
    digest = hashlib.sha256(json.dumps(steady, sort_keys=True).encode()).hexdigest()
    return digest[:32]
