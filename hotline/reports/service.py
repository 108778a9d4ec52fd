"""What an NGO reports to its funders, over a range of Japan dates: cases opened in the
range counted per language, channel, topic, outcome and referral kind; how soon an
adviser first answered; how many closed callbacks reached the worker.

Only codes, dates and counts are read. Nothing here decrypts a number or reads a
message, transcript, note or name, so the CSV cannot carry one: its rows identify a
case by its numeric id only, never by the reference a worker could be asked for.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases.contacts import CHANNELS, Contacts, contacts_of
from hotline.cases.models import Case, CaseTopic, Referral
from hotline.cases.topics import TOPIC_CODES
from hotline.clock import TOKYO
from hotline.directory.models import Organisation

DEFAULT_DAYS = 30
TOPIC_ORDER = {code: n for n, code in enumerate(TOPIC_CODES)}  # as in topics.csv
CSV_COLUMNS = (
    "case_id",
    "opened_on",
    "closed_on",
    "language",
    "channels",
    "topics",
    "status",
    "outcome",
    "referral_kinds",
    "first_response_minutes",
    "callbacks",
    "reached",
)


@dataclass(frozen=True)
class DateRange:
    first: dt.date  # Japan dates, both included
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(0), tzinfo=TOKYO).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        after = self.last + dt.timedelta(days=1)
        return dt.datetime.combine(after, dt.time(0), tzinfo=TOKYO).astimezone(dt.UTC)


def japan_today(now: dt.datetime) -> dt.date:
    return now.astimezone(TOKYO).date()


def parse_range(first: str | None, last: str | None, *, today: dt.date) -> DateRange:
    """`from` and `to` as YYYY-MM-DD (Japan dates, both included); by default the last
    30 days up to today. ValueError says what is wrong."""

    def parse(name: str, value: str | None) -> dt.date | None:
        if value is None or value == "":
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name} must be a date like 2026-11-30") from None

    end = parse("to", last) or today
    start = parse("from", first) or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValueError("from must not be after to")
    return DateRange(start, end)


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    opened_on: dt.date
    closed_on: dt.date | None
    language: str | None
    channels: list[str]
    topics: list[str]
    status: str
    outcome: str | None
    referral_kinds: list[str]
    first_response_minutes: int | None
    callbacks: int  # closed callback requests
    reached: int  # ... of which the worker was reached

    def as_csv(self) -> list[str]:
        return [
            str(self.case_id),
            self.opened_on.isoformat(),
            self.closed_on.isoformat() if self.closed_on else "",
            self.language or "",
            ";".join(self.channels),
            ";".join(self.topics),
            self.status,
            self.outcome or "",
            ";".join(self.referral_kinds),
            "" if self.first_response_minutes is None else str(self.first_response_minutes),
            str(self.callbacks),
            str(self.reached),
        ]


# Japan keeps no daylight saving time: a fixed offset gives the same dates as the
# Asia/Tokyo zone, at a fraction of the cost over a year of cases.
JST = dt.timezone(dt.timedelta(hours=9), "JST")


def _japan_date(value: dt.datetime) -> dt.date:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(JST).date()


def case_rows(session: Session, period: DateRange) -> list[CaseRow]:
    """One row per case opened in the period, oldest first."""
    in_period = (Case.created_at >= period.start) & (Case.created_at < period.end)
    ids = select(Case.id).where(in_period)
    topics: dict[int, set[str]] = {}
    for case_id, topic in session.execute(
        select(CaseTopic.case_id, CaseTopic.topic).where(CaseTopic.case_id.in_(ids))
    ):
        topics.setdefault(case_id, set()).add(topic)
    kinds: dict[int, set[str]] = {}
    for case_id, kind in session.execute(
        select(Referral.case_id, Organisation.kind)
        .join(Organisation, Organisation.id == Referral.organisation_id)
        .where(Referral.case_id.in_(ids))
    ):
        kinds.setdefault(case_id, set()).add(kind)
    contacts = contacts_of(session, ids)
    rows = []
    for case_id, language, status, outcome, created_at, closed_at in session.execute(
        select(Case.id, Case.language, Case.status, Case.outcome, Case.created_at, Case.closed_at)
        .where(in_period)
        .order_by(Case.id)
    ):
        found = contacts.get(case_id) or Contacts()
        rows.append(
            CaseRow(
                case_id=case_id,
                opened_on=_japan_date(created_at),
                closed_on=_japan_date(closed_at) if closed_at else None,
                language=language,
                channels=[c for c in CHANNELS if c in found.channels],
                topics=sorted(topics.get(case_id, ()), key=TOPIC_ORDER.__getitem__),
                status=status,
                outcome=outcome,
                referral_kinds=sorted(kinds.get(case_id, ())),
                first_response_minutes=found.first_response_minutes,
                callbacks=found.callbacks_closed,
                reached=found.callbacks_reached,
            )
        )
    return rows


def cases_csv(rows: list[CaseRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(row.as_csv() for row in rows)
    return out.getvalue()


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile: a value that really occurred, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Report:
    period: DateRange
    cases: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    referral_kinds: Counter[str] = field(default_factory=Counter)
    response_minutes: list[int] = field(default_factory=list)
    callbacks_closed: int = 0
    callbacks_reached: int = 0

    @property
    def median_response_minutes(self) -> float | None:
        return statistics.median(self.response_minutes) if self.response_minutes else None

    @property
    def p90_response_minutes(self) -> int | None:
        return percentile(self.response_minutes, 0.9)

    @property
    def reach_rate(self) -> float | None:
        if not self.callbacks_closed:
            return None
        return self.callbacks_reached / self.callbacks_closed


def summarise(period: DateRange, rows: list[CaseRow]) -> Report:
    """Counts of cases (a case with two channels counts once in each)."""
    report = Report(period)
    for row in rows:
        report.cases += 1
        report.languages[row.language or "unknown"] += 1
        report.channels.update(row.channels)
        report.topics.update(row.topics)
        report.statuses[row.status] += 1
        if row.outcome:
            report.outcomes[row.outcome] += 1
        report.referral_kinds.update(row.referral_kinds)
        if row.first_response_minutes is not None:
            report.response_minutes.append(row.first_response_minutes)
        report.callbacks_closed += row.callbacks
        report.callbacks_reached += row.reached
    return report
