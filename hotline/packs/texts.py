"""`packs/<lang>.yaml`: a language's texts and facts that are neither voice prompts nor
SMS replies: the gave-up SMS, its name in the agents' languages, the lines agents hear
(in the agent languages), glossary terms, the facts about its writing system, and the
codes Google may detect it as. Each text carries `reviewed`, as every drafted text does.
"""

from __future__ import annotations

import re
import string
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.languages import LANGUAGES, read_table
from hotline.packs.problems import Problem, read_yaml, rel
from hotline.sms.segments import count_segments

PACKS_FOLDER = "packs"
MAX_GAVE_UP_SEGMENTS = 2
# The lines an agent hears, in each agent language, and the placeholders each takes.
AGENT_LINES: dict[str, frozenset[str]] = {
    "callback_intro": frozenset({"language", "reference", "discretion"}),
    "may_identify": frozenset(),
    "do_not_identify": frozenset(),
    "callback_prompt": frozenset(),
    "callback_no_input": frozenset(),
    "callback_cancelled": frozenset(),
    "callback_not_yours": frozenset(),
    "callback_ended": frozenset(),
    "live_next": frozenset({"language"}),
}
_RANGE = re.compile(r"^([0-9A-F]{4,5})-([0-9A-F]{4,5})$")
_WRITING_SYSTEM = re.compile(r"^[A-Z][A-Z0-9_-]*$")


@dataclass(frozen=True)
class Text:
    text: str
    reviewed: bool
    line: int | None = None


@dataclass(frozen=True)
class ScriptFacts:
    # Unicode character-name prefixes of the letters it is written in (LATIN, THAI...).
    writing_systems: frozenset[str] = frozenset({"LATIN"})
    # False for scripts without spaces between words (a term may sit inside a run).
    word_boundaries: bool = True
    # Code point ranges and letters no other supported language uses.
    unique_ranges: tuple[tuple[int, int], ...] = ()
    unique_letters: str = ""


@dataclass(frozen=True)
class Pack:
    code: str
    path: Path
    gave_up_sms: Text | None = None
    names: dict[str, Text] = field(default_factory=dict)
    agent_lines: dict[str, Text] = field(default_factory=dict)
    script: ScriptFacts = ScriptFacts()
    glossary: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)
    google_codes: tuple[str, ...] = ()


@dataclass
class Packs:
    root: Path
    packs: dict[str, Pack]

    def get(self, code: str) -> Pack | None:
        return self.packs.get(code)

    def gave_up_sms(self, language: str | None) -> tuple[str, str]:
        """The gave-up SMS in `language` and the language it is written in (English
        when the language has none)."""
        pack = self.packs.get(language or "")
        if pack is not None and pack.gave_up_sms is not None:
            return pack.gave_up_sms.text, pack.code
        english = self.packs["en"].gave_up_sms
        assert english is not None, "the English pack has a gave-up SMS (validated)"
        return english.text, "en"

    def agent_languages(self) -> tuple[str, ...]:
        """The languages agents can hear lines in (English first)."""
        return tuple(code for code, pack in self.packs.items() if pack.agent_lines)

    def agent_line(self, agent_language: str, key: str, /, **values: str) -> str:
        pack = self.packs.get(agent_language)
        if pack is None or key not in pack.agent_lines:
            pack = self.packs["en"]
        return pack.agent_lines[key].text.format(**values)

    def name_in(self, agent_language: str, code: str) -> str:
        """The name of language `code` in `agent_language` (English from languages.csv)."""
        pack = self.packs.get(code)
        if pack is not None and agent_language in pack.names:
            return pack.names[agent_language].text
        lang = LANGUAGES.get(code)
        return lang.english_name if lang is not None else code

    def unreviewed(self) -> list[tuple[str, str]]:
        """(language, entry) pairs still waiting for a native speaker's review."""
        out: list[tuple[str, str]] = []
        for code, pack in sorted(self.packs.items()):
            if pack.gave_up_sms is not None and not pack.gave_up_sms.reviewed:
                out.append((code, "gave_up_sms"))
            out += [(code, f"names.{k}") for k, t in pack.names.items() if not t.reviewed]
            out += [
                (code, f"agent_lines.{k}") for k, t in pack.agent_lines.items() if not t.reviewed
            ]
            out += [(code, f"glossary.{k}") for k, (_, ok) in pack.glossary.items() if not ok]
        return out


def load_packs(root: Path, codes: list[str], problems: list[Problem]) -> Packs:
    """Every language's pack file, validated; what can be read is returned either way."""
    packs: dict[str, Pack] = {}
    for code in codes:
        pack = _load_pack(root, code, problems)
        if pack is not None:
            packs[code] = pack
    _cross_check(root, packs, problems)
    return Packs(root, packs)


def _load_pack(root: Path, code: str, problems: list[Problem]) -> Pack | None:
    path = root / PACKS_FOLDER / f"{code}.yaml"
    fname = rel(root, path)
    data, lines = read_yaml(path, problems, fname)
    if data is None:
        return None

    def bad(where: tuple[str, ...], message: str) -> None:
        problems.append(Problem(fname, lines.get(*where), ".".join(where), message))

    def text(
        where: tuple[str, ...], raw: Any, placeholders: frozenset[str] = frozenset()
    ) -> Text | None:
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("text"), str)
            or not raw["text"].strip()
        ):
            bad(where, "needs a `text`")
            return None
        if not isinstance(raw.get("reviewed"), bool):
            bad(where, "needs `reviewed: true|false`")
            return None
        used = {f for _, f, _, _ in string.Formatter().parse(raw["text"]) if f is not None}
        if used != placeholders:
            bad(where, f"placeholders must be exactly {{{', '.join(sorted(placeholders))}}}")
            return None
        return Text(raw["text"].strip(), raw["reviewed"], lines.get(*where))

    if not isinstance(data, dict):
        bad(("language",), "a pack file must be a mapping")
        return None
    if data.get("language") != code:
        bad(("language",), f"must be {code!r}")
    gave_up = text(("gave_up_sms",), data.get("gave_up_sms"))
    if gave_up is not None:
        segments = count_segments(gave_up.text).segments
        if segments > MAX_GAVE_UP_SEGMENTS:
            bad(("gave_up_sms",), f"{segments} SMS segments (at most {MAX_GAVE_UP_SEGMENTS})")
    names = {
        str(ui): t
        for ui, raw in (data.get("names") or {}).items()
        if (t := text(("names", str(ui)), raw)) is not None
    }
    agent_lines: dict[str, Text] = {}
    raw_lines = data.get("agent_lines") or {}
    for key in set(raw_lines) - set(AGENT_LINES):
        bad(("agent_lines", str(key)), "not an agent line (see AGENT_LINES)")
    if raw_lines:
        for key, placeholders in AGENT_LINES.items():
            if key not in raw_lines:
                bad(("agent_lines",), f"agent line {key!r} is missing")
            elif (t := text(("agent_lines", key), raw_lines[key], placeholders)) is not None:
                agent_lines[key] = t
    glossary: dict[str, tuple[tuple[str, ...], bool]] = {}
    for term, raw in (data.get("glossary") or {}).items():
        forms = raw.get("forms") if isinstance(raw, dict) else None
        if (
            not isinstance(forms, list)
            or not forms
            or not all(isinstance(f, str) and f.strip() for f in forms)
        ):
            bad(("glossary", str(term)), "needs `forms`, a list of the term's wordings")
        elif not isinstance(raw.get("reviewed"), bool):
            bad(("glossary", str(term)), "needs `reviewed: true|false`")
        else:
            glossary[str(term)] = (tuple(f.strip() for f in forms), raw["reviewed"])
    google_codes = data.get("google_codes") or []
    if not isinstance(google_codes, list) or not all(isinstance(c, str) for c in google_codes):
        bad(("google_codes",), "must be a list of codes")
        google_codes = []
    return Pack(
        code=code,
        path=path,
        gave_up_sms=gave_up,
        names=names,
        agent_lines=agent_lines,
        script=_script(data.get("script"), lambda where, msg: bad(("script", *where), msg)),
        glossary=glossary,
        google_codes=tuple(google_codes),
    )


def _script(raw: Any, bad: Any) -> ScriptFacts:
    if not isinstance(raw, dict):
        bad((), "needs `writing_systems` and `word_boundaries`")
        return ScriptFacts()
    systems = raw.get("writing_systems")
    if (
        not isinstance(systems, list)
        or not systems
        or not all(isinstance(s, str) and _WRITING_SYSTEM.match(s) for s in systems)
    ):
        bad(("writing_systems",), "a list of Unicode script names such as LATIN or THAI")
        systems = ["LATIN"]
    boundaries = raw.get("word_boundaries")
    if not isinstance(boundaries, bool):
        bad(("word_boundaries",), "needs `true` or `false`")
        boundaries = True
    ranges: list[tuple[int, int]] = []
    for value in raw.get("unique_ranges") or []:
        found = _RANGE.match(str(value))
        if found is None or int(found[1], 16) > int(found[2], 16):
            bad(("unique_ranges",), f"{value!r} is not a range like 0E00-0E7F")
        else:
            ranges.append((int(found[1], 16), int(found[2], 16)))
    letters = raw.get("unique_letters") or ""
    if not isinstance(letters, str):
        bad(("unique_letters",), "must be a string of letters")
        letters = ""
    return ScriptFacts(frozenset(systems), boundaries, tuple(ranges), letters)


def _cross_check(root: Path, packs: dict[str, Pack], problems: list[Problem]) -> None:
    """What packs must agree on: English has everything to fall back on; glossary terms
    are English terms; no two languages claim the same letters or code points."""
    english = packs.get("en")
    if english is None:
        return
    efile = rel(root, english.path)
    if english.gave_up_sms is None:
        problems.append(Problem(efile, None, "gave_up_sms", "English needs it (the fallback)"))
    if not english.agent_lines:
        problems.append(Problem(efile, None, "agent_lines", "English needs them (the fallback)"))
    agent_languages = [code for code, pack in packs.items() if pack.agent_lines and code != "en"]
    claimed: dict[str, str] = {}
    for code, pack in packs.items():
        fname = rel(root, pack.path)
        for term in set(pack.glossary) - set(english.glossary):
            problems.append(
                Problem(fname, None, f"glossary.{term}", "not a term of the English pack")
            )
        for ui in agent_languages:
            if ui not in pack.names:
                problems.append(Problem(fname, None, f"names.{ui}", f"the name in {ui} is missing"))
        keys = [f"U+{a:04X}" for a, _ in pack.script.unique_ranges] + list(
            pack.script.unique_letters
        )
        for key in keys:
            if claimed.setdefault(key, code) != code:
                problems.append(
                    Problem(fname, None, "script", f"{key} is also claimed by {claimed[key]!r}")
                )


_cache: dict[Path, Packs] = {}
_lock = threading.Lock()


def current_packs() -> Packs:
    """The packs of the registry's folder (the settings' HOTLINE_IVR_SCRIPTS), read once."""
    root = LANGUAGES.root
    with _lock:
        packs = _cache.get(root)
        if packs is None:
            packs = _cache[root] = load_packs(root, list(read_table(root)), [])
        return packs


def pack_problems(root: Path) -> list[Problem]:
    problems: list[Problem] = []
    load_packs(root, list(read_table(root)), problems)
    return problems
