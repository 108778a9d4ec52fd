"""Menus and prompts as data: `ivr_scripts/menu.yaml` and `ivr_scripts/prompts/<lang>.yaml`.

Loading validates the whole graph once and fails with every broken reference, each
naming its file, line and entry, so a bad edit is caught by `hotline prompts check`
(and CI) rather than by a caller. Recorded audio lives in `audio/<lang>/<prompt>.wav`
(or `.mp3`); whether it exists is a coverage question answered by `coverage()`.
"""

from __future__ import annotations

import hashlib
import re
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from hotline.config import Settings, data_path
from hotline.languages import LANGUAGES, Language
from hotline.privacy.notice import RETENTION_PLACEHOLDERS, fill, placeholders_in
from hotline.voice import sms_form
from hotline.voice.sms_form import SmsForm

AUDIO_EXTENSIONS = (".wav", ".mp3")
AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg"}
MENU_KEYS = frozenset("0123456789*#")
# The keys printed on posters (DESIGN.md): the main menu must offer exactly these.
POSTER_MAIN_KEYS = frozenset("123490*")
# The short texts a poster prints (`poster:` in each prompts file; hotline/posters).
POSTER_TEXTS = (
    "headline",
    "call",
    "choose_language",
    "key_1",
    "key_2",
    "key_3",
    "key_4",
    "key_9",
    "key_0",
    "key_star",
    "text_us",
)
# Actions implemented in hotline/voice/flow.py.
KNOWN_ACTIONS = frozenset(
    {"talk_now", "change_language", "submit_callback", "mark_urgent", "store_callback_number"}
)
SET_FIELDS: dict[str, set[object]] = {
    "number": {"caller_id"},
    "window": {"morning", "afternoon", "evening", "any"},
    "may_identify": {True, False},
    "sms_allowed": {True, False},
    "urgent": {True, False},
}
# The answers held per worker (hotline.callers.consent) that `ask_once` may name.
ASK_ONCE_FIELDS = frozenset({"window", "may_identify", "sms_allowed"})
_PROMPT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def ivr_scripts_dir(settings: Settings | None = None) -> Path:
    """The configured `ivr_scripts/` (HOTLINE_IVR_SCRIPTS, else the default folder)."""
    return settings.ivr_scripts_path if settings is not None else data_path("ivr_scripts")


def audio_dir(settings: Settings | None = None) -> Path:
    """The configured `audio/` (HOTLINE_AUDIO_DIR, else the default folder)."""
    return settings.audio_path if settings is not None else data_path("audio")


@dataclass(frozen=True)
class Problem:
    """One broken reference: where it is and what is wrong."""

    file: str
    line: int | None
    entry: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.entry}: {self.message}"


class ScriptError(Exception):
    """The scripts are broken; `problems` lists every broken reference."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class KeyAction:
    goto: str | None = None
    action: str | None = None
    set: dict[str, Any] = field(default_factory=dict)
    play: tuple[str, ...] = ()


@dataclass(frozen=True)
class InputSpec:
    finish_on_key: str
    max_digits: int
    action: str


@dataclass(frozen=True)
class RecordSpec:
    max_length: int
    finish_on_key: str
    min_seconds: int
    retries: int


@dataclass(frozen=True)
class Node:
    name: str
    prompts: tuple[str, ...]
    keys: dict[str, KeyAction]
    max_failures: int
    on_fail: str
    hangup: bool = False
    input: InputSpec | None = None
    record: RecordSpec | None = None
    next: str | None = None
    without_caller_id: str | None = None
    # A question about one of the worker's standing choices, asked only while it is
    # unknown; when known, the call goes on to `skip_to` (where every key leads).
    ask_once: str | None = None
    skip_to: str | None = None


@dataclass(frozen=True)
class Menu:
    start: str
    nodes: dict[str, Node]
    max_failures: int
    gather_timeout: int
    intro_languages: tuple[str, ...]
    pages: tuple[tuple[str, ...], ...]
    code_prompts: tuple[str, ...]
    sms_templates: dict[str, tuple[str, ...]]
    # The rights topics also sent by SMS: (number, prompt), from the keys of the node
    # named by `sms_info_node` that play one prompt each.
    sms_topics: tuple[tuple[str, str], ...] = ()

    def prompt_names(self) -> list[str]:
        """Every prompt the call flow can play, in a stable order."""
        names: list[str] = []
        for node in self.nodes.values():
            names.extend(node.prompts)
            for key in node.keys.values():
                names.extend(key.play)
        names.extend(self.code_prompts)
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    reviewed: bool
    line: int | None
    sms: SmsForm | None = None


@dataclass(frozen=True)
class LanguagePrompts:
    code: str
    path: Path
    prompts: dict[str, Prompt]
    sms: dict[str, Prompt]
    poster: dict[str, Prompt] = field(default_factory=dict)


@dataclass(frozen=True)
class AudioFile:
    path: Path
    source: str  # "espeak-ng" placeholder, "recorded" by a person
    reviewed: bool

    @property
    def content_type(self) -> str:
        return AUDIO_TYPES[self.path.suffix]

    @property
    def version(self) -> str:
        """A short content hash, so a re-recorded prompt gets a new (cacheable) URL."""
        return _file_version(self.path, self.path.stat().st_mtime_ns)


def _file_version(path: Path, _mtime: int) -> str:
    key = (str(path), _mtime)
    cached = _VERSIONS.get(key)
    if cached is None:
        cached = hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()[:10]
        _VERSIONS[key] = cached
    return cached


_VERSIONS: dict[tuple[str, int], str] = {}


@dataclass
class Scripts:
    """The validated menu graph and the prompt texts of all 22 languages."""

    root: Path
    audio_root: Path
    menu: Menu
    languages: dict[str, LanguagePrompts]
    _audio_cache: dict[str, tuple[tuple[int, int], dict[str, AudioFile]]] = field(
        default_factory=dict, repr=False
    )

    def text(self, language: str, prompt: str, values: Mapping[str, str] | None = None) -> str:
        """The prompt's text, its `{placeholders}` (the retention periods) filled."""
        text = self.languages[language].prompts[prompt].text
        return fill(text, values) if values else text

    def sms_text(self, language: str, template: str, **values: str) -> str:
        return self.languages[language].sms[template].text.format(**values)

    def audio(self, language: str, prompt: str) -> AudioFile | None:
        """The recorded audio for a prompt, if a file exists."""
        return self._audio_index(language).get(prompt)

    def _audio_index(self, language: str) -> dict[str, AudioFile]:
        """The folder's files, re-read only when the folder or its manifest changes."""
        folder = self.audio_root / language
        try:
            stamp = (folder.stat().st_mtime_ns, _mtime(folder / "manifest.yaml"))
        except FileNotFoundError:
            return {}
        cached = self._audio_cache.get(language)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        manifest = _manifest(folder)
        index: dict[str, AudioFile] = {}
        for path in sorted(folder.iterdir(), reverse=True):  # .wav wins over .mp3
            if path.suffix in AUDIO_EXTENSIONS and path.is_file():
                meta = manifest.get(path.stem, {})
                index.setdefault(
                    path.stem,
                    AudioFile(
                        path=path,
                        source=str(meta.get("source", "recorded")),
                        reviewed=bool(meta.get("reviewed", False)),
                    ),
                )
        self._audio_cache[language] = (stamp, index)
        return index


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _manifest(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / "manifest.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    return data if isinstance(data, dict) else {}


# --- loading -----------------------------------------------------------------------


class _Lines:
    """Line numbers of mapping keys, read from the YAML node tree."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(key.value))
                self.lines[sub] = key.start_mark.line + 1
                self._walk(value, sub)

    def get(self, *path: str) -> int | None:
        return self.lines.get(path)


def _read_yaml(path: Path, problems: list[Problem]) -> tuple[Any, _Lines]:
    try:
        text = path.read_text("utf-8")
        return yaml.safe_load(text), _Lines(text)
    except FileNotFoundError:
        problems.append(Problem(path.name, None, path.name, "file is missing"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(Problem(path.name, line, path.name, f"not valid YAML: {exc}"))
    return None, _Lines("")


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _skip_target(
    field_name: object, keys: dict[str, KeyAction], bad: Callable[[str], None]
) -> str | None:
    """Where an `ask_once` question goes when its answer is known: the one node every
    key leads to, each key having set that answer."""
    if field_name is None:
        return None
    if field_name not in ASK_ONCE_FIELDS:
        bad(f"ask_once must be one of: {', '.join(sorted(ASK_ONCE_FIELDS))}")
        return None
    targets = {spec.goto for spec in keys.values()}
    if not keys or any(field_name not in spec.set for spec in keys.values()):
        bad(f"every key must set {field_name}")
        return None
    if len(targets) != 1 or None in targets:
        bad("every key must go to the same node")
        return None
    return targets.pop()


def _load_menu(root: Path, problems: list[Problem]) -> Menu | None:
    path = root / "menu.yaml"
    data, lines = _read_yaml(path, problems)
    if data is None:
        return None
    fname = _rel(root, path)

    def bad(entry_path: tuple[str, ...], message: str) -> None:
        problems.append(Problem(fname, lines.get(*entry_path), ".".join(entry_path), message))

    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        bad(("nodes",), "menu.yaml must have a `nodes` mapping")
        return None
    max_failures = int(data.get("max_failures", 3))
    nodes: dict[str, Node] = {}
    for name, raw in data["nodes"].items():
        where = ("nodes", str(name))
        if not isinstance(raw, dict):
            bad(where, "a node must be a mapping")
            continue
        keys: dict[str, KeyAction] = {}
        for key, spec in (raw.get("keys") or {}).items():
            key = str(key)
            kwhere = (*where, "keys", key)
            if key not in MENU_KEYS:
                bad(kwhere, f"{key!r} is not a telephone key")
                continue
            if not isinstance(spec, dict) or not ({"goto", "action"} & set(spec)):
                bad(kwhere, "a key needs `goto` or `action`")
                continue
            sets = dict(spec.get("set") or {})
            for field_name, value in sets.items():
                if value not in SET_FIELDS.get(field_name, set()):
                    bad(kwhere, f"cannot set {field_name} to {value!r}")
            keys[key] = KeyAction(
                goto=spec.get("goto"),
                action=spec.get("action"),
                set=sets,
                play=tuple(spec.get("play") or ()),
            )
        input_spec = None
        if "input" in raw:
            i = raw["input"]
            input_spec = InputSpec(
                finish_on_key=str(i.get("finish_on_key", "#")),
                max_digits=int(i.get("max_digits", 15)),
                action=str(i.get("action", "")),
            )
        record_spec = None
        if "record" in raw:
            r = raw["record"]
            record_spec = RecordSpec(
                max_length=int(r.get("max_length", 180)),
                finish_on_key=str(r.get("finish_on_key", "#")),
                min_seconds=int(r.get("min_seconds", 2)),
                retries=int(r.get("retries", 1)),
            )
        nodes[str(name)] = Node(
            name=str(name),
            prompts=tuple(raw.get("prompts") or ()),
            keys=keys,
            max_failures=int(raw.get("max_failures", max_failures)),
            on_fail=str(raw.get("on_fail", "fail_offer")),
            hangup=bool(raw.get("hangup", False)),
            input=input_spec,
            record=record_spec,
            next=raw.get("next"),
            without_caller_id=raw.get("without_caller_id"),
            ask_once=raw.get("ask_once"),
            skip_to=_skip_target(raw.get("ask_once"), keys, partial(bad, (*where, "ask_once"))),
        )

    # Every reference must name a node or an action that exists.
    for node in nodes.values():
        where = ("nodes", node.name)
        if not (node.keys or node.hangup or node.input or node.record):
            bad(where, "a node needs keys, input, record or hangup")
        refs: list[tuple[tuple[str, ...], str]] = (
            [(("on_fail",), node.on_fail)] if node.keys or node.input else []
        )
        if node.next is not None:
            refs.append((("next",), node.next))
        if node.without_caller_id is not None:
            refs.append((("without_caller_id",), node.without_caller_id))
        for key, spec in node.keys.items():
            if spec.goto is not None:
                refs.append((("keys", key), spec.goto))
            if spec.action is not None and spec.action not in KNOWN_ACTIONS:
                bad((*where, "keys", key), f"unknown action {spec.action!r}")
        if node.input is not None and node.input.action not in KNOWN_ACTIONS:
            bad((*where, "input"), f"unknown action {node.input.action!r}")
        if node.input is not None and node.next is None:
            bad(where, "an input node needs `next`")
        for sub, target in refs:
            if target not in nodes:
                bad((*where, *sub), f"unknown node {target!r}")
        if not node.prompts:
            bad(where, "a node needs at least one prompt")
    start = str(data.get("start", "main"))
    if start not in nodes:
        bad(("start",), f"unknown node {start!r}")
    if "main" in nodes and set(nodes["main"].keys) != POSTER_MAIN_KEYS:
        bad(("nodes", "main", "keys"), "the main menu must offer exactly 1 2 3 4 9 0 * (posters)")
    for needed in ("fail_offer", "goodbye"):
        if needed not in nodes:
            bad(("nodes",), f"node {needed!r} is required by the call flow")

    selection = data.get("language_selection") or {}
    pages = tuple(tuple(str(c) for c in page) for page in selection.get("pages") or ())
    listed = [code for page in pages for code in page]
    for code in listed:
        if code not in LANGUAGES:
            bad(("language_selection", "pages"), f"unknown language {code!r}")
    missing = sorted(set(LANGUAGES) - set(listed))
    if missing or len(listed) != len(set(listed)):
        bad(
            ("language_selection", "pages"),
            f"pages must name every language once (missing: {', '.join(missing) or 'none'})",
        )
    intro = tuple(str(c) for c in selection.get("intro_languages") or ())
    for code in intro:
        if code not in LANGUAGES or not LANGUAGES[code].has_tts:
            bad(("language_selection", "intro_languages"), f"{code!r} has no Twilio voice")
    templates = {
        str(k): tuple(str(v) for v in (vals or ()))
        for k, vals in (data.get("sms_templates") or {}).items()
    }
    sms_topics: list[tuple[str, str]] = []
    info_node = str(data.get("sms_info_node") or "")
    if info_node and info_node not in nodes:
        bad(("sms_info_node",), f"unknown node {info_node!r}")
    elif info_node:
        for key, spec in nodes[info_node].keys.items():
            if key.isdigit() and len(spec.play) == 1:
                sms_topics.append((key, spec.play[0]))
            elif key.isdigit():
                bad(("nodes", info_node, "keys", key), "an SMS topic plays exactly one prompt")
    return Menu(
        start=start,
        nodes=nodes,
        max_failures=max_failures,
        gather_timeout=int(data.get("gather_timeout", 6)),
        intro_languages=intro,
        pages=pages,
        code_prompts=tuple(str(p) for p in data.get("code_prompts") or ()),
        sms_templates=templates,
        sms_topics=tuple(sms_topics),
    )


def _load_prompts(
    root: Path, language: Language, menu: Menu, problems: list[Problem]
) -> LanguagePrompts | None:
    path = root / "prompts" / f"{language.code}.yaml"
    data, lines = _read_yaml(path, problems)
    if data is None:
        return None
    fname = _rel(root, path)

    def bad(entry_path: tuple[str, ...], message: str) -> None:
        problems.append(Problem(fname, lines.get(*entry_path), ".".join(entry_path), message))

    if not isinstance(data, dict):
        bad(("prompts",), "a prompts file must be a mapping")
        return None
    if data.get("language") != language.code:
        bad(("language",), f"must be {language.code!r}")

    def section(name: str) -> dict[str, Prompt]:
        out: dict[str, Prompt] = {}
        for key, entry in (data.get(name) or {}).items():
            where = (name, str(key))
            if not _PROMPT_NAME.match(str(key)):
                bad(where, "prompt names are lower_snake_case")
                continue
            if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                bad(where, "needs a `text`")
                continue
            if not entry["text"].strip():
                bad(where, "text is empty")
                continue
            if not isinstance(entry.get("reviewed"), bool):
                bad(where, "needs `reviewed: true|false`")
                continue
            form = sms_form.parse(entry.get("sms"), _at(bad, (*where, "sms")))
            out[str(key)] = Prompt(
                str(key), entry["text"].strip(), entry["reviewed"], lines.get(*where), form
            )
        return out

    prompts = section("prompts")
    sms = section("sms")
    for name, prompt in prompts.items():
        unknown = placeholders_in(prompt.text) - RETENTION_PLACEHOLDERS
        if unknown:
            bad(("prompts", name), f"unknown placeholder {{{sorted(unknown)[0]}}}")
    notice = prompts.get("privacy_notice")
    if notice is not None and placeholders_in(notice.text) != RETENTION_PLACEHOLDERS:
        bad(
            ("prompts", "privacy_notice"),
            "must state both retention periods: {voicemail_days} and {content_days}",
        )
    poster = section("poster")
    for name in POSTER_TEXTS:
        if name not in poster:
            bad(("poster",), f"poster text {name!r} is missing")
    for name in set(poster) - set(POSTER_TEXTS):
        bad(("poster", name), "not a poster text (see POSTER_TEXTS)")
    wanted = menu.prompt_names()
    for name in wanted:
        if name not in prompts:
            bad(("prompts",), f"prompt {name!r} is missing")
    for name in set(prompts) - set(wanted):
        bad(("prompts", name), "prompt is not used by menu.yaml")
    for _, name in menu.sms_topics:
        topic = prompts.get(name)
        if topic is not None and topic.sms is None:
            bad(("prompts", name), "an INFO topic needs an `sms` block with its `title`")
        elif topic is not None and topic.sms is not None:
            why = sms_form.too_long(topic.text, topic.sms)
            if why is not None:
                bad(("prompts", name, "sms"), why)
    for template, fields in menu.sms_templates.items():
        if template not in sms:
            bad(("sms",), f"SMS template {template!r} is missing")
            continue
        found = {f for _, f, _, _ in string.Formatter().parse(sms[template].text) if f}
        if found != set(fields):
            bad(("sms", template), f"placeholders must be exactly {{{', '.join(fields)}}}")
    return LanguagePrompts(language.code, path, prompts, sms, poster)


def _at(
    bad: Callable[[tuple[str, ...], str], None], where: tuple[str, ...]
) -> Callable[[str], None]:
    """`bad` with the entry's place filled in."""
    return lambda message: bad(where, message)


def load_scripts(root: Path | None = None, audio_root: Path | None = None) -> Scripts:
    """Load and validate everything; raise ScriptError listing every broken reference."""
    root = root or ivr_scripts_dir()
    audio_root = audio_root or audio_dir()
    problems: list[Problem] = []
    menu = _load_menu(root, problems)
    languages: dict[str, LanguagePrompts] = {}
    if menu is not None:
        for lang in LANGUAGES.values():
            loaded = _load_prompts(root, lang, menu, problems)
            if loaded is not None:
                languages[lang.code] = loaded
    if problems or menu is None:
        raise ScriptError(problems)
    return Scripts(root=root, audio_root=audio_root, menu=menu, languages=languages)


_cache: dict[tuple[Path, Path], Scripts] = {}
_cache_lock = threading.Lock()


def get_scripts(settings: Settings | None = None) -> Scripts:
    """The scripts of these settings' folders, loaded and validated once per process."""
    key = (ivr_scripts_dir(settings), audio_dir(settings))
    with _cache_lock:
        scripts = _cache.get(key)
        if scripts is None:
            scripts = _cache[key] = load_scripts(*key)
        return scripts


def reload_scripts() -> None:
    with _cache_lock:
        _cache.clear()


# --- coverage ----------------------------------------------------------------------

TTS, AUDIO, PLACEHOLDER, MISSING = "tts", "audio", "placeholder", "missing"


@dataclass(frozen=True)
class Coverage:
    language: str
    prompt: str
    how: str  # tts | audio | placeholder | missing
    reviewed: bool


def coverage(scripts: Scripts) -> list[Coverage]:
    """How each prompt reaches a caller in each language."""
    rows: list[Coverage] = []
    for code, lang in LANGUAGES.items():
        for name in scripts.menu.prompt_names():
            prompt = scripts.languages[code].prompts[name]
            if lang.has_tts:
                rows.append(Coverage(code, name, TTS, prompt.reviewed))
                continue
            audio = scripts.audio(code, name)
            if audio is None:
                rows.append(Coverage(code, name, MISSING, False))
            elif audio.source in ("espeak-ng", "google-tts"):  # engine-made placeholders
                rows.append(Coverage(code, name, PLACEHOLDER, False))
            else:
                rows.append(Coverage(code, name, AUDIO, audio.reviewed))
    return rows


def audio_problems(scripts: Scripts) -> list[Problem]:
    """Missing audio where it can be made: a broken reference for `prompts check`.

    Languages with no synthetic voice at all (Khmer, Mongolian) wait for people to
    record them; their gaps show in the coverage table but do not fail the check.
    """
    problems = []
    for row in coverage(scripts):
        lang = LANGUAGES[row.language]
        if row.how == MISSING and lang.espeak_voice is not None:
            rel = f"audio/{row.language}/{row.prompt}.wav"
            problems.append(
                Problem(rel, None, row.prompt, "audio file missing (run `hotline prompts render`)")
            )
    return problems
