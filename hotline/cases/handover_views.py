"""Hand-over in the agent web app (session sign-in, CSRF-checked forms): the summary
and number-sharing forms and the PDF download. `web/_handover.html` is the panel the
case page includes (`{% include "web/_handover.html" %}` with `case` in scope); the
same service functions, access rules and audit as the API."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from hotline.agents.cases import case_for_agent
from hotline.agents.models import Agent
from hotline.api.handover import pdf_response
from hotline.cases import handover
from hotline.cases.models import Case
from hotline.languages import LANGUAGES
from hotline.web import i18n
from hotline.web.common import bp, runtime, sign_in_required


def _case_or_404(case_id: int) -> Case:
    case = case_for_agent(g.db, g.agent, case_id)
    if case is None:
        abort(404, description="no such case")
    return case


def _say(key: str, category: str = "info") -> None:
    flash(i18n.translate(i18n.ui_language(g.agent), key), category)


def _back(case: Case) -> ResponseReturnValue:
    return redirect(url_for("web.case", case_id=case.id, _anchor="handover"))


@bp.context_processor
def _handover_panel() -> dict[str, Any]:
    def handover_state(case_id: int) -> dict[str, Any]:
        """What the case page's hand-over panel shows: the latest summary and the
        worker's answer about sharing their number, with who recorded it."""
        case = g.db.get(Case, case_id)
        summary = handover.latest_summary(g.db, case_id)
        author = g.db.get(Agent, summary.agent_id) if summary and summary.agent_id else None
        return {
            "summary": summary,
            "summary_by": author.name if author else None,
            "sharing": handover.number_sharing_json(g.db, case) if case else None,
            "languages": sorted(LANGUAGES),
        }

    return {"handover_state": handover_state}


@bp.post("/cases/<int:case_id>/summary")
@sign_in_required
def handover_summary(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    try:
        handover.set_summary(runtime(), g.db, case, g.agent, request.form.get("text", ""))
    except ValueError as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return _back(case)
    g.db.commit()
    _say("handover.summary_saved")
    return _back(case)


@bp.post("/cases/<int:case_id>/number-sharing")
@sign_in_required
def handover_number_sharing(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    answer = request.form.get("agreed")
    if answer not in ("1", "0"):
        abort(400, description="agreed must be 1 or 0")
    handover.record_number_sharing(g.db, case, g.agent, answer == "1")
    g.db.commit()
    _say("handover.sharing_agreed" if answer == "1" else "handover.sharing_refused")
    return _back(case)


@bp.get("/cases/<int:case_id>/handover.pdf")
@sign_in_required
def handover_pdf(case_id: int) -> ResponseReturnValue:
    from hotline.cases.handover_pdf import render_pdf

    case = _case_or_404(case_id)
    try:
        language = handover.partner_language(request.args.get("language"))
    except ValueError as exc:
        abort(422, description=str(exc))
    document = handover.handover_document(runtime(), g.db, case, g.agent, language)
    handover.audit_download(g.db, case, g.agent, "pdf", language)
    g.db.commit()
    return pdf_response(render_pdf(document), case)
