"""The supervisors' reports page and its CSV download (session sign-in; advisers 403)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from flask import abort, g, render_template, request
from flask.typing import ResponseReturnValue

from hotline.api.reports import csv_download
from hotline.cases.topics import topics
from hotline.db import utcnow
from hotline.reports.service import DateRange, case_rows, japan_today, parse_range, summarise
from hotline.web import charts, i18n
from hotline.web.common import bp, language_name, sign_in_required


def _supervisor_period() -> DateRange:
    if not g.agent.is_supervisor:
        abort(403, description="reports are for supervisors")
    try:
        return parse_range(
            request.args.get("from"), request.args.get("to"), today=japan_today(utcnow())
        )
    except ValueError as exc:
        abort(422, description=str(exc))


Label = Callable[[str], str]


def _chart(counts: Counter[str], label: Label) -> charts.Chart:
    """One bar per value, most first (the table beside it lists the same counts)."""
    items = counts.most_common()
    return charts.horizontal_bars(
        [(label(key), [(value, "waiting")]) for key, value in items], label_width=180
    )


@bp.get("/reports")
@sign_in_required
def reports() -> ResponseReturnValue:
    period = _supervisor_period()
    report = summarise(period, case_rows(g.db, period))
    ui = i18n.ui_language(g.agent)
    topic_labels = topics()

    def topic_label(code: str) -> str:
        return topic_labels[code].label(ui) if code in topic_labels else code

    def code_label(prefix: str) -> Label:
        return lambda code: i18n.translate(ui, f"{prefix}.{code}")

    sections: list[tuple[str, Counter[str], Label]] = [
        ("language", report.languages, language_name),
        ("channel", report.channels, code_label("reports.channel")),
        ("topic", report.topics, topic_label),
        ("outcome", report.outcomes, code_label("reports.outcome")),
        ("referral_kind", report.referral_kinds, code_label("reports.kind")),
    ]
    return render_template(
        "web/reports.html",
        report=report,
        sections=[(name, counts, label, _chart(counts, label)) for name, counts, label in sections],
    )


@bp.get("/reports/cases.csv")
@sign_in_required
def reports_csv() -> ResponseReturnValue:
    return csv_download(g.db, g.agent, _supervisor_period())
