"""SMS keywords and reply texts per language, loaded from `ivr_scripts/sms/*.yaml`.

The files are data so that adding or correcting a language needs no code. They are
validated when loaded: a missing keyword or reply, an unknown placeholder, a word that
means two different keywords in two languages, or a non-boolean review flag is an error
naming the file and line. Texts drafted by machine carry `reviewed: false` until a
native speaker signs them off.

Matching is on the first word(s) of a message and ignores case, accents and width:
`ＳＴＯＰ` from a Japanese phone, `DUNG` typed without Vietnamese diacritics for `dừng`;
a number glued to the first word is its argument (`INFO2`, `ＩＮＦＯ２`, `情報2`).
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from hotline import yamltext
from hotline.config import Settings
from hotline.languages import LANGUAGES, read_table
from hotline.packs.problems import Problem

COMMON_FILE = "common.yaml"

KEYWORDS = ("stop", "start", "help", "call", "lang", "status", "info")
REQUIRED_KEYWORDS = ("stop", "help", "call")
# Reply key -> the placeholders its text may use.
REPLIES: dict[str, frozenset[str]] = {
    "stopped": frozenset(),
    "started": frozenset(),
    "help": frozenset(),
    # Sent with `help`: the retention periods, filled from the settings.
    "privacy": frozenset({"voicemail_days", "content_days"}),
    "callback": frozenset({"reference"}),
    "window_morning": frozenset({"reference"}),
    "window_afternoon": frozenset({"reference"}),
    "window_evening": frozenset({"reference"}),
    "received": frozenset({"reference"}),
    "status_open": frozenset({"reference"}),
    "status_closed": frozenset({"reference"}),
    "status_waiting": frozenset({"reference"}),
    "status_referred": frozenset({"reference"}),
    "status_unknown": frozenset(),
    "lang_set": frozenset({"language"}),
    # The last line of the INFO list (the topics come from the voice prompts).
    "info_choose": frozenset(),
    # One organisation of the referral directory (hotline.directory renders the values).
    "referral": frozenset({"name", "phone", "hours"}),
}
# Language-neutral replies, for a sender whose language is not known yet.
COMMON_REPLIES: dict[str, frozenset[str]] = {
    "lang_choices": frozenset({"codes"}),
    "received_neutral": frozenset({"reference", "codes"}),
}
# Worst-case values for each placeholder, used to prove every reply fits its budget.
WORST_CASE_VALUES = {
    "reference": "9999999",
    "name": "Hōterasu (Japan Legal Support Center)",
    "phone": "0570-078377",
    "hours": "Mon-Fri 09:00-17:00",
    "voicemail_days": "36500",
    "content_days": "36500",
}
MAX_REPLY_SEGMENTS = 2
# HELP answers with `help` and `privacy` in one message: the worker asked for it.
MAX_HELP_SEGMENTS = 4

# Letters that carry their mark inside the base letter, so NFD cannot strip it.
_FOLD_LETTERS = str.maketrans({"đ": "d", "ð": "d", "ł": "l", "ø": "o", "ı": "i", "ħ": "h"})
# Apostrophe-like marks (Uzbek oʻ, gʻ) are dropped: people type them every which way.
_APOSTROPHES = str.maketrans("", "", "'ʻʼ‘’`´")


class ScriptError(ValueError):
    """SMS script files are invalid; the message names each file and line, and
    `problems` lists them as the other pack loaders do."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def _error(path: Path, line: int | None, message: str) -> ScriptError:
    where = f"{path}:{line}" if line else str(path)
    name = f"{path.parent.name}/{path.name}"
    return ScriptError(f"{where}: {message}", [Problem(name, line, "", message)])


def _folds_marks(base: str) -> bool:
    """Latin, Greek and Cyrillic letters lose their accents; other scripts keep their
    marks, which are vowels there (Devanagari, Thai, Khmer, Burmese...), not accents."""
    cp = ord(base)
    return cp < 0x0530 or 0x1E00 <= cp <= 0x1FFF


def normalise(text: str, *, strip_accents: bool = True) -> str:
    """Fold width and case (and accents, unless asked not to) the way people type
    keywords on any phone: `ＳＴＯＰ` -> `stop`, `DỪNG` -> `dung` (or `dừng`)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    if not strip_accents:
        return text
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch) == "Mn" and base and _folds_marks(base):
            continue
        if unicodedata.category(ch) != "Mn":
            base = ch
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).translate(_FOLD_LETTERS)


def _strip_punctuation(word: str) -> str:
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(word[end - 1])[0] in "PS":
        end -= 1
    return word[start:end]


def words_of(text: str, *, strip_accents: bool = True) -> list[str]:
    """The normalised words of a message, without surrounding punctuation."""
    words = (_strip_punctuation(t) for t in normalise(text, strip_accents=strip_accents).split())
    return [w for w in words if w]


_GLUED_NUMBER = re.compile(r"^(\D+?)(\d+)$")


def _unglue(words: list[str]) -> list[str]:
    """`info2` -> `info 2`: people type a keyword's number without the space."""
    glued = _GLUED_NUMBER.match(words[0]) if words else None
    return [glued[1], glued[2], *words[1:]] if glued else words


@dataclass(frozen=True)
class KeywordMatch:
    keyword: str  # one of KEYWORDS
    languages: tuple[str, ...]  # languages whose word this is; empty for carrier words
    argument: str  # the rest of the message after the keyword, as typed (normalised)

    @property
    def language_specific(self) -> bool:
        """The word tells the sender's language (`dừng`); English and carrier words,
        printed on every poster, do not."""
        return bool(self.languages) and "en" not in self.languages


@dataclass(frozen=True)
class Reply:
    text: str
    reviewed: bool
    line: int


@dataclass
class LanguageScript:
    language: str
    path: Path
    keywords: dict[str, tuple[str, ...]]
    replies: dict[str, Reply]
    reviewed_keywords: dict[str, bool]


@dataclass
class SmsScripts:
    languages: dict[str, LanguageScript]
    common_replies: dict[str, Reply]
    carrier: dict[str, tuple[str, ...]]
    # phrase with accents folded / kept -> (keyword, languages)
    index: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    exact_index: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    longest_phrase: int = 1

    def match(self, text: str) -> KeywordMatch | None:
        """The keyword the message starts with, if any (longest phrase first).

        A word typed with its accents must match them exactly (`đừng`, "don't", is not
        `dừng`, "stop"); a word typed without any accents matches the folded form
        (`DUNG` is `dừng`), since many phones cannot type them.
        """
        exact = _unglue(words_of(text, strip_accents=False))
        folded = _unglue(words_of(text))
        if len(exact) != len(folded):
            folded = exact
        for n in range(min(self.longest_phrase, len(exact)), 0, -1):
            typed = " ".join(exact[:n])
            found = self.exact_index.get(typed)
            if found is None and typed == " ".join(folded[:n]):
                found = self.index.get(typed)
            if found is not None:
                keyword, languages = found
                return KeywordMatch(keyword, languages, " ".join(exact[n:]))
        return None

    def reply(self, language: str, key: str, /, **values: str) -> str:
        """The reply `key` in `language` (English when the language has none)."""
        script = self.languages.get(language) or self.languages["en"]
        return script.replies[key].text.format(**values)

    def common(self, key: str, /, **values: str) -> str:
        return self.common_replies[key].text.format(**values)

    def unreviewed(self) -> list[tuple[str, str]]:
        """(language, entry) pairs still waiting for a native speaker's review."""
        out = []
        for lang, script in sorted(self.languages.items()):
            out += [(lang, f"keywords.{k}") for k, ok in script.reviewed_keywords.items() if not ok]
            out += [(lang, f"replies.{k}") for k, r in script.replies.items() if not r.reviewed]
        return out


# --- loading -------------------------------------------------------------------------


class _LinedDict(dict[str, Any]):
    line: int = 0
    key_lines: dict[str, int]


class _DuplicateKey(Exception):
    def __init__(self, line: int, key: object) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.line = line


class _Loader(yamltext.SafeLoader):
    """A SafeLoader that remembers the line of every mapping key and refuses duplicates."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LinedDict:
    keys = [loader.construct_object(k, deep=True) for k, _ in node.value]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            raise _DuplicateKey(node.value[i][0].start_mark.line + 1, key)
    mapping = _LinedDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read(path: Path) -> _LinedDict:
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=_Loader)  # noqa: S506 (safe loader)
    except _DuplicateKey as exc:
        raise _error(path, exc.line, str(exc)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise _error(path, line, f"not valid YAML: {exc}") from exc
    if not isinstance(data, _LinedDict):
        raise _error(path, 1, "expected a mapping at the top level")
    return data


def _fail(path: Path, mapping: _LinedDict, key: str, message: str) -> ScriptError:
    line = mapping.key_lines.get(key, mapping.line)
    return _error(path, line, message)


def _section(path: Path, data: _LinedDict, key: str) -> _LinedDict:
    value = data.get(key)
    if not isinstance(value, _LinedDict):
        raise _fail(path, data, key, f"'{key}' must be a mapping")
    return value


def _words(path: Path, section: _LinedDict, key: str, value: Any) -> tuple[str, ...]:
    words = value.get("words") if isinstance(value, dict) else value
    if not isinstance(words, list) or not words:
        raise _fail(path, section, key, f"'{key}' needs a non-empty list of words")
    for word in words:
        if not isinstance(word, str) or not words_of(word):
            raise _fail(
                path, section, key, f"'{key}' has a word that is not text: {word!r} (quote it)"
            )
    return tuple(words)


def _reviewed(path: Path, section: _LinedDict, key: str, value: Any) -> bool:
    flag = value.get("reviewed") if isinstance(value, dict) else None
    if not isinstance(flag, bool):
        raise _fail(path, section, key, f"'{key}' needs 'reviewed: true' or 'reviewed: false'")
    return flag


def _replies(path: Path, data: _LinedDict, allowed: dict[str, frozenset[str]]) -> dict[str, Reply]:
    section = _section(path, data, "replies")
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise _fail(path, section, unknown[0], f"unknown reply '{unknown[0]}'")
    replies: dict[str, Reply] = {}
    for key, placeholders in allowed.items():
        if key not in section:
            raise _error(path, section.line, f"missing reply '{key}'")
        entry = section[key]
        text = entry.get("text") if isinstance(entry, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise _fail(path, section, key, f"reply '{key}' needs a 'text'")
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        if used - placeholders:
            bad = sorted(used - placeholders)[0]
            raise _fail(path, section, key, f"reply '{key}' uses unknown placeholder {{{bad}}}")
        replies[key] = Reply(
            text.strip(), _reviewed(path, section, key, entry), section.key_lines[key]
        )
    return replies


def sms_scripts_dir(settings: Settings | None = None) -> Path:
    """`sms/` in the configured `ivr_scripts/` folder (HOTLINE_IVR_SCRIPTS)."""
    root = settings.ivr_scripts_path if settings is not None else LANGUAGES.root
    return root / "sms"


def load(directory: Path | None = None) -> SmsScripts:
    """Load and validate every language's SMS script; ScriptError names every broken
    file and line (the first problem of each file)."""
    directory = directory or sms_scripts_dir()
    common_path = directory / COMMON_FILE
    errors: list[ScriptError] = []
    scripts = SmsScripts({}, {}, {})
    try:
        common = _read(common_path)
        carrier_section = _section(common_path, common, "carrier_keywords")
        for key, value in carrier_section.items():
            if key not in KEYWORDS:
                raise _fail(common_path, carrier_section, key, f"unknown keyword '{key}'")
            scripts.carrier[key] = _words(common_path, carrier_section, key, value)
        scripts.common_replies = _replies(common_path, common, COMMON_REPLIES)
    except (ScriptError, OSError) as exc:
        errors.append(exc if isinstance(exc, ScriptError) else _error(common_path, None, str(exc)))
    # The languages of the folder's languages.csv (HOTLINE_IVR_SCRIPTS, as voice); an
    # SMS folder on its own has the configured languages.
    for code in read_table(directory.parent) or list(LANGUAGES):
        try:
            scripts.languages[code] = _load_language(directory, code)
        except ScriptError as exc:
            errors.append(exc)
    if not errors:
        try:
            _build_index(scripts, common_path)
        except ScriptError as exc:
            errors.append(exc)
    if errors:
        raise ScriptError(
            "\n".join(str(e) for e in errors), [p for e in errors for p in e.problems]
        )
    return scripts


def _load_language(directory: Path, code: str) -> LanguageScript:
    path = directory / f"{code}.yaml"
    if not path.exists():
        raise _error(path, None, f"missing SMS script for language '{code}'")
    data = _read(path)
    if data.get("language") != code:
        raise _fail(path, data, "language", f"'language' must be '{code}'")
    section = _section(path, data, "keywords")
    unknown = sorted(set(section) - set(KEYWORDS))
    if unknown:
        raise _fail(path, section, unknown[0], f"unknown keyword '{unknown[0]}'")
    for required in REQUIRED_KEYWORDS:
        if required not in section:
            raise _error(path, section.line, f"missing keyword '{required}'")
    keywords = {k: _words(path, section, k, v) for k, v in section.items()}
    reviewed = {k: _reviewed(path, section, k, v) for k, v in section.items()}
    return LanguageScript(code, path, keywords, _replies(path, data, REPLIES), reviewed)


def _build_index(scripts: SmsScripts, common_path: Path) -> None:
    """Index every phrase; the same phrase may not mean two different keywords."""
    origin: dict[tuple[str, str], str] = {}

    def add(phrase: str, keyword: str, where: str, language: str | None) -> None:
        for index, key in (
            (scripts.index, " ".join(words_of(phrase))),
            (scripts.exact_index, " ".join(words_of(phrase, strip_accents=False))),
        ):
            known = index.get(key)
            if known is not None and known[0] != keyword:
                message = (
                    f"'{phrase}' means {keyword.upper()} here but "
                    f"{known[0].upper()} in {origin[known[0], key]}"
                )
                raise ScriptError(f"{where}: {message}", [Problem(where, None, "", message)])
            langs = list(known[1]) if known is not None else []
            if language is not None and language not in langs:
                langs.append(language)
            index[key] = (keyword, tuple(langs))
            origin.setdefault((keyword, key), where)
            scripts.longest_phrase = max(scripts.longest_phrase, len(key.split()))

    for keyword, words in scripts.carrier.items():
        for word in words:
            add(word, keyword, str(common_path), None)
    # Every language also answers to the English words printed on the posters.
    for code in ["en", *[c for c in scripts.languages if c != "en"]]:
        script = scripts.languages[code]
        for keyword, words in script.keywords.items():
            for word in words:
                add(word, keyword, str(script.path), code)


def default_scripts(settings: Settings | None = None) -> SmsScripts:
    """The scripts of the configured folder, loaded and validated once per process."""
    return _load_once(sms_scripts_dir(settings))


@lru_cache(maxsize=4)
def _load_once(directory: Path) -> SmsScripts:
    return load(directory)
