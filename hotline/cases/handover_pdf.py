"""The hand-over document as a PDF, drawn by WeasyPrint with Debian's Noto fonts so all
22 of the hotline's scripts render (fonts-noto-core, fonts-noto-cjk; see
scripts/install-system-deps).

A PDF stores glyphs, not letters. For scripts whose glyphs are reordered or combined
when shaped (Khmer, Burmese, Devanagari, Sinhala, Thai...) WeasyPrint's glyph-to-text
map gives back scrambled text, so a partner who copies the summary, or searches it,
would get something else than what the adviser wrote. Each line of text is therefore
wrapped in a marked-content span carrying its `/ActualText` (PDF 32000-1, 14.9.4),
which text extraction uses instead of the glyphs. Right-to-left lines (Urdu) are left
as they are: their glyph map is already right, and readers reverse ActualText there.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

import pydyf
from jinja2 import Environment, PackageLoader, select_autoescape
from weasyprint import HTML
from weasyprint.draw import text as weasy_text

from hotline.web.i18n import jst

_draw_first_line = weasy_text.draw_first_line


def _is_right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _draw_first_line_with_actual_text(stream: Any, textbox: Any, *args: Any, **kwargs: Any) -> Any:
    if _is_right_to_left(textbox.text) or not textbox.text.strip():
        return _draw_first_line(stream, textbox, *args, **kwargs)
    actual = pydyf.Dictionary({"ActualText": pydyf.String(textbox.text)})
    stream.begin_marked_content("Span", actual)
    try:
        return _draw_first_line(stream, textbox, *args, **kwargs)
    finally:
        stream.end_marked_content()


weasy_text.draw_first_line = _draw_first_line_with_actual_text


@cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("hotline.cases", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    env.filters["jst"] = jst
    return env


def render_pdf(document: dict[str, Any]) -> bytes:
    """The hand-over document (from `handover.handover_document`) as PDF bytes."""
    html = _templates().get_template("handover.html").render(doc=document)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
