"""The hand-over PDF for the agent web app (session sign-in), beside the case page.
The same document and audit as `GET /api/cases/{id}/handover.pdf`."""

from __future__ import annotations

from flask import abort, g, request
from flask.typing import ResponseReturnValue

from hotline.agents.cases import case_for_agent
from hotline.cases import handover
from hotline.cases.handover_api import pdf_response
from hotline.web.views import bp, runtime, sign_in_required


@bp.get("/cases/<int:case_id>/handover.pdf")
@sign_in_required
def handover_pdf(case_id: int) -> ResponseReturnValue:
    from hotline.cases.handover_pdf import render_pdf

    case = case_for_agent(g.db, g.agent, case_id)
    if case is None:
        abort(404)
    try:
        language = handover.partner_language(request.args.get("language"))
    except ValueError as exc:
        abort(422, description=str(exc))
    document = handover.handover_document(runtime(), g.db, case, g.agent, language)
    handover.audit_download(g.db, case, g.agent, "pdf", language)
    g.db.commit()
    return pdf_response(render_pdf(document), case)
