"""Placeholder prompt audio made with espeak-ng or Google Cloud Text-to-Speech, at telephone
quality (8 kHz mono μ-law).

For languages Twilio cannot speak but espeak-ng can (Nepali, Burmese, Sinhala, Uzbek,
Urdu) these files let the IVR run until people record real voices. Each folder keeps
a `manifest.yaml` saying which files are placeholders and from which text they were
made, so a changed text is re-rendered and a human recording is never overwritten.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from hotline import yamltext
from hotline.languages import LANGUAGES
from hotline.voice.no_voice import NAME_SOUNDS, name_file
from hotline.voice.scripts import Scripts

if TYPE_CHECKING:
    from hotline.voice.google_tts import GoogleTTS

ESPEAK_SOURCE = "espeak-ng"
GOOGLE_SOURCE = "google-tts"
# Sources that an engine made (re-rendered freely); anything else is a person's voice.
ENGINE_SOURCES = frozenset({ESPEAK_SOURCE, GOOGLE_SOURCE})
ENGINES = ("espeak", "google")


class RenderUnavailable(RuntimeError):
    """espeak-ng or sox is not installed."""


@dataclass(frozen=True)
class Rendered:
    language: str
    prompt: str
    path: Path
    skipped: str | None = None  # why nothing was written


def _tools() -> tuple[str, str]:
    espeak = shutil.which("espeak-ng")
    sox = shutil.which("sox")
    if not espeak or not sox:
        raise RenderUnavailable("espeak-ng and sox are needed: apt-get install -y espeak-ng sox")
    return espeak, sox


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


def render_wav(text: str, voice: str, out: Path) -> None:
    """Speak `text` with espeak-ng and convert it to an 8 kHz mono μ-law WAV.

    espeak-ng's Burmese rules can overflow on long runs of script, so a text it fails
    on is spoken clause by clause and the pieces joined.
    """
    espeak, sox = _tools()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pieces: list[Path] = []
        chunks = [text]
        for attempt in range(2):
            pieces = []
            try:
                for i, chunk in enumerate(chunks):
                    raw = Path(tmp) / f"raw{attempt}-{i}.wav"
                    subprocess.run(
                        [espeak, "-v", voice, "-s", "150", "-w", str(raw), chunk],
                        check=True,
                        stderr=subprocess.DEVNULL,
                    )
                    pieces.append(raw)
                break
            except subprocess.CalledProcessError:
                if attempt:
                    raise
                chunks = [c for c in re.split(r"[\s။၊,.:?]+", text) if c]
        subprocess.run(
            [
                sox,
                "-V1",
                *map(str, pieces),
                "-r",
                "8000",
                "-c",
                "1",
                "-e",
                "u-law",
                str(out),
                "vol",
                "0.8",
            ],
            check=True,
        )


def to_telephone_wav(wav: bytes, out: Path) -> None:
    """Any WAV (Google's LINEAR16) as the placeholders are: 8 kHz mono μ-law."""
    _, sox = _tools()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "in.wav"
        raw.write_bytes(wav)
        subprocess.run(
            [sox, "-V1", str(raw), "-r", "8000", "-c", "1", "-e", "u-law", str(out)],
            check=True,
        )


def render_tone(out: Path) -> None:
    """A short rising tone: "noted", for callers we cannot yet speak to."""
    _, sox = _tools()
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sox,
            "-n",
            "-r",
            "8000",
            "-c",
            "1",
            "-e",
            "u-law",
            str(out),
            "synth",
            "0.5",
            "sine",
            "600-900",
            "vol",
            "0.5",
        ],
        check=True,
    )


def render_placeholders(
    scripts: Scripts,
    languages: list[str] | None = None,
    *,
    force: bool = False,
    values: Mapping[str, str] | None = None,
    tts: GoogleTTS | None = None,
) -> list[Rendered]:
    """Render every missing or outdated placeholder; never touch a human recording.

    Texts are rendered with their `{placeholders}` filled from `values` (the retention
    periods), and the manifest keeps the hash of that filled text: a changed period
    makes the file outdated, and the next render speaks the new one. With `tts` (the
    `google` engine) languages Google has a voice for are spoken by Google, the others
    by espeak-ng; the manifest records the engine and voice of every file.
    """
    done: list[Rendered] = []
    tone = scripts.audio_root / "tones" / "ack.wav"
    if force or not tone.exists():
        render_tone(tone)
    for code, (voice, spelling) in NAME_SOUNDS.items():
        said = scripts.audio_root / "tones" / name_file(code)
        if not said.exists():  # never over a person's recording of the name
            render_wav(spelling, voice, said)
    for code, lang in LANGUAGES.items():
        if languages and code not in languages:
            continue
        google_voice = tts.voice_for(code) if tts is not None else None
        if lang.has_tts or (lang.espeak_voice is None and google_voice is None):
            continue
        engine = "google" if google_voice is not None else "espeak-ng"
        folder = scripts.audio_root / code
        manifest_path = folder / "manifest.yaml"
        manifest: dict[str, dict[str, object]] = {}
        if manifest_path.is_file():
            manifest = yamltext.parse(manifest_path.read_text("utf-8")) or {}
        try:
            for name in scripts.menu.prompt_names():
                text = scripts.text(code, name, values)
                out = folder / f"{name}.wav"
                meta = manifest.get(name)
                existing = scripts.audio(code, name)
                if existing is not None and (
                    meta is None or meta.get("source") not in ENGINE_SOURCES
                ):
                    done.append(Rendered(code, name, existing.path, skipped="recorded by a person"))
                    continue
                current = (
                    meta is not None
                    and meta.get("text") == text_hash(text)
                    and meta.get("engine", "espeak-ng") == engine
                )
                if not force and current and out.exists():
                    assert meta is not None
                    meta.setdefault("engine", engine)  # older manifests named no engine
                    meta.setdefault("voice", lang.espeak_voice if engine == "espeak-ng" else "")
                    done.append(Rendered(code, name, out, skipped="up to date"))
                    continue
                if tts is not None and google_voice is not None:
                    made = tts.synthesize(text, code)
                    to_telephone_wav(made.audio, out)
                    source, voice = GOOGLE_SOURCE, made.voice
                else:
                    assert lang.espeak_voice is not None
                    render_wav(text, lang.espeak_voice, out)
                    source, voice = ESPEAK_SOURCE, lang.espeak_voice
                manifest[name] = {
                    "source": source,
                    "engine": engine,
                    "voice": voice,
                    "text": text_hash(text),
                    "reviewed": False,
                }
                done.append(Rendered(code, name, out))
        finally:
            # Written even after a failure, so finished files are known as placeholders.
            folder.mkdir(parents=True, exist_ok=True)
            header = (
                "# Which files here are engine-made placeholders "
                "(engine, voice, and from which text).\n"
            )
            manifest_path.write_text(
                header + yaml.safe_dump(manifest, sort_keys=True, allow_unicode=True), "utf-8"
            )
    return done
