"""The supervisors' floor view (`/floor`) and the advisers' side of live calls: their
availability, taking the next caller, and the live-queue poll of their pages.

The floor shows people and numbers, never a worker: who is signed in, available or on
a call (kind, language, since when), the live queues, the callbacks due within the
hour, and how live callers fared over the last 7 days. `/live/waiting` is what the
queue and inbox pages poll (web.js) to show waiting callers without a reload.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotline.agents import live
from hotline.agents.models import Agent
from hotline.agents.presence import OnCall, available_now, calls_in_progress, idle_after
from hotline.agents.waiting import LanguageQueue, waiting_calls, waiting_for
from hotline.api.waiting import conditional_json
from hotline.callbacks.models import CallbackRequest
from hotline.config import Settings
from hotline.db import utcnow
from hotline.languages import LANGUAGES
from hotline.telephony import calls_are_local
from hotline.voice.models import Call
from hotline.web import charts, i18n
from hotline.web.common import _say, bp, language_name, runtime, sign_in_required
from hotline.web.models import WebSession
from hotline.web.security import IDLE_TIMEOUT
from hotline.web.stats import _aware

DAYS = 7
DUE_WITHIN = dt.timedelta(hours=1)


@dataclass(frozen=True)
class AdviserRow:
    name: str
    languages: list[str]
    signed_in: bool
    state: str  # on | off | idle | on_call
    call: OnCall | None


@dataclass(frozen=True)
class LiveWeek:
    language: str
    queued: int
    answered: int
    within_1: int
    within_5: int
    abandoned: int


def advisers(session: Session, settings: Settings, now: dt.datetime) -> list[AdviserRow]:
    """Active advisers who are signed in, meant to be available, or on a call."""
    signed_in = set(
        session.scalars(
            select(WebSession.agent_id).where(
                WebSession.expires_at > now, WebSession.last_seen_at > now - IDLE_TIMEOUT
            )
        )
    )
    on_now = set(session.scalars(select(Agent.id).where(available_now(settings, now))))
    on_call = calls_in_progress(session, now)
    rows = []
    agents = session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.name))
    for agent in agents:
        if agent.id not in signed_in and not agent.available and agent.id not in on_call:
            continue
        if agent.id in on_call:
            state = "on_call"
        elif agent.id in on_now:
            state = "on"
        elif agent.available and agent.last_active_at is not None:
            state = "idle" if now - agent.last_active_at > idle_after(settings) else "off"
        else:
            state = "off"
        rows.append(
            AdviserRow(
                agent.name,
                list(agent.languages),
                agent.id in signed_in,
                state,
                on_call.get(agent.id),
            )
        )
    return rows


def callbacks_due(session: Session, now: dt.datetime) -> dict[str, int]:
    """Queued callbacks per language that are due within the hour (or overdue)."""
    rows = session.execute(
        select(CallbackRequest.language, func.count(CallbackRequest.id))
        .where(
            CallbackRequest.status == "queued", CallbackRequest.next_attempt_at <= now + DUE_WITHIN
        )
        .group_by(CallbackRequest.language)
    )
    return {language: int(count) for language, count in rows}


def live_week(session: Session, now: dt.datetime) -> list[LiveWeek]:
    """Per language over the last 7 days: callers who waited live, how many were
    answered (within 1 and 5 minutes), and how many hung up while waiting."""
    rows = session.execute(
        select(Call.language, Call.queued_at, Call.dequeued_at, Call.ended_reason).where(
            Call.queued_at > now - dt.timedelta(days=DAYS),
            or_(Call.dequeued_at.is_not(None), Call.ended_at.is_not(None)),
        )
    )
    counts: dict[str, Counter[str]] = {}
    for language, queued_at, dequeued_at, reason in rows:
        tally = counts.setdefault(language or "?", Counter())
        tally["queued"] += 1
        if reason == "bridged" and dequeued_at is not None and queued_at is not None:
            waited = (_aware(dequeued_at) - _aware(queued_at)).total_seconds()
            tally["answered"] += 1
            tally["within_1"] += waited <= 60
            tally["within_5"] += waited <= 300
        elif reason == "abandoned_in_queue":
            tally["abandoned"] += 1
    return [
        LiveWeek(code, t["queued"], t["answered"], t["within_1"], t["within_5"], t["abandoned"])
        for code, t in sorted(counts.items())
    ]


def queue_rows(
    queues: list[LanguageQueue], due: dict[str, int], now: dt.datetime
) -> list[tuple[str, int, int, int]]:
    """(language, live callers waiting, longest wait in seconds, callbacks due)."""
    live = {q.language: q for q in queues}
    rows = []
    for code in sorted(set(live) | set(due)):
        queue = live.get(code)
        rows.append(
            (
                code,
                queue.waiting if queue else 0,
                queue.longest_wait(now) if queue else 0,
                due.get(code, 0),
            )
        )
    return rows


@bp.context_processor
def _live_panel() -> dict[str, Any]:
    def live_panel() -> dict[str, Any]:
        """The panel's first state, drawn by the server (the page works without script)."""
        payload = waiting_for(g.db, runtime().settings, g.agent)
        payload["language_names"] = {code: language_name(code) for code in LANGUAGES}
        return payload

    return {"live_panel": live_panel}


@bp.post("/availability")
@sign_in_required
def availability() -> ResponseReturnValue:
    available = request.form.get("available") == "1"
    live.set_availability(g.db, g.agent, available)
    g.db.commit()
    _say("queue.available_now" if available else "queue.unavailable_now")
    return redirect(url_for("web.queue"))


@bp.post("/live/next")
@sign_in_required
def live_next() -> ResponseReturnValue:
    """Ring my phone and connect me to the next caller waiting in a language queue."""
    language = request.form.get("language") or None
    try:
        live.take_next_caller(g.db, runtime().settings, agent=g.agent, language=language)
    except (live.LiveError, ValueError) as exc:
        g.db.rollback()
        _say("queue.live_failed", "error", reason=str(exc))
        return redirect(url_for("web.queue"))
    g.db.commit()
    said = "queue.live_simulated" if calls_are_local(runtime().settings) else "queue.live_ringing"
    _say(said, language=language_name(language or g.agent.languages[0]))
    return redirect(url_for("web.queue"))


@bp.get("/live/waiting")
@sign_in_required
def live_waiting() -> ResponseReturnValue:
    """Polled by the queue and inbox pages; `active=1` when the adviser did something
    on the page since the last poll (only then does it count against idleness)."""
    payload = waiting_for(g.db, runtime().settings, g.agent)
    g.db.commit()
    return conditional_json(payload)


@bp.get("/floor")
@sign_in_required
def floor() -> ResponseReturnValue:
    if not g.agent.is_supervisor:
        abort(403, description="the floor view is for supervisors")
    settings = runtime().settings
    now = utcnow()
    week = live_week(g.db, now)
    chart = charts.horizontal_bars(
        [
            (
                language_name(row.language),
                [
                    (row.within_1, "reached"),
                    (row.within_5 - row.within_1, "claimed"),
                    (row.answered - row.within_5, "waiting"),
                    (row.abandoned, "other"),
                ],
            )
            for row in week
        ]
    )
    page = render_template(
        "web/floor.html",
        advisers=advisers(g.db, settings, now),
        queues=queue_rows(waiting_calls(g.db, now), callbacks_due(g.db, now), now),
        week=week,
        week_chart=chart,
        now=now,
        seconds=lambda s: i18n.translate(
            i18n.ui_language(g.agent), "floor.duration", m=s // 60, s=s % 60
        ),
    )
    g.db.commit()
    return page


def is_poll_without_activity() -> bool:
    """The page's background poll, with no click or key since the previous one."""
    return request.endpoint == "web.live_waiting" and request.args.get("active") != "1"
