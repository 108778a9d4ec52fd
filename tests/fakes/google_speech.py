"""A local fake of Google Cloud Speech-to-Text v1 over REST, for the real client library.

`POST /v1/speech:recognize` with `{"config": {...}, "audio": {"content": base64}}`,
Google's error body, and Google's limit: inline audio longer than one minute is refused
with 400 INVALID_ARGUMENT, as the real service does. Transcripts are registered per
audio (by a hash of the PCM frames); unknown audio is "heard" as an obviously fake
`[<language> speech, <n> s]`. Every request is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
import time
import wave
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from tests.fakes.google_translate import Failure, GoogleFailures, google_error
from tests.fakes.server import ServedFake, ThreadedServer

SYNC_LIMIT_SECONDS = 60.0


def pcm_key(wav_bytes: bytes) -> str:
    with wave.open(io.BytesIO(wav_bytes), "rb") as w:
        frames = w.readframes(w.getnframes())
    return hashlib.sha256(frames).hexdigest()


def wav_seconds(wav_bytes: bytes) -> float:
    with wave.open(io.BytesIO(wav_bytes), "rb") as w:
        return w.getnframes() / w.getframerate()


@dataclass
class FakeGoogleSpeech(ServedFake, GoogleFailures):
    requests: list[dict[str, Any]] = field(default_factory=list)
    transcripts: dict[str, tuple[str, float]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    latency: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadedServer | None = None

    def add_transcript(self, wav_bytes: bytes, transcript: str, confidence: float = 0.9) -> None:
        self.transcripts[pcm_key(wav_bytes)] = (transcript, confidence)

    def reset(self) -> None:
        """Forget requests, failures and latency: one server can serve many tests."""
        with self.lock:
            self.requests.clear()
            self.failures.clear()
            self.latency = 0.0
            self.transcripts.clear()


def build_app(fake: FakeGoogleSpeech) -> Flask:
    app = Flask("fake_google_speech")

    @app.post("/v1/speech:recognize")
    def recognize() -> Response:
        body = request.get_json(force=True, silent=True) or {}
        config = body.get("config") or {}
        audio = base64.b64decode((body.get("audio") or {}).get("content", ""))
        record = {"config": config, "audio": audio}
        with fake.lock:
            fake.requests.append(record)
        if fake.latency:
            time.sleep(fake.latency)
        status = fake._take_failure()
        if status is not None:
            return google_error(status)
        if not config.get("languageCode"):
            return google_error(400, "Invalid recognition 'config': language_code is required.")
        if not audio:
            return google_error(400, "RecognitionAudio not set.")
        try:
            seconds = wav_seconds(audio)
            key = pcm_key(audio)
        except (wave.Error, EOFError):
            return google_error(400, "Invalid audio content.")
        if seconds > SYNC_LIMIT_SECONDS:
            return google_error(400, "Inline audio exceeds duration limit. Please use a GCS URI.")
        transcript, confidence = fake.transcripts.get(
            key, (f"[{config['languageCode']} speech, {round(seconds)} s]", 0.5)
        )
        payload = {
            "results": [
                {
                    "alternatives": [{"transcript": transcript, "confidence": confidence}],
                    "resultEndTime": f"{seconds:.3f}s",
                    "languageCode": config["languageCode"].lower(),
                }
            ],
            "totalBilledTime": f"{max(1, round(seconds))}s",
        }
        return Response(json.dumps(payload), 200, content_type="application/json; charset=UTF-8")

    return app


def start_fake_google_speech() -> FakeGoogleSpeech:
    fake = FakeGoogleSpeech()
    fake.server = ThreadedServer(build_app(fake)).start()
    return fake
