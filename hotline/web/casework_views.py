"""The adviser's inbox and the casework forms of the case page: notes, assignment and
hand-over, status and topics, referrals. Same services and rules as the agent API
(`hotline.cases`), registered on the web blueprint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from hotline.agents.models import Agent
from hotline.callbacks import queue as callback_queue
from hotline.cases import referrals, work
from hotline.cases.inbox import FilterError, InboxFilter, inbox, needs_reply_count
from hotline.cases.models import CASE_OUTCOMES, CASE_STATUSES
from hotline.cases.topics import TOPIC_CODES
from hotline.db import utcnow
from hotline.directory import service as directory
from hotline.directory.service import prefectures
from hotline.web import i18n
from hotline.web.common import _say, _visible_case, bp, runtime, sign_in_required


@bp.app_context_processor
def _inbox_count() -> dict[str, Any]:
    """The navigation's count, computed only when a page asks for it."""

    def count() -> int:
        agent = g.get("agent")
        return needs_reply_count(g.db, agent) if agent is not None else 0

    return {"inbox_count": count}


@bp.get("/inbox")
@sign_in_required
def inbox_page() -> ResponseReturnValue:
    args = {k: v for k, v in request.args.items() if v}
    try:
        wanted = InboxFilter.parse(args, default_sort="needs_reply")
    except FilterError as exc:
        flash(str(exc), "error")
        wanted = InboxFilter()
        args = {}
    page = inbox(g.db, g.agent, wanted)
    now = utcnow()
    held_back = [
        (callback, eligible_at)
        for callback, eligible_now, eligible_at in callback_queue.list_waiting(
            g.db, g.agent, quiet_hours=runtime().settings.quiet_hours, now=now
        )
        if not eligible_now
    ]
    references = _references({cb.case_id for cb, _ in held_back})
    g.db.commit()  # listing may release expired leases
    return render_template(
        "web/inbox.html",
        page=page,
        wanted=wanted,
        args=args,
        statuses=CASE_STATUSES,
        topic_codes=TOPIC_CODES,
        languages=_agent_languages(g.agent),
        agents=_agent_names(),
        held_back=held_back,
        references=references,
        now=now,
    )


def _page_args(args: dict[str, str], number: int) -> dict[str, str]:
    return {**args, "page": str(number)}


bp.add_app_template_global(_page_args, "page_args")


def _references(case_ids: set[int]) -> dict[int, str]:
    from hotline.cases.models import Case

    if not case_ids:
        return {}
    return dict(g.db.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all())


def _agent_languages(agent: Agent) -> list[str]:
    if agent.is_supervisor:
        from hotline.languages import LANGUAGES

        return sorted(LANGUAGES)
    return list(agent.languages)


def _agent_names() -> dict[int, str]:
    return dict(g.db.execute(select(Agent.id, Agent.name)).all())


def _change(case: Any, anchor: str, change: Callable[[], object], done: str, **values: Any) -> Any:
    """Run a casework change and go back to its part of the case page, saying what
    happened or why it could not."""
    try:
        change()
    except (work.CaseworkError, ValueError) as exc:
        g.db.rollback()
        flash(str(exc), "error")
    else:
        g.db.commit()
        _say(done, **values)
    return redirect(url_for("web.case", case_id=case.id, _anchor=anchor))


def case_work_context(case: dict[str, Any]) -> dict[str, Any]:
    """What the case page needs to offer casework: who may take the case over, the
    directory entries for its language, the topics and outcomes."""
    language = case["language"]
    candidates = [
        agent
        for agent in g.db.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.name))
        if agent.id != g.agent.id and (language is None or agent.speaks(language))
    ]
    prefecture = request.args.get("prefecture") or None
    if prefecture not in prefectures():
        prefecture = None
    organisations = directory.search(g.db, language=language, prefecture=prefecture)
    return {
        "hand_over_to": candidates,
        "organisations": organisations,
        "prefecture": prefecture,
        "case_statuses": CASE_STATUSES,
        "case_outcomes": CASE_OUTCOMES,
        "topic_codes": TOPIC_CODES,
        "agent_names": _agent_names(),
    }


@bp.post("/cases/<int:case_id>/notes")
@sign_in_required
def add_note(case_id: int) -> ResponseReturnValue:
    case = _visible_case(case_id)
    text = request.form.get("text", "")
    return _change(case, "notes", lambda: work.add_note(g.db, case, g.agent, text), "notes.added")


@bp.post("/cases/<int:case_id>/assign")
@sign_in_required
def assign(case_id: int) -> ResponseReturnValue:
    case = _visible_case(case_id)
    choice = request.form.get("agent_id", "")
    target: Agent | None = None
    if choice == "me":
        target = g.agent
    elif choice:
        if not (choice.isascii() and choice.isdigit() and 0 < int(choice) < 2**31):
            abort(400, description="agent_id must be an agent's id")
        target = g.db.get(Agent, int(choice))
        if target is None:
            abort(400, description="no such agent")
    note = request.form.get("note") or None
    return _change(
        case, "work", lambda: work.assign(g.db, case, g.agent, target, note), "work.assigned"
    )


@bp.post("/cases/<int:case_id>/status")
@sign_in_required
def set_status(case_id: int) -> ResponseReturnValue:
    case = _visible_case(case_id)
    status = request.form.get("status") or None
    outcome = request.form.get("outcome") or None
    if status != "closed":
        outcome = None  # the outcome menu only counts when closing
    topics = request.form.getlist("topics")
    return _change(
        case,
        "work",
        lambda: work.set_status(g.db, case, g.agent, status, outcome, topics),
        "work.saved",
    )


@bp.post("/cases/<int:case_id>/referrals")
@sign_in_required
def refer(case_id: int) -> ResponseReturnValue:
    case = _visible_case(case_id)
    ids = [int(v) for v in request.form.getlist("organisations") if v.isascii() and v.isdigit()]
    ids = [i for i in ids if 0 < i < 2**31]
    if not ids:
        _say("refer.pick_one", "error")
        return redirect(url_for("web.case", case_id=case.id, _anchor="refer"))
    send_sms = request.form.get("send_sms") == "1"
    try:
        made = referrals.refer(
            g.db, case=case, agent=g.agent, organisation_ids=ids, send_sms=send_sms
        )
    except referrals.SmsNotAllowed as exc:
        g.db.rollback()
        ui = i18n.ui_language(g.agent)
        flash(i18n.translate(ui, "refer.no_sms", reason=str(exc)), "error")
        return redirect(url_for("web.case", case_id=case.id, _anchor="refer"))
    except (work.CaseworkError, ValueError) as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("web.case", case_id=case.id, _anchor="refer"))
    g.db.commit()
    if send_sms:
        _say("refer.done_sms", count=len(made))
    else:
        _say("refer.done")
    return redirect(url_for("web.case", case_id=case.id, _anchor="refer"))
