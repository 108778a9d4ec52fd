"""The supervisors' posters page (`/posters`): choose a language and a format, download
the PDF. Registered on the web blueprint, so sign-in and the security headers are the
app's own."""

from __future__ import annotations

from flask import Response, abort, g, render_template, request
from flask.typing import ResponseReturnValue

from hotline.languages import LANGUAGES
from hotline.posters.poster import FORMATS, render_pdf
from hotline.web.common import bp, runtime, sign_in_required


def _supervisor() -> None:
    if not g.agent.is_supervisor:
        abort(403, description="posters are for supervisors")


@bp.get("/posters")
@sign_in_required
def posters() -> ResponseReturnValue:
    _supervisor()
    return render_template(
        "web/posters.html",
        languages=list(LANGUAGES.values()),
        formats=FORMATS,
        has_number=runtime().settings.twilio_number is not None,
    )


@bp.get("/posters/poster.pdf")
@sign_in_required
def poster_pdf() -> ResponseReturnValue:
    _supervisor()
    code = request.args.get("lang", "")
    page_format = request.args.get("format", "a4")
    if code not in LANGUAGES:
        abort(400, description="unknown language: choose one from the list")
    if page_format not in FORMATS:
        abort(400, description=f"unknown format: choose one of {', '.join(FORMATS)}")
    pdf = render_pdf(runtime().settings, code, page_format)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="hotline-{page_format}-{code}.pdf"',
            "Cache-Control": "no-store",
        },
    )
