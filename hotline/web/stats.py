"""Counts for the queue page and the supervisor dashboard (read-only aggregates).

Which request an agent may claim, and in what order, is `hotline.callbacks.queue`'s
business; this module only counts what is waiting and what was done, for display.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.callbacks.queue import agent_languages
from hotline.cases.models import Case
from hotline.clock import TOKYO
from hotline.db import utcnow
from hotline.jobs import LEASE
from hotline.jobs.models import OutboxJob
from hotline.sms.models import SmsDelivery, SmsMessage

# A text handed to Twilio whose answer was lost (a timeout, a worker killed mid-send) is
# not sent again (at most once): it waits for Twilio's status callback. Shown after this.
UNCONFIRMED_SHOWN_AFTER = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class LanguageBacklog:
    language: str
    waiting: int  # queued, due or not
    claimed: int
    oldest_waiting_at: dt.datetime | None


def backlog(session: Session, agent: Agent | None = None) -> list[LanguageBacklog]:
    """Open callback requests per language (the agent's languages, or all), most first."""
    languages = agent_languages(agent) if agent is not None else None
    query = (
        select(
            CallbackRequest.language,
            CallbackRequest.status,
            func.count(CallbackRequest.id),
            func.min(CallbackRequest.created_at),
        )
        .where(CallbackRequest.status.in_(("queued", "claimed")))
        .group_by(CallbackRequest.language, CallbackRequest.status)
    )
    if languages is not None:
        query = query.where(CallbackRequest.language.in_(languages))
    waiting: Counter[str] = Counter()
    claimed: Counter[str] = Counter()
    oldest: dict[str, dt.datetime] = {}
    for language, status, count, first in session.execute(query):
        if status == "queued":
            waiting[language] += int(count)
            if first is not None:
                # min() over a UTCDateTime column may come back as text or naive.
                first = _aware(first)
                oldest[language] = min(oldest.get(language, first), first)
        else:
            claimed[language] += int(count)
    shown = list(languages) if languages is not None else sorted(set(waiting) | set(claimed))
    rows = [LanguageBacklog(code, waiting[code], claimed[code], oldest.get(code)) for code in shown]
    return sorted(rows, key=lambda r: (-r.waiting, r.language))


def _aware(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass
class DayOutcomes:
    day: dt.date
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def reached(self) -> int:
        return self.counts["reached"]


@dataclass(frozen=True)
class Delivery:
    """Sends that may be stuck, and jobs a dead worker left behind (see hotline.jobs)."""

    unconfirmed_sends: int  # "sending" with no word from Twilio for over a minute
    oldest_unconfirmed_at: dt.datetime | None
    abandoned_jobs: int  # started, unfinished, no heartbeat within the lease
    failed_texts: int = 0  # stored texts whose processing gave up: `hotline inbound failed`
    retrying_texts: int = 0  # stored texts whose processing failed and will be tried again


def delivery(session: Session, now: dt.datetime) -> Delivery:
    unconfirmed, oldest = session.execute(
        select(func.count(SmsMessage.id), func.min(SmsMessage.updated_at)).where(
            SmsMessage.direction == "out",
            SmsMessage.status == "sending",
            SmsMessage.sid.is_(None),
            SmsMessage.updated_at < now - UNCONFIRMED_SHOWN_AFTER,
        )
    ).one()
    abandoned = session.scalar(
        select(func.count(OutboxJob.id)).where(
            OutboxJob.done_at.is_(None),
            OutboxJob.failed_at.is_(None),
            OutboxJob.started_at.is_not(None),
            OutboxJob.heartbeat_at < now - LEASE,
        )
    )
    failed_texts, retrying_texts = session.execute(
        select(
            func.count().filter(SmsDelivery.failed_at.is_not(None)),
            func.count().filter(SmsDelivery.failed_at.is_(None), SmsDelivery.attempts > 0),
        ).where(SmsDelivery.processed_at.is_(None))
    ).one()
    return Delivery(
        int(unconfirmed or 0),
        _aware(oldest) if oldest is not None else None,
        int(abandoned or 0),
        int(failed_texts or 0),
        int(retrying_texts or 0),
    )


@dataclass(frozen=True)
class Dashboard:
    backlog: list[LanguageBacklog]
    open_cases: int
    days: list[DayOutcomes]  # oldest first, the last one is today (Japan time)
    delivery: Delivery = field(default_factory=lambda: Delivery(0, None, 0))

    @property
    def today(self) -> DayOutcomes:
        return self.days[-1]

    @property
    def reached_rate_today(self) -> float | None:
        return self.today.reached / self.today.total if self.today.total else None

    @property
    def reached_rate_week(self) -> float | None:
        total = sum(d.total for d in self.days)
        return sum(d.reached for d in self.days) / total if total else None

    @property
    def oldest_waiting_at(self) -> dt.datetime | None:
        moments = [row.oldest_waiting_at for row in self.backlog if row.oldest_waiting_at]
        return min(moments) if moments else None


def dashboard(session: Session, *, days: int = 7, now: dt.datetime | None = None) -> Dashboard:
    """Backlog, open cases, and callback outcomes per Japan-time day for the last `days`."""
    now = now or utcnow()
    today = now.astimezone(TOKYO).date()
    first_day = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first_day, dt.time(0), tzinfo=TOKYO).astimezone(dt.UTC)
    per_day = {
        first_day + dt.timedelta(days=i): DayOutcomes(first_day + dt.timedelta(days=i))
        for i in range(days)
    }
    rows = session.execute(
        select(CallbackAttempt.outcome, CallbackAttempt.updated_at).where(
            CallbackAttempt.outcome.is_not(None), CallbackAttempt.updated_at >= since
        )
    )
    for outcome, at in rows:
        day = _aware(at).astimezone(TOKYO).date()
        if day in per_day and outcome:
            per_day[day].counts[outcome] += 1
    open_cases = int(
        session.scalar(select(func.count()).select_from(Case).where(Case.status != "closed")) or 0
    )
    return Dashboard(
        backlog=backlog(session),
        open_cases=open_cases,
        days=[per_day[d] for d in sorted(per_day)],
        delivery=delivery(session, now),
    )
