"""Menus and prompts as data: `ivr_scripts/menu.yaml` and `ivr_scripts/prompts/<lang>.yaml`.

Loading validates the whole graph once and fails with every broken reference, each
naming its file, line and entry, so a bad edit is caught by `hotline prompts check`
(and CI) rather than by a caller. Recorded audio lives in `audio/<lang>/<prompt>.wav`
(or `.mp3`); whether it exists is a coverage question answered by `coverage()`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline import yamltext
from hotline.config import Settings, data_path
from hotline.languages import LANGUAGES, Language, read_table
from hotline.packs.menu import (  # noqa: F401 (the names other modules import from here)
    ASK_ONCE_FIELDS,
    MENU_KEYS,
    POSTER_MAIN_KEYS,
    SET_FIELDS,
    InputSpec,
    KeyAction,
    Menu,
    Node,
    RecordSpec,
    load_menu,
)
from hotline.packs.problems import Problem, ScriptError
from hotline.packs.prompts import (  # noqa: F401
    POSTER_TEXTS,
    LanguagePrompts,
    Prompt,
    load_prompts,
)
from hotline.packs.table import table_problems
from hotline.packs.texts import load_packs
from hotline.privacy.notice import fill

AUDIO_EXTENSIONS = (".wav", ".mp3")
AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg"}


def ivr_scripts_dir(settings: Settings | None = None) -> Path:
    """The configured `ivr_scripts/` (HOTLINE_IVR_SCRIPTS, else the default folder)."""
    return settings.ivr_scripts_path if settings is not None else LANGUAGES.root


def audio_dir(settings: Settings | None = None) -> Path:
    """The configured `audio/` (HOTLINE_AUDIO_DIR, else the default folder)."""
    return settings.audio_path if settings is not None else data_path("audio")


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
    # The rows of this folder's languages.csv.
    table: dict[str, Language] = field(default_factory=dict)
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
    data = yamltext.parse(path.read_text("utf-8")) or {}
    return data if isinstance(data, dict) else {}


# --- loading -----------------------------------------------------------------------


def load_scripts(root: Path | None = None, audio_root: Path | None = None) -> Scripts:
    """Load and validate everything; raise ScriptError listing every broken reference."""
    problems: list[Problem] = []
    scripts = read_scripts(root, audio_root, problems)
    if problems or scripts is None:
        raise ScriptError(problems)
    return scripts


def read_scripts(
    root: Path | None, audio_root: Path | None, problems: list[Problem]
) -> Scripts | None:
    """The packs of `root` as far as they can be read, every problem added to `problems`:
    languages.csv, menu.yaml, each language's prompts and its pack texts."""
    root = root or ivr_scripts_dir()
    audio_root = audio_root or audio_dir()
    table = read_table(root)
    menu = load_menu(root, table, problems)
    problems.extend(table_problems(root, menu.shared_codes if menu else {}))
    languages: dict[str, LanguagePrompts] = {}
    if menu is not None:
        for lang in table.values():
            loaded = load_prompts(root, lang, menu, problems)
            if loaded is not None:
                languages[lang.code] = loaded
    load_packs(root, list(table), problems)
    if menu is None:
        return None
    return Scripts(root, audio_root, menu, languages, table)


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
    for code, lang in (scripts.table or dict(LANGUAGES)).items():
        prompts = scripts.languages[code].prompts if code in scripts.languages else {}
        for name in scripts.menu.prompt_names():
            prompt = prompts.get(name)
            if prompt is None:
                continue  # a broken pack: `load_scripts` names the missing prompt
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
        lang = (scripts.table or dict(LANGUAGES))[row.language]
        if row.how == MISSING and lang.espeak_voice is not None:
            rel = f"audio/{row.language}/{row.prompt}.wav"
            problems.append(
                Problem(rel, None, row.prompt, "audio file missing (run `hotline prompts render`)")
            )
    return problems
