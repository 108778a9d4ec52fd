"""The README and docs link only to files of this repository, and every link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_relative_links_stay_inside_the_repository_and_resolve(document: Path) -> None:
    for target in LINK.findall(document.read_text("utf-8")):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        path = (document.parent / target.split("#", 1)[0]).resolve()
        assert path.is_relative_to(ROOT), f"{document.name} links outside: {target}"
        assert path.exists(), f"{document.name} links to a missing file: {target}"
    assert "../shared/" not in document.read_text("utf-8")
