"""Reading a PDF back as a person's tools would (poppler's pdftotext and pdfinfo)."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import UNDER_CI

_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))


def words(text: str) -> str:
    """The text NFC-normalised, without the bidi marks pdftotext puts around right-to-left
    runs, and with every run of whitespace (line breaks too) as one space."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_BIDI_CONTROLS).split())


def _poppler(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    if shutil.which(tool) is None:
        message = f"{tool} not found (apt-get install poppler-utils)"
        if UNDER_CI:
            pytest.fail(message + ": CI requires it", pytrace=False)
        pytest.skip(message)
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def pdftotext(pdf: bytes, tmp_path: Path, *, raw: bool = False) -> str:
    """The text; `raw` keeps the order it was drawn in (columns not merged into lines)."""
    return _poppler("pdftotext", pdf, tmp_path, "-enc", "UTF-8", *(["-raw"] if raw else []))


def page_count(pdf: bytes, tmp_path: Path) -> int:
    for line in _poppler("pdfinfo", pdf, tmp_path).splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo reports no page count")
