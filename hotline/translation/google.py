"""Google Cloud Translation v3 and Speech-to-Text v1 behind two small calls each.

The clients come from `hotline.clients` (REST transport, GOOGLE_*_ENDPOINT honoured).
Client-side retries are switched off: a failed call becomes a `ProviderError` that says
whether waiting can help, and the job system does the waiting (with backoff, across
worker restarts) instead of a thread sleeping inside one request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import requests

from hotline.config import Settings

TIMEOUT_SECONDS = 30.0
LOCATION = "global"


class ProviderError(Exception):
    """A call to Google failed. `permanent`: retrying cannot help; `quota`: wait longer."""

    def __init__(self, message: str, *, permanent: bool, quota: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.quota = quota


def classify(exc: Exception) -> ProviderError:
    """Turn what the client library raised into a `ProviderError`."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    if isinstance(exc, gexc.TooManyRequests | gexc.ResourceExhausted):
        return ProviderError("Google quota exceeded", permanent=False, quota=True)
    transient = (
        gexc.ServiceUnavailable,
        gexc.InternalServerError,
        gexc.BadGateway,
        gexc.GatewayTimeout,
        gexc.DeadlineExceeded,
        gexc.Aborted,
        gexc.RetryError,
    )
    if isinstance(exc, transient):
        return ProviderError(f"Google unavailable: {type(exc).__name__}", permanent=False)
    if isinstance(exc, requests.RequestException | auth_exc.TransportError | OSError):
        return ProviderError(f"Google unreachable: {type(exc).__name__}", permanent=False)
    if isinstance(exc, gexc.GoogleAPICallError):
        return ProviderError(f"Google refused the request: {type(exc).__name__}", permanent=True)
    return ProviderError(f"unexpected error: {type(exc).__name__}", permanent=True)


_clients: dict[tuple[str, str | None, str | None], Any] = {}
_clients_lock = threading.Lock()


def _cached_client(kind: str, settings: Settings) -> Any:
    from google.auth.exceptions import GoogleAuthError

    from hotline.clients import speech_client, translate_client

    endpoint = (
        settings.google_translate_endpoint
        if kind == "translate"
        else settings.google_speech_endpoint
    )
    key = (kind, settings.google_cloud_project, endpoint)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            factory = translate_client if kind == "translate" else speech_client
            try:
                client = _clients[key] = factory(settings)
            except GoogleAuthError as exc:
                # GOOGLE_CLOUD_PROJECT set but no credentials: say so, do not crash.
                raise ProviderError(
                    f"Google credentials are not available: {type(exc).__name__}",
                    permanent=True,
                ) from exc
        return client


@dataclass(frozen=True)
class Detected:
    language: str  # Google's code, e.g. "vi", "zh-CN"
    confidence: float


class GoogleTranslate:
    """Cloud Translation v3 (`translateText`, `detectLanguage`) for HTML texts."""

    def __init__(self, settings: Settings) -> None:
        self.client = _cached_client("translate", settings)
        self.parent = f"projects/{settings.google_cloud_project}/locations/{LOCATION}"

    def translate_html(self, content: str, *, source: str, target: str) -> str:
        return self.translate_many([content], source=source, target=target)[0]

    def translate_many(self, contents: list[str], *, source: str, target: str) -> list[str]:
        """Several texts of one language pair in one request (Google answers in order)."""
        try:
            response = self.client.translate_text(
                request={
                    "parent": self.parent,
                    "contents": contents,
                    "mime_type": "text/html",
                    "source_language_code": source,
                    "target_language_code": target,
                },
                retry=None,
                timeout=TIMEOUT_SECONDS,
            )
        except Exception as exc:
            raise classify(exc) from exc
        answers = [str(t.translated_text) for t in response.translations]
        if len(answers) != len(contents):
            raise ProviderError("Google answered a different number of texts", permanent=False)
        return answers

    def detect_html(self, content: str) -> Detected:
        try:
            response = self.client.detect_language(
                request={"parent": self.parent, "content": content, "mime_type": "text/html"},
                retry=None,
                timeout=TIMEOUT_SECONDS,
            )
        except Exception as exc:
            raise classify(exc) from exc
        if not response.languages:
            return Detected("und", 0.0)
        best = max(response.languages, key=lambda lang: lang.confidence)
        return Detected(str(best.language_code), float(best.confidence))


@dataclass(frozen=True)
class Recognised:
    transcript: str
    confidence: float | None
    language: str | None  # the BCP-47 code Google heard, when it says


class GoogleSpeech:
    """Speech-to-Text v1 `speech:recognize` for audio up to the synchronous limit."""

    def __init__(self, settings: Settings) -> None:
        self.client = _cached_client("speech", settings)

    def recognize(self, audio: bytes, config: dict[str, Any]) -> list[Recognised]:
        try:
            response = self.client.recognize(
                request={"config": config, "audio": {"content": audio}},
                retry=None,
                timeout=120.0,
            )
        except Exception as exc:
            raise classify(exc) from exc
        out = []
        for result in response.results:
            if not result.alternatives:
                continue
            best = result.alternatives[0]
            out.append(
                Recognised(
                    transcript=str(best.transcript).strip(),
                    confidence=float(best.confidence) if best.confidence else None,
                    language=str(result.language_code) or None,
                )
            )
        return out
