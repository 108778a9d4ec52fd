"""A Twilio-like call simulator: walks TwiML the way Twilio's voice engine would.

It posts to the hotline's webhooks signed exactly as Twilio signs (HMAC over
HOTLINE_PUBLIC_URL + path + query and the form parameters), executes
`Say Play Gather Record Redirect Enqueue Dial Hangup Pause Leave`, posts what Twilio
posts to each action URL, and collects what the caller would hear. Keys come from a
script (`84#2...`) or the keyboard. TwiML that Twilio would reject is refused: the
verbs, attributes and nesting allowed are read from the `twilio` library's TwiML
classes, so the check follows the library rather than a hand-kept list.

Script tokens: `0-9 * #` keys; `.` silence until the timeout; `R<n>` speak for n
seconds when recording; `A` an adviser (or the dialled party) answers; `H` hang up.
When the script runs out the caller hangs up (or, interactively, is asked for keys).
"""

from __future__ import annotations

import inspect
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlencode, urljoin, urlsplit

from twilio.request_validator import RequestValidator
from twilio.twiml import TwiML, lower_camel
from twilio.twiml import voice_response as vr

from hotline.packs.table import TWILIO_SAY_LANGUAGES

# Verbs Twilio runs in an <Enqueue> waitUrl document.
WAIT_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Redirect", "Hangup", "Leave"})
# The locales Twilio speaks (the same list validates languages.csv).
SAY_LANGUAGES = TWILIO_SAY_LANGUAGES
AUDIO_CONTENT_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp3")


class TwimlRejected(Exception):
    """The document is something Twilio would refuse (error 12100/12200)."""


class SimulationError(Exception):
    """A webhook answered with an error, or the call went somewhere Twilio cannot follow."""


# --- TwiML schema from the twilio library -------------------------------------------


@dataclass(frozen=True)
class ChildSpec:
    attributes: frozenset[str]
    has_text: bool


def _element_name(cls: type[TwiML]) -> str:
    params = inspect.signature(cls.__init__).parameters.values()
    required = {
        p.name: "x"
        for p in params
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
    }
    return str(cls(**required).name)


def _value_param(cls: type[TwiML]) -> str | None:
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD:
            return p.name
    return None


@lru_cache(maxsize=1)
def twiml_schema() -> dict[str, dict[str, ChildSpec]]:
    """For each voice element, the children it may hold and their attributes."""
    classes = {
        name: cls
        for name, cls in inspect.getmembers(vr, inspect.isclass)
        if issubclass(cls, TwiML) and cls.__module__ == vr.__name__
    }
    names = {name: _element_name(cls) for name, cls in classes.items()}
    nest = re.compile(r"self\.nest\(\s*(\w+)\(")
    schema: dict[str, dict[str, ChildSpec]] = {}
    for cname, cls in classes.items():
        children = schema.setdefault(names[cname], {})
        for mname, fn in vars(cls).items():
            if mname.startswith("_") or not inspect.isfunction(fn):
                continue
            found = nest.search(inspect.getsource(fn))
            if found is None or found.group(1) not in classes:
                continue
            child = classes[found.group(1)]
            value = _value_param(child)
            attrs = {
                lower_camel(TwiML.MAP.get(p.name, p.name))
                for p in inspect.signature(fn).parameters.values()
                if p.name not in ("self", value) and p.kind is p.POSITIONAL_OR_KEYWORD
            }
            previous = children.get(names[found.group(1)])
            if previous is not None:
                attrs |= previous.attributes
            children[names[found.group(1)]] = ChildSpec(frozenset(attrs), value is not None)
    return schema


def validate_twiml(text: str, *, context: str = "call") -> ET.Element:
    """Parse a voice TwiML document; raise TwimlRejected where Twilio would refuse it."""
    try:
        root = ET.fromstring(text)  # noqa: S314 - our own server's answer, in tests/dev
    except ET.ParseError as exc:
        raise TwimlRejected(f"not well-formed XML: {exc}") from exc
    if root.tag != "Response":
        raise TwimlRejected(f"the root element must be <Response>, not <{root.tag}>")
    if root.attrib:
        raise TwimlRejected("<Response> takes no attributes")
    if (root.text or "").strip():
        raise TwimlRejected("<Response> cannot hold text")
    schema = twiml_schema()

    def check(parent: ET.Element, path: str) -> None:
        allowed = schema.get(parent.tag, {})
        for child in parent:
            where = f"{path}/{child.tag}"
            spec = allowed.get(child.tag)
            if spec is None:
                raise TwimlRejected(f"<{child.tag}> is not allowed inside <{parent.tag}> ({where})")
            unknown = set(child.attrib) - spec.attributes
            if unknown:
                raise TwimlRejected(f"{where}: unknown attribute(s) {', '.join(sorted(unknown))}")
            if (child.text or "").strip() and not spec.has_text:
                raise TwimlRejected(f"{where}: <{child.tag}> cannot hold text")
            if (child.tail or "").strip():
                raise TwimlRejected(f"{where}: text between verbs")
            if child.tag == "Say" and child.attrib.get("language", "en-US") not in SAY_LANGUAGES:
                raise TwimlRejected(
                    f"{where}: Twilio cannot speak language {child.attrib.get('language')!r}"
                )
            check(child, where)

    check(root, "Response")
    if context == "wait":
        for verb in root:
            if verb.tag not in WAIT_VERBS:
                raise TwimlRejected(f"<{verb.tag}> is not allowed in an <Enqueue> waitUrl")
    return root


# --- transports ---------------------------------------------------------------------


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class Transport(Protocol):
    def post(self, url: str, body: str, headers: dict[str, str]) -> HttpAnswer: ...

    def get(self, url: str) -> HttpAnswer: ...


class FlaskTransport:
    """Requests to the public URL go to a Flask test client (tests)."""

    def __init__(self, client: Any, public_url: str) -> None:
        self.client = client
        self.public_url = public_url.rstrip("/")

    def _path(self, url: str) -> str:
        if not url.startswith(self.public_url + "/"):
            raise SimulationError(f"the simulator cannot reach {urlsplit(url).netloc}")
        return url[len(self.public_url) :]

    def post(self, url: str, body: str, headers: dict[str, str]) -> HttpAnswer:
        r = self.client.post(
            self._path(url),
            data=body,
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
        return HttpAnswer(r.status_code, r.content_type or "", r.get_data())

    def get(self, url: str) -> HttpAnswer:
        r = self.client.get(self._path(url))
        return HttpAnswer(r.status_code, r.content_type or "", r.get_data())


class HttpTransport:
    """Requests to the public URL go to a running server at `base_url` (the CLI)."""

    def __init__(self, base_url: str, public_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self.timeout = timeout

    def _target(self, url: str) -> str:
        if url.startswith(self.public_url + "/"):
            return self.base_url + url[len(self.public_url) :]
        return url

    def post(self, url: str, body: str, headers: dict[str, str]) -> HttpAnswer:
        import requests

        r = requests.post(
            self._target(url),
            data=body.encode("ascii"),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            timeout=self.timeout,
        )
        return HttpAnswer(r.status_code, r.headers.get("Content-Type", ""), r.content)

    def get(self, url: str) -> HttpAnswer:
        import requests

        r = requests.get(self._target(url), timeout=self.timeout)
        return HttpAnswer(r.status_code, r.headers.get("Content-Type", ""), r.content)


# --- the caller's keys --------------------------------------------------------------


class HangUp(Exception):
    """The caller hangs up."""


_TOKEN = re.compile(r"R\d+|[0-9*#.AH]")


class KeyScript:
    """The caller's side of the call: keys, silences, speech while recording, hang-up."""

    def __init__(self, script: str = "", ask: Callable[[str], str] | None = None) -> None:
        self.tokens: list[str] = []
        self.push(script)
        self.ask = ask

    def push(self, script: str) -> None:
        cleaned = re.sub(r"[\s\-,]", "", script)
        tokens = _TOKEN.findall(cleaned)
        if "".join(tokens) != cleaned:
            raise ValueError(f"cannot read the key script {script!r}")
        self.tokens.extend(tokens)

    def _next(self, prompt: str) -> str:
        if not self.tokens and self.ask is not None:
            self.push(self.ask(prompt))
        if not self.tokens:
            raise HangUp()
        return self.tokens.pop(0)

    def peek(self) -> str | None:
        return self.tokens[0] if self.tokens else None

    def gather(self, num_digits: int | None, finish_on_key: str) -> tuple[str, str | None]:
        """The digits keyed for a <Gather>, and the finish key if one ended it."""
        collected = ""
        while True:
            item = self._next("keys")
            if item == "H":
                raise HangUp()
            if item == ".":
                return collected, None
            if item.startswith("R") or item == "A":
                self.tokens.insert(0, item)
                return collected, None
            if finish_on_key and item in finish_on_key:
                return collected, item
            collected += item
            if num_digits and len(collected) >= num_digits:
                return collected, None

    def record(self, finish_on_key: str) -> tuple[int, str | None] | None:
        """Seconds spoken and the finish key; None when the caller stays silent."""
        item = self._next("recording (R<seconds>)")
        if item == "H":
            raise HangUp()
        if not item.startswith("R"):
            if item in ("A",):
                self.tokens.insert(0, item)
            # Silence, or a key pressed instead of speaking: nothing is recorded.
            return None
        seconds = int(item[1:])
        following = self.peek()
        if following is not None and finish_on_key and following in finish_on_key:
            return seconds, self.tokens.pop(0)
        return seconds, None

    def answered(self) -> bool:
        """Whether the other side answers (an adviser, a dialled number)."""
        if self.peek() == "A":
            self.tokens.pop(0)
            return True
        return False


# --- the walker ---------------------------------------------------------------------


@dataclass(frozen=True)
class Heard:
    """Something the caller hears: speech (`say`), a file (`play`), or a sound cue."""

    kind: str  # say | play | pause | beep | event
    text: str = ""
    language: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        if self.kind == "say":
            return f"[{self.language or 'default'}] {self.text}"
        if self.kind == "play":
            return f"[play] {self.url}"
        return f"[{self.kind}] {self.text}".rstrip()


@dataclass(frozen=True)
class Exchange:
    url: str
    params: dict[str, str]
    status: int
    body: str


@dataclass
class CallResult:
    call_sid: str
    heard: list[Heard] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    played: list[str] = field(default_factory=list)
    ended_by: str = "twiml"  # twiml (Hangup or end of document) | caller
    seconds: int = 0

    def says(self) -> list[str]:
        return [h.text for h in self.heard if h.kind == "say"]

    def transcript(self) -> str:
        return "\n".join(str(h) for h in self.heard)


class _Leave(Exception):
    pass


class _End(Exception):
    pass


class _StopCall(HangUp):
    """The TwiML hung up (not the caller)."""


class CallSimulator:
    """Places one simulated call against the hotline and walks its TwiML."""

    def __init__(
        self,
        transport: Transport,
        *,
        auth_token: str,
        public_url: str,
        from_number: str,
        to_number: str = "+81500000000",
        keys: KeyScript | None = None,
        account_sid: str = "AC" + "0" * 32,
        call_sid: str | None = None,
        deliver_twice: bool = False,
        on_heard: Callable[[Heard], None] | None = None,
        max_requests: int = 300,
        recording_callbacks: bool = True,
    ) -> None:
        self.transport = transport
        self.validator = RequestValidator(auth_token)
        self.public_url = public_url.rstrip("/")
        self.from_number = from_number
        self.to_number = to_number
        self.keys = keys or KeyScript()
        self.account_sid = account_sid
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.deliver_twice = deliver_twice
        self.on_heard = on_heard
        self.max_requests = max_requests
        # Twilio may deliver a recording status callback late or not at all.
        self.recording_callbacks = recording_callbacks
        self.result = CallResult(self.call_sid)
        self.made_recordings: set[str] = set()
        self.direction = "inbound"

    # --- HTTP ------------------------------------------------------------------------

    def base_params(self) -> dict[str, str]:
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Called": self.to_number,
            "Caller": self.from_number,
            "Direction": self.direction,
            "From": self.from_number,
            "To": self.to_number,
        }

    def post(self, url: str, extra: dict[str, str] | None = None) -> HttpAnswer:
        if len(self.result.exchanges) >= self.max_requests:
            raise SimulationError("too many requests: the call does not end")
        params = {**self.base_params(), **(extra or {})}
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)}
        body = urlencode(params)
        answer = self.transport.post(url, body, headers)
        if self.deliver_twice and answer.status < 400:
            again = self.transport.post(url, body, headers)
            if (again.status, again.body) != (answer.status, answer.body):
                raise SimulationError(f"a repeated delivery of {url} got a different answer")
        self.result.exchanges.append(Exchange(url, params, answer.status, answer.text))
        if answer.status >= 400:
            raise SimulationError(f"{url} answered {answer.status}: {answer.text.strip()}")
        return answer

    def fetch_twiml(self, url: str, extra: dict[str, str] | None = None) -> tuple[str, str]:
        answer = self.post(url, extra)
        if not answer.content_type.startswith(("text/xml", "application/xml")):
            raise SimulationError(f"{url} did not answer TwiML ({answer.content_type})")
        self.result.documents.append(answer.text)
        return url, answer.text

    def hear(self, heard: Heard) -> None:
        self.result.heard.append(heard)
        if self.on_heard is not None:
            self.on_heard(heard)

    # --- running ---------------------------------------------------------------------

    def run(self, start_path: str = "/voice/incoming", direction: str = "inbound") -> CallResult:
        """Place the call and walk it to the end; then post the final status callback."""
        self.direction = direction
        document: tuple[str, str] | None = self.fetch_twiml(self.public_url + start_path)
        try:
            while document is not None:
                document = self.execute(*document)
        except _StopCall:
            self.result.ended_by = "twiml"
        except HangUp:
            self.result.ended_by = "caller"
        self.post(
            self.public_url + "/voice/status",
            {"CallStatus": "completed", "CallDuration": str(self.result.seconds)},
        )
        return self.result

    def execute(self, url: str, text: str, context: str = "call") -> tuple[str, str] | None:
        """Run one document; the next document to run, or None when the call ends."""
        root = validate_twiml(text, context=context)
        for verb in root:
            nxt = self.run_verb(verb, url, context)
            if nxt is not None:
                return nxt
        return None

    def _absolute(self, base: str, target: str | None) -> str:
        return urljoin(base, target) if target else base

    def run_verb(self, verb: ET.Element, url: str, context: str) -> tuple[str, str] | None:
        tag = verb.tag
        if tag == "Say":
            self.say(verb)
        elif tag == "Play":
            self.play(verb)
        elif tag == "Pause":
            self.result.seconds += int(verb.get("length", "1"))
        elif tag == "Gather":
            return self.gather(verb, url, context)
        elif tag == "Record":
            return self.record(verb, url)
        elif tag == "Redirect":
            return self.fetch_twiml(self._absolute(url, (verb.text or "").strip()))
        elif tag == "Enqueue":
            return self.enqueue(verb, url)
        elif tag == "Dial":
            return self.dial(verb, url)
        elif tag in ("Hangup", "Reject"):
            if context == "wait":
                raise _End()
            raise _StopCall()
        elif tag == "Leave":
            raise _Leave()
        else:
            raise SimulationError(f"the simulator does not run <{tag}>")
        return None

    def say(self, verb: ET.Element) -> None:
        text = (verb.text or "").strip()
        self.result.seconds += max(1, len(text) // 15)
        self.hear(Heard("say", text, verb.get("language")))

    def play(self, verb: ET.Element) -> None:
        src = (verb.text or "").strip()
        if not src:
            if verb.get("digits"):
                self.hear(Heard("event", f"plays tones {verb.get('digits')}"))
                return
            raise TwimlRejected("<Play> needs a URL")
        if src.removesuffix(".wav").removesuffix(".mp3") in self.made_recordings:
            # A recording made earlier in this call, played back from Twilio's storage.
            self.result.seconds += 3
            self.hear(Heard("play", url=src))
            return
        answer = self.transport.get(src)
        ctype = answer.content_type.split(";")[0].strip()
        if answer.status != 200 or ctype not in AUDIO_CONTENT_TYPES or not answer.body:
            raise SimulationError(f"<Play> {src}: {answer.status} {ctype or 'no content type'}")
        self.result.played.append(src)
        self.result.seconds += 3
        self.hear(Heard("play", url=src))

    def gather(self, verb: ET.Element, url: str, context: str) -> tuple[str, str] | None:
        for child in verb:
            self.run_verb(child, url, context)
        num = verb.get("numDigits")
        finish = verb.get("finishOnKey", "#")
        digits, finished_on = self.keys.gather(int(num) if num else None, finish)
        if not digits and finished_on is None:
            self.result.seconds += int(verb.get("timeout", "5"))
            if verb.get("actionOnEmptyResult") != "true":
                return None
        params = {"Digits": digits}
        if finished_on is not None:
            params["FinishedOnKey"] = finished_on
        target = self._absolute(url, verb.get("action"))
        if context == "wait":
            next_url, text = self.fetch_twiml(target, params)
            self.execute(next_url, text, context="wait")
            raise _End()
        return self.fetch_twiml(target, params)

    def record(self, verb: ET.Element, url: str) -> tuple[str, str] | None:
        if verb.get("playBeep", "true") == "true":
            self.hear(Heard("beep"))
        finish = verb.get("finishOnKey", "1234567890*#")
        spoken = self.keys.record(finish)
        if spoken is None:
            self.result.seconds += int(verb.get("timeout", "5"))
            return None  # Twilio goes on to the next verb when nothing was recorded
        seconds, finished_on = spoken
        seconds = min(seconds, int(verb.get("maxLength", "3600")))
        self.result.seconds += seconds
        recording_sid = "RE" + secrets.token_hex(16)
        recording_url = (
            f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}"
            f"/Recordings/{recording_sid}"
        )
        self.made_recordings.add(recording_url)
        params = {
            "RecordingUrl": recording_url,
            "RecordingSid": recording_sid,
            "RecordingDuration": str(seconds),
            "Digits": finished_on or "",
        }
        document = self.fetch_twiml(self._absolute(url, verb.get("action")), params)
        callback = verb.get("recordingStatusCallback")
        if callback and self.recording_callbacks:
            self.post(
                self._absolute(url, callback),
                {
                    "RecordingSid": recording_sid,
                    "RecordingUrl": recording_url,
                    "RecordingStatus": "completed",
                    "RecordingDuration": str(seconds),
                    "RecordingChannels": "1",
                    "RecordingSource": "RecordVerb",
                },
            )
        return document

    def enqueue(self, verb: ET.Element, url: str) -> tuple[str, str] | None:
        queue = (verb.text or "").strip()
        self.hear(Heard("event", f"waiting in queue {queue}"))
        queue_sid = "QU" + secrets.token_hex(16)
        wait_url = verb.get("waitUrl")
        result = "hangup"
        waited = 0
        hung_up = False
        for _ in range(50):
            if self.keys.answered():
                result = "bridged"
                self.hear(Heard("event", "an adviser answers"))
                self.result.seconds += 60
                break
            if self.keys.peek() is None and self.keys.ask is None:
                hung_up = True
                break
            if wait_url is None:
                self.keys.gather(1, "")
                continue
            wait_doc = self.fetch_twiml(
                self._absolute(url, wait_url),
                {
                    "QueueSid": queue_sid,
                    "QueuePosition": "1",
                    "QueueTime": str(waited),
                    "AvgQueueTime": "30",
                    "CurrentQueueSize": "1",
                },
            )
            before = self.result.seconds
            try:
                self.execute(*wait_doc, context="wait")
            except _Leave:
                result = "leave"
                break
            except _End:
                pass
            except HangUp:
                hung_up = True
                break
            waited += max(1, self.result.seconds - before)
        params = {"QueueResult": result, "QueueSid": queue_sid, "QueueTime": str(waited)}
        action = verb.get("action")
        if hung_up:
            if action:
                self.post(self._absolute(url, action), params)
            raise HangUp()
        if action:
            return self.fetch_twiml(self._absolute(url, action), params)
        return None

    def dial(self, verb: ET.Element, url: str) -> tuple[str, str] | None:
        targets = [f"{child.tag} {(child.text or '').strip()}".strip() for child in verb]
        if (verb.text or "").strip():
            targets.append(f"Number {(verb.text or '').strip()}")
        self.hear(Heard("event", "dialling " + ", ".join(targets)))
        answered = self.keys.answered()
        status = "completed" if answered else "no-answer"
        if answered:
            self.result.seconds += 60
            self.hear(Heard("event", "the other side answers"))
        action = verb.get("action")
        if not action:
            return None
        return self.fetch_twiml(
            self._absolute(url, action),
            {
                "DialCallStatus": status,
                "DialCallSid": "CA" + secrets.token_hex(16),
                "DialCallDuration": "60" if answered else "0",
            },
        )
