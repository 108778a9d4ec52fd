"""The hand-over document as a PDF (rendered by `hotline.pdf`, which keeps every script's
text extractable)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from hotline.pdf import NOTO_FONT_STACK, html_to_pdf
from hotline.web.i18n import jst


@cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("hotline.cases", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    env.filters["jst"] = jst
    env.globals["font_stack"] = NOTO_FONT_STACK
    return env


def render_pdf(document: dict[str, Any]) -> bytes:
    """The hand-over document (from `handover.handover_document`) as PDF bytes."""
    html = _templates().get_template("handover.html").render(doc=document)
    return html_to_pdf(html)
