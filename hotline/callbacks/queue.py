"""The callback queue: which requests an agent may work now, in what order, and claims.

A request is eligible when it is queued (or its lease has expired), due
(`next_attempt_at` has passed), inside the time window the worker chose (Japan time)
and outside the hotline's quiet hours, and in a language the agent speaks (supervisors
see every language). Order: priority (urgent requests first, asking again raises it),
then the moment the request became due: a missed call re-enters the queue at its
backoff time, behind the requests that were already waiting.

A claim is a lease: the request comes back to the queue when the lease runs out, so
an agent who disappears holds nothing for long. Claims are atomic on both backends:
one `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)` on PostgreSQL; on
SQLite the same statement runs inside the BEGIN IMMEDIATE transaction every session
starts, and the row count tells whether it won. An agent holds at most one request:
the partial unique index `uq_callbacks_holder` refuses a second, so two claims sent at
once by one agent end with both answering the same request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.audit import AuditEvent, record
from hotline.callbacks.models import CallbackRequest
from hotline.clock import TOKYO, in_window, parse_window, within
from hotline.db import utcnow

_TABLE = cast(Table, CallbackRequest.__table__)
LEASE = dt.timedelta(minutes=15)

# The windows a worker can choose, in Japan time: [start, end).
WINDOW_HOURS: dict[str, tuple[dt.time, dt.time]] = {
    "morning": (dt.time(8, 0), dt.time(12, 0)),
    "afternoon": (dt.time(12, 0), dt.time(17, 0)),
    "evening": (dt.time(17, 0), dt.time(21, 0)),
}


def in_quiet_hours(now: dt.datetime, quiet_hours: str) -> bool:
    """Whether `now` falls in the hotline's quiet hours (Japan time): nobody is called."""
    return in_window(quiet_hours, now)


def window_is_open(window: str, now: dt.datetime, quiet_hours: str) -> bool:
    if in_quiet_hours(now, quiet_hours):
        return False
    if window == "any":
        return True
    start, end = WINDOW_HOURS[window]
    return within(now.astimezone(TOKYO).time(), start, end)


def open_windows(now: dt.datetime, quiet_hours: str) -> tuple[str, ...]:
    """The windows a worker may be called in right now; empty during quiet hours."""
    if in_quiet_hours(now, quiet_hours):
        return ()
    local = now.astimezone(TOKYO).time()
    return ("any", *(name for name, (s, e) in WINDOW_HOURS.items() if within(local, s, e)))


def next_open_time(window: str, after: dt.datetime, quiet_hours: str) -> dt.datetime:
    """The first moment at or after `after` when `window` is open outside quiet hours."""
    if window_is_open(window, after, quiet_hours):
        return after
    _, quiet_end = parse_window(quiet_hours)
    starts = [quiet_end] + ([WINDOW_HOURS[window][0]] if window in WINDOW_HOURS else [])
    local_day = after.astimezone(TOKYO).date()
    candidates = []
    for offset in range(4):
        day = local_day + dt.timedelta(days=offset)
        for start in starts:
            moment = dt.datetime.combine(day, start, tzinfo=TOKYO).astimezone(dt.UTC)
            if moment >= after and window_is_open(window, moment, quiet_hours):
                candidates.append(moment)
    # A window that never opens (quiet hours cover it) is still tried, not lost.
    return min(candidates) if candidates else after


def agent_languages(agent: Agent) -> list[str] | None:
    """The languages whose requests this agent may see; None for every language."""
    return None if agent.is_supervisor else list(agent.languages)


def _eligible(agent: Agent, now: dt.datetime, windows: Sequence[str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        CallbackRequest.status == "queued",
        CallbackRequest.next_attempt_at <= now,
        CallbackRequest.window.in_(list(windows)),
    ]
    languages = agent_languages(agent)
    if languages is not None:
        conditions.append(CallbackRequest.language.in_(languages))
    return conditions


QUEUE_ORDER = (
    CallbackRequest.priority.desc(),
    CallbackRequest.next_attempt_at,
    CallbackRequest.id,
)


def release_expired_leases(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Put requests whose lease ran out back in the queue (and say so in the audit log).

    A Core statement: it runs before every claim, so it must cost one cheap round trip
    (an index probe on the partial lease index) when nothing has expired.
    """
    now = now or utcnow()
    table = _TABLE
    expired = (
        select(table.c.id)
        .where(table.c.status == "claimed", table.c.lease_expires_at <= now)
        .with_for_update(skip_locked=True)
    )
    rows = list(
        session.execute(
            table.update()
            .where(table.c.id.in_(expired), table.c.status == "claimed")
            .values(status="queued", claimed_by_id=None, claimed_at=None, lease_expires_at=None)
            .returning(table.c.id)
        ).scalars()
    )
    released = set(rows)
    for callback_id in rows:
        record(session, "callback.lease_expired", "callback", callback_id)
    if released:
        # Objects already loaded in this session must not keep the old lease.
        for obj in list(session.identity_map.values()):
            if isinstance(obj, CallbackRequest) and obj.id in released:
                session.expire(obj)
    return rows


def list_queue(
    session: Session,
    agent: Agent,
    *,
    quiet_hours: str,
    now: dt.datetime | None = None,
    limit: int = 50,
) -> list[CallbackRequest]:
    """The requests this agent may work right now, in the order claims take them."""
    now = now or utcnow()
    release_expired_leases(session, now)
    windows = open_windows(now, quiet_hours)
    if not windows:
        return []
    return list(
        session.scalars(
            select(CallbackRequest)
            .where(*_eligible(agent, now, windows))
            .order_by(*QUEUE_ORDER)
            .limit(limit)
        )
    )


def list_waiting(
    session: Session,
    agent: Agent,
    *,
    quiet_hours: str,
    now: dt.datetime | None = None,
    limit: int = 200,
) -> list[tuple[CallbackRequest, bool, dt.datetime]]:
    """Every queued request this agent may work, in queue order, each with whether it
    can be claimed now and when it can next be: a request waiting for the worker's
    window or for the end of quiet hours is shown, but only claimed when it opens."""
    now = now or utcnow()
    release_expired_leases(session, now)
    query = select(CallbackRequest).where(CallbackRequest.status == "queued")
    languages = agent_languages(agent)
    if languages is not None:
        query = query.where(CallbackRequest.language.in_(languages))
    waiting = []
    for request in session.scalars(query.order_by(*QUEUE_ORDER).limit(limit)):
        due = max(now, request.next_attempt_at)
        eligible_at = next_open_time(request.window, due, quiet_hours)
        waiting.append((request, eligible_at <= now, eligible_at))
    return waiting


def held_claim(
    session: Session, agent: Agent, now: dt.datetime | None = None
) -> CallbackRequest | None:
    """The request this agent holds a live lease on, if any."""
    now = now or utcnow()
    return session.scalar(
        select(CallbackRequest)
        .where(
            CallbackRequest.claimed_by_id == agent.id,
            CallbackRequest.status == "claimed",
            CallbackRequest.lease_expires_at > now,
        )
        .order_by(CallbackRequest.claimed_at)
        .limit(1)
    )


def _claim_statement(*, by_language: bool) -> Any:
    """The claim, built once: UPDATE the first eligible row, skipping rows that other
    claimers have locked, and RETURN it. Parameters: now, windows, languages,
    agent_id, lease_until."""
    c = _TABLE.c
    conditions = [
        c.status == "queued",
        c.next_attempt_at <= bindparam("now"),
        c.window.in_(bindparam("windows", expanding=True)),
    ]
    if by_language:
        conditions.append(c.language.in_(bindparam("languages", expanding=True)))
    candidate = (
        select(c.id)
        .where(*conditions)
        .order_by(c.priority.desc(), c.next_attempt_at, c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(CallbackRequest)
        .where(CallbackRequest.id == candidate, CallbackRequest.status == "queued")
        .values(
            status="claimed",
            claimed_by_id=bindparam("agent_id"),
            claimed_at=bindparam("now"),
            lease_expires_at=bindparam("lease_until"),
            updated_at=bindparam("now"),
        )
        .returning(CallbackRequest)
    )


_CLAIM_IN_LANGUAGES = _claim_statement(by_language=True)
_CLAIM_ANY_LANGUAGE = _claim_statement(by_language=False)
# Leases this agent holds or that have run out: one probe through the partial indexes.
_LEASE_PROBE = select(_TABLE.c.id, _TABLE.c.claimed_by_id, _TABLE.c.lease_expires_at).where(
    _TABLE.c.status == "claimed",
    or_(
        _TABLE.c.claimed_by_id == bindparam("agent_id"),
        _TABLE.c.lease_expires_at <= bindparam("now"),
    ),
)
_AUDIT_CLAIMED = insert(cast(Table, AuditEvent.__table__)).values(
    action="callback.claimed", subject_type="callback"
)


def claim_next(
    session: Session,
    agent: Agent,
    *,
    quiet_hours: str,
    now: dt.datetime | None = None,
    lease: dt.timedelta = LEASE,
) -> CallbackRequest | None:
    """Claim the next request for `agent`, or return the one it already holds.

    The caller commits; when a concurrent claim by the same agent wins, the caller's
    transaction is rolled back (so claim before writing anything else) and the
    request that claim took is returned. None when nothing is eligible (or it is
    quiet hours). This is
    the hot path of every agent's work loop, so its statements are built once and it
    costs three round trips: the lease probe, the claim, and its audit event.
    """
    now = now or utcnow()
    leases = session.execute(_LEASE_PROBE, {"agent_id": agent.id, "now": now}).all()
    if any(row.lease_expires_at <= now for row in leases):
        release_expired_leases(session, now)
    if any(row.claimed_by_id == agent.id and row.lease_expires_at > now for row in leases):
        return held_claim(session, agent, now)
    windows = open_windows(now, quiet_hours)
    if not windows:
        return None
    languages = agent_languages(agent)
    params: dict[str, Any] = {
        "now": now,
        "windows": list(windows),
        "agent_id": agent.id,
        "lease_until": now + lease,
    }
    if languages is not None:
        params["languages"] = languages
    try:
        claimed = session.scalars(
            _CLAIM_IN_LANGUAGES if languages is not None else _CLAIM_ANY_LANGUAGE,
            params,
            execution_options={"synchronize_session": False, "populate_existing": True},
        ).one_or_none()
    except IntegrityError:
        # A concurrent claim by this same agent won (`uq_callbacks_holder`): its
        # request is the one this agent holds. No savepoint on the hot path, so the
        # whole transaction is rolled back, which is why callers claim first.
        session.rollback()
        return held_claim(session, agent, now)
    if claimed is None:
        return None
    session.execute(
        _AUDIT_CLAIMED, {"at": utcnow(), "agent_id": agent.id, "subject_id": claimed.id}
    )
    return claimed


def renew_lease(
    callback: CallbackRequest, now: dt.datetime | None = None, lease: dt.timedelta = LEASE
) -> None:
    """Extend the holder's lease, e.g. while the agent is on the phone to the worker."""
    callback.lease_expires_at = (now or utcnow()) + lease
