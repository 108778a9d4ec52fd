"""A local fake of Google Cloud Text-to-Speech v1 over REST, for the real client library.

`POST /v1/text:synthesize` with `{"input": {"text"}, "voice": {"languageCode", "name"},
"audioConfig": {"audioEncoding", "sampleRateHertz"}}` answers `{"audioContent": base64}`:
for LINEAR16, a real WAV file (RIFF header, 16-bit mono PCM at the asked rate), as Google
documents. The "speech" is a tone whose length grows with the text, so different texts
give different audio. Unknown voices get Google's 400 INVALID_ARGUMENT; every request is
recorded, and failures can be asked for.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import threading
import wave
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from tests.fakes.google_translate import Failure, GoogleFailures, google_error
from tests.fakes.server import ServedFake, ThreadedServer

# The voices the fake knows (Google's names).
VOICES = {"ur-IN-Standard-A": "ur-IN", "en-US-Standard-C": "en-US"}


def tone_wav(text: str, rate: int) -> bytes:
    seconds = min(3.0, 0.2 + 0.01 * len(text))
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(rate * seconds))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


@dataclass
class FakeGoogleTTS(ServedFake, GoogleFailures):
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadedServer | None = None


def build_app(fake: FakeGoogleTTS) -> Flask:
    app = Flask("fake_google_tts")

    @app.post("/v1/text:synthesize")
    def synthesize() -> Response:
        body = request.get_json(force=True, silent=True) or {}
        with fake.lock:
            fake.requests.append(body)
        status = fake._take_failure()
        if status is not None:
            return google_error(status)
        text = (body.get("input") or {}).get("text", "")
        voice = body.get("voice") or {}
        config = body.get("audioConfig") or {}
        if not text:
            return google_error(400, "Either `input.text` or `input.ssml` needs to be set.")
        if VOICES.get(voice.get("name", "")) != voice.get("languageCode"):
            return google_error(400, f"Voice '{voice.get('name')}' does not exist.")
        if config.get("audioEncoding") != "LINEAR16":
            return google_error(400, "The fake speaks LINEAR16 only.")
        rate = int(config.get("sampleRateHertz") or 24000)
        audio = base64.b64encode(tone_wav(text, rate)).decode("ascii")
        payload = {"audioContent": audio}
        return Response(json.dumps(payload), 200, content_type="application/json; charset=UTF-8")

    return app


def start_fake_google_tts() -> FakeGoogleTTS:
    fake = FakeGoogleTTS()
    fake.server = ThreadedServer(build_app(fake)).start()
    return fake
