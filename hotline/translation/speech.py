"""Transcribing a voicemail: WAV parsing, chunking past the synchronous limit, config.

Google's synchronous `speech:recognize` takes at most about one minute of audio, and
`longrunningrecognize` refuses inline audio longer than that too ("Inline audio exceeds
duration limit. Please use a GCS URI"): it needs the recording uploaded to a Cloud
Storage bucket first. Rather than copy workers' voices into a bucket, a longer recording
is cut into chunks of at most `CHUNK_SECONDS`, each cut placed at the quietest moment
near the limit so that words are not split, and each chunk is recognised synchronously.
"""

from __future__ import annotations

import io
import wave
from array import array
from dataclasses import dataclass
from typing import Any

from hotline.languages import LANGUAGES
from hotline.translation.google import GoogleSpeech, Recognised

SYNC_LIMIT_SECONDS = 60.0
CHUNK_SECONDS = 55.0  # hard upper bound of a chunk, safely below the limit
SEARCH_SECONDS = 10.0  # how far back from the bound to look for a quiet moment
FRAME_SECONDS = 0.02

# Languages (Speech v1 codes) for which Google offers the enhanced `phone_call` model,
# trained on 8 kHz telephone audio like Twilio's recordings. Requesting it for another
# language is an error, so the list is deliberately conservative.
PHONE_MODEL_LANGUAGES = frozenset(
    {"en-US", "en-GB", "es-US", "fr-FR", "ja-JP", "pt-BR", "ru-RU", "ko-KR", "hi-IN"}
)

# Tried when nobody knows which language the caller speaks (at most 3 alternatives).
FALLBACK_ALTERNATIVES = ("en-US", "vi-VN", "cmn-Hans-CN")


@dataclass(frozen=True)
class Audio:
    """PCM audio from a WAV file."""

    frames: bytes
    sample_rate: int
    sample_width: int
    channels: int

    @property
    def frame_bytes(self) -> int:
        return self.sample_width * self.channels

    @property
    def seconds(self) -> float:
        return len(self.frames) / self.frame_bytes / self.sample_rate

    def to_wav(self, start: int = 0, end: int | None = None) -> bytes:
        """Frames [start, end) (in frames, not bytes) as a WAV file of their own."""
        fb = self.frame_bytes
        chunk = self.frames[start * fb : (end * fb if end is not None else None)]
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(self.channels)
            w.setsampwidth(self.sample_width)
            w.setframerate(self.sample_rate)
            w.writeframes(chunk)
        return out.getvalue()


def read_wav(data: bytes) -> Audio | None:
    """The PCM audio of a WAV file, or None if it is not linear PCM WAV."""
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            return Audio(
                frames=w.readframes(w.getnframes()),
                sample_rate=w.getframerate(),
                sample_width=w.getsampwidth(),
                channels=w.getnchannels(),
            )
    except (wave.Error, EOFError):
        return None


def _frame_energy(audio: Audio, start: int, count: int) -> float:
    fb = audio.frame_bytes
    raw = audio.frames[start * fb : (start + count) * fb]
    if audio.sample_width != 2 or not raw:
        return 0.0
    samples = array("h")
    samples.frombytes(raw[: len(raw) - len(raw) % 2])
    return float(sum(s * s for s in samples[::4]))


def chunk_bounds(audio: Audio) -> list[tuple[int, int]]:
    """Frame ranges of at most CHUNK_SECONDS, cut at the quietest point near each bound."""
    total = len(audio.frames) // audio.frame_bytes
    limit = int(CHUNK_SECONDS * audio.sample_rate)
    if total <= int(SYNC_LIMIT_SECONDS * audio.sample_rate) - audio.sample_rate:
        return [(0, total)]
    window = max(1, int(FRAME_SECONDS * audio.sample_rate))
    search = int(SEARCH_SECONDS * audio.sample_rate)
    bounds: list[tuple[int, int]] = []
    start = 0
    while total - start > limit:
        best, best_energy = start + limit, float("inf")
        pos = start + limit - window
        while pos >= start + limit - search:
            energy = _frame_energy(audio, pos, window)
            if energy < best_energy:
                best, best_energy = pos + window // 2, energy
            pos -= window
        bounds.append((start, best))
        start = best
    bounds.append((start, total))
    return bounds


def recognition_config(language: str | None, audio: Audio | None) -> dict[str, Any]:
    """Speech v1 RecognitionConfig for a voicemail in `language` (our code), if known."""
    config: dict[str, Any] = {"enable_automatic_punctuation": True, "max_alternatives": 1}
    if audio is not None:
        config.update(
            encoding="LINEAR16", sample_rate_hertz=audio.sample_rate, audio_channel_count=1
        )
    lang = LANGUAGES.get(language) if language else None
    if lang is None:
        config["language_code"] = "ja-JP"
        config["alternative_language_codes"] = list(FALLBACK_ALTERNATIVES)
        return config
    config["language_code"] = lang.google_stt
    if lang.google_stt in PHONE_MODEL_LANGUAGES:
        config.update(model="phone_call", use_enhanced=True)
    return config


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float | None
    language: str | None  # BCP-47 code Google reported, if any
    audio_seconds: int
    requests: int


def to_mono(audio: Audio) -> Audio:
    """Keep the first channel: a two-channel call recording is not a voicemail."""
    if audio.channels == 1:
        return audio
    fb, sw = audio.frame_bytes, audio.sample_width
    frames = b"".join(audio.frames[i : i + sw] for i in range(0, len(audio.frames), fb))
    return Audio(frames, audio.sample_rate, sw, 1)


def transcribe(speech: GoogleSpeech, data: bytes, language: str | None) -> Transcript:
    """Transcribe a recording, chunked when longer than the synchronous limit."""
    audio = read_wav(data)
    if audio is None:
        # Not PCM WAV: let Google read the container header; works up to one minute.
        results = speech.recognize(data, recognition_config(language, None))
        return _combine([results], seconds=0, requests=1)
    audio = to_mono(audio)
    config = recognition_config(language, audio)
    parts: list[list[Recognised]] = []
    bounds = chunk_bounds(audio)
    for start, end in bounds:
        parts.append(speech.recognize(audio.to_wav(start, end), config))
    return _combine(parts, seconds=round(audio.seconds), requests=len(bounds))


def _combine(parts: list[list[Recognised]], *, seconds: int, requests: int) -> Transcript:
    results = [r for part in parts for r in part if r.transcript]
    text = " ".join(r.transcript for r in results)
    scored = [(r.confidence, len(r.transcript)) for r in results if r.confidence is not None]
    confidence = None
    if scored:
        confidence = sum(c * n for c, n in scored) / max(1, sum(n for _, n in scored))
    language = next((r.language for r in results if r.language), None)
    return Transcript(text, confidence, language, seconds, requests)
