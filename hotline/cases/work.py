"""A case's life as advisers work it: notes, assignment and hand-over, status and
topics, read markers. Every change is a timeline event and an audit event with the
adviser who made it; the callers (API and web pages) commit."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.audit import record
from hotline.cases.models import (
    ACTIVE_STATUSES,
    CASE_OUTCOMES,
    CASE_STATUSES,
    Case,
    CaseEvent,
    CaseRead,
    CaseTopic,
)
from hotline.cases.topics import TOPIC_CODES
from hotline.db import insert_unless_taken, utcnow
from hotline.errors import Refused

MAX_NOTE = 4000


class CaseworkError(Refused):
    """A change to a case that cannot be made; the message says why."""


class LanguageMismatch(CaseworkError):
    code = "language_mismatch"


class CaseConflict(CaseworkError):
    code = "case_conflict"


def add_event(
    session: Session,
    case: Case,
    kind: str,
    agent: Agent | None,
    *,
    body: str | None = None,
    **detail: object,
) -> CaseEvent:
    """One timeline entry, audited under the same adviser."""
    event = CaseEvent(
        case_id=case.id,
        kind=kind,
        agent_id=agent.id if agent else None,
        body=body,
        detail=detail or None,
        at=utcnow(),
    )
    session.add(event)
    # The audit log says who changed what, never a note's text.
    record(session, f"case.{kind}", "case", case.id, agent_id=agent.id if agent else None, **detail)
    return event


def add_note(session: Session, case: Case, agent: Agent, text: str) -> CaseEvent:
    """An internal note: advisers only, never sent to the worker."""
    text = text.strip()
    if not text:
        raise ValueError("a note needs some text")
    if len(text) > MAX_NOTE:
        raise ValueError(f"a note is at most {MAX_NOTE} characters")
    return add_event(session, case, "note", agent, body=text)


def assign(
    session: Session, case: Case, by: Agent, to: Agent | None, note: str | None = None
) -> None:
    """Assign the case (to `by` themselves, or hand it over to another adviser who
    speaks the case's language), or unassign it with `to=None`."""
    if to is not None:
        if not to.active:
            raise CaseworkError(f"{to.name} is not an active adviser")
        if case.language is not None and not to.speaks(case.language):
            raise LanguageMismatch(
                f"{to.name} does not speak this case's language ({case.language}): "
                "hand it over to an adviser who does"
            )
    if note is not None and len(note.strip()) > MAX_NOTE:
        raise ValueError(f"a note is at most {MAX_NOTE} characters")
    previous = case.assigned_agent_id
    case.assigned_agent_id = to.id if to is not None else None
    if to is None:
        kind = "unassigned"
    elif to.id == by.id:
        kind = "assigned"
    else:
        kind = "handed_over"
    add_event(
        session,
        case,
        kind,
        by,
        body=(note or "").strip() or None,
        from_agent_id=previous,
        to_agent_id=case.assigned_agent_id,
    )


def set_status(
    session: Session,
    case: Case,
    agent: Agent,
    status: str | None,
    outcome: str | None = None,
    topics: Iterable[str] | None = None,
) -> None:
    """Move the case along its life, and/or set its topics. Closing needs an outcome;
    a closed case moved back to a working status is reopened."""
    if status is not None and status not in CASE_STATUSES:
        raise ValueError(f"status must be one of: {', '.join(CASE_STATUSES)}")
    if outcome is not None and outcome not in CASE_OUTCOMES:
        raise ValueError(f"outcome must be one of: {', '.join(CASE_OUTCOMES)}")
    if status == "closed" and outcome is None:
        raise ValueError("closing a case needs an outcome: " + ", ".join(CASE_OUTCOMES))
    if outcome is not None and status != "closed":
        raise ValueError("an outcome is given only when closing a case")
    if topics is not None:
        set_topics(session, case, agent, topics)
    if status is None or status == case.status:
        if status == "closed" and outcome != case.outcome:
            add_event(session, case, "status", agent, status=status, outcome=outcome)
            case.outcome = outcome
        return
    if case.status == "closed" and status in ACTIVE_STATUSES:
        other = session.scalar(
            select(Case.reference).where(
                Case.caller_id == case.caller_id, Case.status != "closed", Case.id != case.id
            )
        )
        if other is not None:
            raise CaseConflict(
                f"this worker has another case not yet closed ({other}): work that one"
            )
    previous = case.status
    case.status = status
    case.last_activity_at = utcnow()
    if status == "closed":
        case.outcome = outcome
        case.closed_at = utcnow()
        case.awaiting_reply_since = None
    else:
        case.outcome = None
        case.closed_at = None
    add_event(session, case, "status", agent, status=status, previous=previous, outcome=outcome)


def set_topics(session: Session, case: Case, agent: Agent, topics: Iterable[str]) -> None:
    wanted = list(dict.fromkeys(topics))
    unknown = [t for t in wanted if t not in TOPIC_CODES]
    if unknown:
        raise ValueError(
            f"unknown topic(s): {', '.join(unknown)}; topics are: {', '.join(TOPIC_CODES)}"
        )
    current = topics_of(session, case.id)
    if set(current) == set(wanted):
        return
    session.execute(delete(CaseTopic).where(CaseTopic.case_id == case.id))
    session.add_all(CaseTopic(case_id=case.id, topic=t) for t in wanted)
    add_event(session, case, "topics", agent, topics=wanted)


def topics_of(session: Session, case_id: int) -> list[str]:
    """The case's topics in the order of `topics.csv`."""
    found = set(session.scalars(select(CaseTopic.topic).where(CaseTopic.case_id == case_id)))
    return [code for code in TOPIC_CODES if code in found]


def mark_read(session: Session, agent: Agent, case: Case) -> None:
    """This adviser has seen the case as it is now (two tabs at once are fine)."""
    now = utcnow()
    seen = (
        update(CaseRead)
        .where(CaseRead.agent_id == agent.id, CaseRead.case_id == case.id)
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    if not session.execute(seen).rowcount:  # type: ignore[attr-defined]
        added = insert_unless_taken(
            session, CaseRead, agent_id=agent.id, case_id=case.id, read_at=now
        )
        if added is None:  # a concurrent read inserted it first
            session.execute(seen)


def events_of(session: Session, case_id: int) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )
