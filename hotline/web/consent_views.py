"""The worker's choices and consent on the case page, the callback offered when no SMS
may be sent, and the audit log page for supervisors. Registered on the web blueprint."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from hotline.agents.models import Agent
from hotline.audit import AuditEvent
from hotline.callbacks.models import WINDOWS
from hotline.callbacks.service import request_callback
from hotline.callers import consent
from hotline.callers.models import Caller
from hotline.callers.service import caller_phone
from hotline.cases.models import Case
from hotline.web.casework_views import _references
from hotline.web.common import _say, _visible_case, bp, runtime, sign_in_required

AUDIT_PAGE = 100


@bp.post("/cases/<int:case_id>/consent")
@sign_in_required
def record_consent(case_id: int) -> ResponseReturnValue:
    """An adviser records a choice or consent the worker asked for."""
    case = _visible_case(case_id)
    try:
        consent.record_on_request(
            g.db,
            case=case,
            agent=g.agent,
            subject=request.form.get("subject", ""),
            value=request.form.get("value", ""),
        )
    except consent.ChoiceError as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("web.case", case_id=case.id, _anchor="consent"))
    g.db.commit()
    _say("consent.recorded")
    return redirect(url_for("web.case", case_id=case.id, _anchor="consent"))


@bp.post("/cases/<int:case_id>/callback")
@sign_in_required
def callback_instead(case_id: int) -> ResponseReturnValue:
    """Put the worker in the callback queue: what an adviser offers when no SMS may go.
    The worker's standing choices (window, discretion) come with it."""
    case = _visible_case(case_id)
    caller = g.db.get(Caller, case.caller_id)
    if caller is None:  # pragma: no cover - every case has its caller
        abort(404, description="no such case")
    secret = runtime().settings.secret_key
    request_callback(
        g.db,
        secret,
        case=case,
        caller=caller,
        language=case.language or caller.language or g.agent.languages[0],
        phone=caller_phone(secret, caller),
        source="agent",
    )
    g.db.commit()
    _say("callback.requested")
    return redirect(url_for("web.case", case_id=case.id, _anchor="callback"))


# --- The audit log -------------------------------------------------------------------


def _day(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


@bp.get("/audit")
@sign_in_required
def audit() -> ResponseReturnValue:
    """Who read or changed which case when, newest first; supervisors and admins only."""
    if not g.agent.is_supervisor:
        abort(403, description="the audit log is for supervisors")
    args = request.args
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    problems = []
    agent_raw = args.get("agent", "")
    if agent_raw:
        if agent_raw.isascii() and agent_raw.isdigit() and int(agent_raw) < 2**31:
            query = query.where(AuditEvent.agent_id == int(agent_raw))
        else:
            problems.append("agent")
    reference = "".join(ch for ch in args.get("case", "") if ch.isascii() and ch.isdigit())
    if args.get("case"):
        case_id = g.db.scalar(select(Case.id).where(Case.reference == reference))
        # An unknown reference shows nothing rather than everything.
        query = query.where(AuditEvent.subject_type == "case", AuditEvent.subject_id == case_id)
    action = args.get("action", "").strip()
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    since, until = _day(args.get("from")), _day(args.get("to"))
    for name, day in (("from", since), ("to", until)):
        if args.get(name) and day is None:
            problems.append(name)
    if since is not None:
        query = query.where(AuditEvent.at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(AuditEvent.at < end)
    if problems:
        _say("audit.bad_filter", "error", fields=", ".join(problems))
    events = list(g.db.scalars(query.limit(AUDIT_PAGE)))
    agents = {a.id: a for a in g.db.scalars(select(Agent).order_by(Agent.name))}
    case_refs = _references(
        {e.subject_id for e in events if e.subject_type == "case" and e.subject_id is not None}
    )
    return render_template(
        "web/audit.html",
        events=events,
        agents=agents,
        case_refs=case_refs,
        filters={k: args.get(k, "") for k in ("agent", "case", "action", "from", "to")},
        limit=AUDIT_PAGE,
    ), (400 if problems else 200)


@bp.app_context_processor
def _consent_context() -> dict[str, Any]:
    return {
        "consent_subjects": consent.ADVISER_SUBJECTS,
        "consent_values": ("yes", "no", *WINDOWS),
    }
