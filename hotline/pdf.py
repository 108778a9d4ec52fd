"""HTML to PDF with WeasyPrint and Debian's Noto fonts, so all 22 of the hotline's scripts
render (fonts-noto-core, fonts-noto-cjk; see scripts/install-system-deps). Used by the
hand-over document and the posters.

A PDF stores glyphs, not letters. For scripts whose glyphs are reordered or combined
when shaped (Khmer, Burmese, Devanagari, Sinhala, Thai...) WeasyPrint's glyph-to-text
map gives back scrambled text, so a reader who copies or searches the document would
get something else than what was written. Each line of text is therefore wrapped in a
marked-content span carrying its `/ActualText` (PDF 32000-1, 14.9.4), which text
extraction uses instead of the glyphs. Right-to-left lines (Urdu) are left as they are:
their glyph map is already right, and readers reverse ActualText there.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pydyf
from weasyprint import HTML
from weasyprint.draw import text as weasy_text

# The CSS font stack naming a Noto family for every script of the 22 languages.
NOTO_FONT_STACK = (
    '"Noto Sans", "Noto Sans CJK JP", "Noto Sans Khmer", "Noto Sans Myanmar", '
    '"Noto Sans Devanagari", "Noto Sans Sinhala", "Noto Sans Bengali", "Noto Sans Thai", '
    '"Noto Sans Lao", "Noto Naskh Arabic", "Noto Nastaliq Urdu", sans-serif'
)

_draw_first_line = weasy_text.draw_first_line


def is_right_to_left(text: str) -> bool:
    """Whether the text has right-to-left letters (Urdu), which are laid out and read
    back differently."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _draw_first_line_with_actual_text(stream: Any, textbox: Any, *args: Any, **kwargs: Any) -> Any:
    if is_right_to_left(textbox.text) or not textbox.text.strip():
        return _draw_first_line(stream, textbox, *args, **kwargs)
    actual = pydyf.Dictionary({"ActualText": pydyf.String(textbox.text)})
    stream.begin_marked_content("Span", actual)
    try:
        return _draw_first_line(stream, textbox, *args, **kwargs)
    finally:
        stream.end_marked_content()


weasy_text.draw_first_line = _draw_first_line_with_actual_text


def html_to_pdf(html: str) -> bytes:
    """A self-contained HTML document (styles inline, no outside resources) as PDF bytes."""
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
