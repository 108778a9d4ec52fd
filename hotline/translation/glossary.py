"""The labour and immigration glossary, applied the same way in every translation.

Machine translation renders these terms inconsistently (技能実習生 comes back as
"technical intern", "skill trainee", "apprentice" ...), and for a worker the difference
matters: it names their visa and the office that can help. Google's own glossary
feature needs a glossary resource created in a Cloud Storage bucket per language pair;
instead each term found in the source text is sent as an untranslatable placeholder
and the target language's term is put in its place afterwards (see `redaction`). The
result is the same wording every time, it works with any language pair, and tests can
prove it here.

The terms are pack data: each language's `glossary:` in `ivr_scripts/packs/<lang>.yaml`
(the English pack names every term). Terms other than English and Japanese are drafts
until a native speaker has reviewed them (`reviewed`), like every machine-drafted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hotline.languages import LANGUAGES
from hotline.packs.texts import current_packs


@dataclass(frozen=True)
class Term:
    key: str
    # language -> forms; the first is what translations use, all are recognised
    forms: dict[str, tuple[str, ...]]
    reviewed: frozenset[str] = frozenset({"en", "ja"})

    def target(self, language: str) -> str | None:
        forms = self.forms.get(language)
        return forms[0] if forms else None


def terms() -> tuple[Term, ...]:
    """The glossary of the configured packs, in the English pack's order."""
    return _terms(LANGUAGES.root)


@lru_cache(maxsize=4)
def _terms(_root: Path) -> tuple[Term, ...]:
    packs = current_packs().packs
    english = packs.get("en")
    found: list[Term] = []
    for key in english.glossary if english is not None else ():
        entries = {code: pack.glossary[key] for code, pack in packs.items() if key in pack.glossary}
        found.append(
            Term(
                key,
                {code: forms for code, (forms, _) in entries.items()},
                frozenset(code for code, (_, ok) in entries.items() if ok),
            )
        )
    return tuple(found)


def by_key() -> dict[str, Term]:
    return {term.key: term for term in terms()}


def _word_boundaries(language: str) -> bool:
    """Scripts without spaces between words: a term may sit inside a longer run of letters."""
    pack = current_packs().get(language)
    return pack is None or pack.script.word_boundaries


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    term: Term


def _pattern(source: str, target: str) -> tuple[re.Pattern[str], dict[str, Term]] | None:
    """One regex for every source form of the terms that the target language also has."""
    return _compiled(LANGUAGES.root, source, target)


@lru_cache(maxsize=64)
def _compiled(
    _root: Path, source: str, target: str
) -> tuple[re.Pattern[str], dict[str, Term]] | None:
    by_form: dict[str, Term] = {}
    for term in terms():
        if term.target(target) is None:
            continue
        for form in term.forms.get(source, ()):
            by_form.setdefault(form.casefold(), term)
    if not by_form:
        return None
    alternatives = "|".join(re.escape(f) for f in sorted(by_form, key=len, reverse=True))
    if not _word_boundaries(source):
        pattern = f"(?:{alternatives})"
    else:
        pattern = rf"(?<!\w)(?:{alternatives})(?!\w)"
    return re.compile(pattern, re.IGNORECASE), by_form


def find_terms(text: str, source: str, target: str) -> list[Match]:
    """Glossary terms in `text` (written in `source`) that have a `target` rendering."""
    if source == target:
        return []
    compiled = _pattern(source, target)
    if compiled is None:
        return []
    regex, by_form = compiled
    matches = []
    for m in regex.finditer(text):
        term = by_form.get(m.group(0).casefold())
        if term is not None:
            matches.append(Match(m.start(), m.end(), term))
    return matches
