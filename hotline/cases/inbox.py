"""An adviser's inbox: the cases they may work, filtered and in the order that needs an
answer first, with unread markers; plus the callbacks that wait but cannot be dialled yet.

Visibility is the agent's (their languages, cases assigned to them, callbacks they hold;
supervisors see all). Every filter is a column of `cases` or an indexed join, so a page
costs a few index scans however many cases and messages there are (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.callbacks.models import CallbackRequest
from hotline.cases.models import CASE_STATUSES, Case, CaseRead, CaseTopic
from hotline.cases.topics import TOPIC_CODES
from hotline.languages import LANGUAGES

REFERENCE_LENGTH = 7
COUNT_LIMIT = 1000  # totals are exact up to here (docs/casework.md)
NAV_COUNT_LIMIT = 100  # the navigation shows "99+" beyond 99
PER_PAGE = 50
MAX_PER_PAGE = 200
SORTS = ("activity", "needs_reply")


# Both orders match an index (hotline/cases/models.py) so a page is read in order.
NEEDS_REPLY_ORDER: tuple[Any, ...] = (
    Case.urgent.desc(),
    Case.awaiting_reply_since.asc().nulls_last(),
    Case.last_activity_at.desc(),
    Case.id.desc(),
)
ACTIVITY_ORDER: tuple[Any, ...] = (Case.last_activity_at.desc(), Case.id.desc())


class FilterError(ValueError):
    """An inbox filter that cannot be applied; the message names it."""


@dataclass(frozen=True)
class InboxFilter:
    status: str | None = None  # None: every status but closed; "all": every status
    language: str | None = None
    assigned: str | None = None  # "me" | "none"
    urgent: bool | None = None
    needs_reply: bool | None = None
    topic: str | None = None
    q: str | None = None  # a reference, or its first digits
    page: int = 1
    per_page: int = PER_PAGE
    sort: str = "needs_reply"

    @classmethod
    def parse(cls, args: dict[str, str], *, default_sort: str) -> InboxFilter:
        """Filters from query-string values; FilterError says which one is wrong."""
        status = _blank(args.get("status"))
        if status is not None and status not in (*CASE_STATUSES, "all"):
            raise FilterError(f"status must be one of: {', '.join((*CASE_STATUSES, 'all'))}")
        language = _blank(args.get("language"))
        if language is not None and language not in LANGUAGES:
            raise FilterError("language must be a language code, e.g. vi")
        assigned = _blank(args.get("assigned"))
        if assigned is not None and assigned not in ("me", "none"):
            raise FilterError("assigned must be me or none")
        topic = _blank(args.get("topic"))
        if topic is not None and topic not in TOPIC_CODES:
            raise FilterError(f"topic must be one of: {', '.join(TOPIC_CODES)}")
        q = _blank(args.get("q"))
        if q is not None:
            q = q.replace(" ", "").replace("-", "")
            if not (q.isascii() and q.isdigit()) or len(q) > 7:
                raise FilterError("q must be a case reference (up to 7 digits)")
        sort = _blank(args.get("sort")) or default_sort
        if sort not in SORTS:
            raise FilterError(f"sort must be one of: {', '.join(SORTS)}")
        return cls(
            status=status,
            language=language,
            assigned=assigned,
            urgent=_flag(args, "urgent"),
            needs_reply=_flag(args, "needs_reply"),
            topic=topic,
            q=q,
            page=_positive(args, "page", 1, 10_000),
            per_page=_positive(args, "per_page", PER_PAGE, MAX_PER_PAGE),
            sort=sort,
        )


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _flag(args: dict[str, str], name: str) -> bool | None:
    value = _blank(args.get(name))
    if value is None:
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise FilterError(f"{name} must be true or false")


def _positive(args: dict[str, str], name: str, default: int, highest: int) -> int:
    value = _blank(args.get(name))
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= highest:
        raise FilterError(f"{name} must be a whole number from 1 to {highest}")
    return int(value)


@dataclass
class InboxItem:
    case: Case
    unread: bool
    topics: list[str] = field(default_factory=list)

    @property
    def needs_reply(self) -> bool:
        return self.case.awaiting_reply_since is not None

    def waiting_seconds(self, now: dt.datetime) -> int | None:
        since = self.case.awaiting_reply_since
        return None if since is None else max(0, int((now - since).total_seconds()))


@dataclass
class InboxPage:
    items: list[InboxItem]
    total: int  # exact, or a lower bound when `exact` is False
    page: int
    per_page: int
    exact: bool = True

    @property
    def pages(self) -> int:
        known = max(1, -(-self.total // self.per_page))
        return known if self.exact else max(known, self.page + 1)


def _count(session: Session, where: list[ColumnElement[bool]], up_to: int) -> tuple[int, bool]:
    """How many cases match, counting no further than `up_to`: an exact total costs a
    scan of every match, which nobody reads past the first pages. (count, exact)."""
    matches = select(Case.id).where(*where).limit(up_to + 1).subquery()
    found = int(session.scalar(select(func.count()).select_from(matches)) or 0)
    return min(found, up_to), found <= up_to


def visible_to(agent: Agent) -> ColumnElement[bool] | None:
    """Cases this agent may see: their languages, assigned to them, or with a callback
    they hold (they must see what they are about to dial). None: all (supervisors)."""
    if agent.is_supervisor:
        return None
    held = select(CallbackRequest.case_id).where(
        CallbackRequest.claimed_by_id == agent.id, CallbackRequest.status == "claimed"
    )
    return or_(
        Case.language.in_(list(agent.languages)),
        Case.assigned_agent_id == agent.id,
        Case.id.in_(held),
    )


def _visible_for_lists(session: Session, agent: Agent) -> ColumnElement[bool] | None:
    """`visible_to` with the held callbacks looked up first (at most a few ids), so
    PostgreSQL can combine the language and assignment indexes instead of filtering
    every case not yet closed."""
    if agent.is_supervisor:
        return None
    held = list(
        session.scalars(
            select(CallbackRequest.case_id).where(
                CallbackRequest.claimed_by_id == agent.id, CallbackRequest.status == "claimed"
            )
        )
    )
    either = [Case.language.in_(list(agent.languages)), Case.assigned_agent_id == agent.id]
    if held:
        either.append(Case.id.in_(held))
    return or_(*either)


def _conditions(session: Session, agent: Agent, f: InboxFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    visible = _visible_for_lists(session, agent)
    if visible is not None:
        where.append(visible)
    if f.status is None:
        where.append(Case.status != "closed")  # the partial indexes' own predicate
    elif f.status != "all":
        where.append(Case.status == f.status)
    if f.language is not None:
        where.append(Case.language == f.language)
    if f.assigned == "me":
        where.append(Case.assigned_agent_id == agent.id)
    elif f.assigned == "none":
        where.append(Case.assigned_agent_id.is_(None))
    if f.urgent is not None:
        where.append(Case.urgent.is_(f.urgent))
    if f.needs_reply is True:
        where.append(Case.awaiting_reply_since.is_not(None))
    elif f.needs_reply is False:
        where.append(Case.awaiting_reply_since.is_(None))
    if f.topic is not None:
        where.append(exists().where(CaseTopic.case_id == Case.id, CaseTopic.topic == f.topic))
    if f.q is not None:
        # References are 7 digits: a prefix is a range of the references' indexes.
        missing = REFERENCE_LENGTH - len(f.q)
        where.append(Case.reference.between(f.q + "0" * missing, f.q + "9" * missing))
    return where


def inbox(session: Session, agent: Agent, f: InboxFilter) -> InboxPage:
    """One page of the cases this agent may see that match `f`."""
    where = _conditions(session, agent, f)
    order = NEEDS_REPLY_ORDER if f.sort == "needs_reply" else ACTIVITY_ORDER
    rows = session.execute(
        select(Case, CaseRead.read_at)
        .outerjoin(CaseRead, and_(CaseRead.case_id == Case.id, CaseRead.agent_id == agent.id))
        .where(*where)
        .order_by(*order)
        .limit(f.per_page)
        .offset((f.page - 1) * f.per_page)
    ).all()
    total, exact = _count(session, where, max(COUNT_LIMIT, f.page * f.per_page))
    items = [
        InboxItem(case, unread=read_at is None or read_at < case.last_activity_at)
        for case, read_at in rows
    ]
    _attach_topics(session, items)
    return InboxPage(items, total, f.page, f.per_page, exact)


def _attach_topics(session: Session, items: list[InboxItem]) -> None:
    by_case = {item.case.id: item for item in items}
    if not by_case:
        return
    found: dict[int, set[str]] = {}
    for case_id, topic in session.execute(
        select(CaseTopic.case_id, CaseTopic.topic).where(CaseTopic.case_id.in_(list(by_case)))
    ):
        found.setdefault(case_id, set()).add(topic)
    for case_id, item in by_case.items():
        item.topics = [code for code in TOPIC_CODES if code in found.get(case_id, ())]


def needs_reply_count(session: Session, agent: Agent) -> int:
    """For the navigation: cases this agent may see that wait for an adviser's answer."""
    where = _conditions(session, agent, InboxFilter(needs_reply=True))
    return _count(session, where, NAV_COUNT_LIMIT)[0]
