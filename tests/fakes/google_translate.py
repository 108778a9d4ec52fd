"""A local fake of Google Cloud Translation v3 over REST, for the real client library.

Speaks the wire format of `POST /v3/projects/{p}/locations/{l}:translateText` and
`...:detectLanguage` (JSON with camelCase fields, Google's error body
`{"error": {"code", "message", "status"}}`). It records every request body, so tests
can prove what never reached Google, and can fail or slow down on demand.

"Translation" is deterministic and obviously fake: runs of text found in `PHRASES` get
that phrase's rendering in the target language; anything else comes back as
`[<target>] <text>`. In HTML mode, `<span translate="no">` content is kept verbatim, as
Google documents.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from tests.fakes.server import ServedFake, ThreadedServer

# Each group is one phrase in several languages (Google codes).
PHRASES: list[dict[str, str]] = [
    {
        "vi": "Công ty không trả lương cho tôi ba tháng.",
        "en": "The company has not paid me for three months.",
        "ja": "会社は3か月間給料を払っていません。",
    },
    {
        "vi": "Tôi là",
        "en": "I am a",
        "ja": "私は",
    },
    {
        "vi": "Hãy gọi cho tôi theo số",
        "en": "Please call me on",
        "ja": "こちらの番号に電話してください:",
    },
    {
        "en": "We will call you tomorrow morning.",
        "vi": "Chúng tôi sẽ gọi cho bạn vào sáng mai.",
        "ja": "明日の朝お電話します。",
    },
    {
        "en": "Please bring your",
        "vi": "Vui lòng mang theo",
        "ja": "持ってきてください:",
    },
    {
        "vi": "Tôi muốn nghỉ việc nhưng công ty giữ hộ chiếu của tôi.",
        "en": "I want to quit but the company is keeping my passport.",
        "ja": "仕事を辞めたいのですが、会社が私のパスポートを持っています。",
    },
]

_NO_TRANSLATE = re.compile(r"(<span\b[^>]*\btranslate=\"no\"[^>]*>.*?</span>)", re.S)
_TAGS = re.compile(r"(<[^>]+>)")
_VI_LETTERS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


@dataclass
class Failure:
    status: int
    times: int


class GoogleFailures:
    """For each Google fake's dataclass: failures injected with `fail`, answered in turn."""

    failures: list[Failure]
    lock: Any

    def fail(self, status: int = 503, *, times: int = 1) -> None:
        """Answer the next `times` requests with this HTTP status and Google's error body."""
        self.failures.append(Failure(status, times))

    def _take_failure(self) -> int | None:
        """The status of the next injected failure, if any is left."""
        with self.lock:
            while self.failures and self.failures[0].times <= 0:
                self.failures.pop(0)
            if not self.failures:
                return None
            self.failures[0].times -= 1
            return self.failures[0].status


@dataclass
class FakeGoogleTranslate(ServedFake, GoogleFailures):
    project: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    latency: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadedServer | None = None

    def reset(self) -> None:
        """Forget requests, failures and latency: one server can serve many tests."""
        with self.lock:
            self.requests.clear()
            self.failures.clear()
            self.latency = 0.0

    def translate_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["method"] == "translateText"]

    def detect_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["method"] == "detectLanguage"]

    def sent_text(self) -> str:
        """Everything any request carried, for asserting what never left the hotline."""
        return "\n".join(json.dumps(r["body"], ensure_ascii=False) for r in self.requests)

    def billed_characters(self) -> int:
        total = 0
        for r in self.requests:
            if r.get("answered") != 200:
                continue
            body = r["body"]
            total += sum(len(c) for c in body.get("contents", [])) + len(body.get("content", ""))
        return total


_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def google_error(status: int, message: str | None = None) -> Response:
    name = _STATUS_NAMES.get(status, "UNKNOWN")
    if message is None:
        message = {
            429: "Quota exceeded for quota metric 'v3 general model characters' and limit "
            "'v3 general model characters per minute per project'.",
            503: "The service is currently unavailable.",
        }.get(status, "injected failure")
    body = {"error": {"code": status, "message": message, "status": name}}
    return Response(json.dumps(body), status, content_type="application/json; charset=UTF-8")


def lookup(text: str, target: str) -> str | None:
    key = text.strip().casefold()
    if not key:
        return None
    for group in PHRASES:
        if any(value.casefold() == key for value in group.values()):
            return group.get(target)
    return None


def fake_translate_run(text: str, target: str) -> str:
    if not text.strip():
        return text
    found = lookup(text, target)
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return lead + (found if found is not None else f"[{target}] {text.strip()}") + trail


def fake_translate_html(content: str, target: str) -> str:
    out: list[str] = []
    for piece in _NO_TRANSLATE.split(content):
        if _NO_TRANSLATE.fullmatch(piece):
            out.append(piece)
            continue
        for part in _TAGS.split(piece):
            out.append(part if _TAGS.fullmatch(part) else fake_translate_run(part, target))
    return "".join(out)


def fake_detect(content: str) -> tuple[str, float]:
    text = _TAGS.sub(" ", _NO_TRANSLATE.sub(" ", content))
    for group in PHRASES:
        for code, value in group.items():
            if value.casefold() in text.casefold():
                return code, 0.98
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "und", 0.0
    if any("\u3040" <= ch <= "\u30ff" for ch in letters):
        return "ja", 0.95
    if any("\u4e00" <= ch <= "\u9fff" for ch in letters):
        return "zh-CN", 0.9
    if any("\u0e00" <= ch <= "\u0e7f" for ch in letters):
        return "th", 0.95
    if any(ch.lower() in _VI_LETTERS for ch in letters):
        return "vi", 0.9
    return "en", 0.8 if len(letters) > 10 else 0.4


def build_app(fake: FakeGoogleTranslate) -> Flask:
    app = Flask("fake_google_translate")

    @app.post("/v3/projects/<project>/locations/<path:rest>")
    def v3(project: str, rest: str) -> Response:
        location, _, method = rest.partition(":")
        body = request.get_json(force=True, silent=True) or {}
        record: dict[str, Any] = {"method": method, "project": project, "body": body}
        with fake.lock:
            fake.requests.append(record)
        if fake.latency:
            time.sleep(fake.latency)
        if project != fake.project or not location:
            record["answered"] = 404
            return google_error(404, "Requested entity was not found.")
        status = fake._take_failure()
        if status is not None:
            record["answered"] = status
            return google_error(status)
        if method == "translateText":
            response = translate(body)
        elif method == "detectLanguage":
            response = detect(body)
        else:
            response = google_error(404, f"Method not found: {method}")
        record["answered"] = response.status_code
        return response

    def translate(body: dict[str, Any]) -> Response:
        target = body.get("targetLanguageCode")
        contents = body.get("contents") or []
        if not target or not contents:
            return google_error(400, "Target language and contents are required.")
        html_mode = body.get("mimeType", "text/html") == "text/html"
        translations = []
        for content in contents:
            translated = (
                fake_translate_html(content, target)
                if html_mode
                else fake_translate_run(content, target)
            )
            item = {"translatedText": translated}
            if not body.get("sourceLanguageCode"):
                item["detectedLanguageCode"] = fake_detect(content)[0]
            translations.append(item)
        return Response(
            json.dumps({"translations": translations}),
            200,
            content_type="application/json; charset=UTF-8",
        )

    def detect(body: dict[str, Any]) -> Response:
        content = body.get("content")
        if not content:
            return google_error(400, "Content is required.")
        code, confidence = fake_detect(content)
        payload = {"languages": [{"languageCode": code, "confidence": confidence}]}
        return Response(json.dumps(payload), 200, content_type="application/json; charset=UTF-8")

    return app


def start_fake_google_translate(project: str) -> FakeGoogleTranslate:
    fake = FakeGoogleTranslate(project=project)
    fake.server = ThreadedServer(build_app(fake)).start()
    return fake
