"""A call's menu state carried in its step URLs, signed so that it cannot be forged.

Moving between menus changes nothing durable, so it is answered from the request alone:
the next URL carries what the following step needs — the language (`l`), whether the
caller's number is known and which of their standing answers are (`c`), the answers
given so far in this call (`a`), where to come back after a number is keyed (`r`) —
and a MAC (`k`) over the CallSid, the path and every other parameter, keyed with
HOTLINE_SECRET_KEY. A parameter changed, added or moved to another call or path makes
the MAC wrong: the step is refused with a 400 and nothing is read or written.

Only menu state travels: never a phone number or anything the caller said (a number
keyed in is stored encrypted on the call; the URL says only `number=other`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

MAC_PARAM = "k"
_MAC_CONTEXT = b"hotline voice step state v1"
# Answer name -> its letter in `a`; booleans travel as 1/0.
_ANSWER_CODES = {
    "number": "n",
    "window": "w",
    "may_identify": "i",
    "sms_allowed": "m",
    "urgent": "u",
}
_ANSWER_NAMES = {code: name for name, code in _ANSWER_CODES.items()}
_BOOL_ANSWERS = frozenset({"may_identify", "sms_allowed", "urgent"})
_TEXT_ANSWERS = {
    "number": frozenset({"caller_id", "other"}),
    "window": frozenset({"morning", "afternoon", "evening", "any"}),
}
# Standing answers (hotline.callers.consent) -> their letter in `c`.
_KNOWN_CODES = {"window": "w", "may_identify": "i", "sms_allowed": "m"}
_KNOWN_NAMES = {code: name for name, code in _KNOWN_CODES.items()}


MAX_STEP = 10_000


class BadStep(ValueError):
    """A step the call flow cannot take: its URL or form is not one it gave this call
    (tampered, from another call, a forged CallSid). The routes answer it with a 400."""


def int_arg(args: Mapping[str, str], name: str, default: int = 0) -> int:
    """A small non-negative integer from the query string; anything else is a BadStep."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_STEP:
        raise BadStep(f"query parameter {name} must be a small whole number")
    return int(raw)


@dataclass(frozen=True)
class StepState:
    """What a menu step knows without the database."""

    language: str | None = None
    has_caller: bool = False
    known: frozenset[str] = frozenset()  # standing answers the caller has given
    answers: Mapping[str, Any] = field(default_factory=dict)
    resume: str | None = None

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.language is not None:
            out["l"] = self.language
        out["c"] = ("1" if self.has_caller else "0") + "".join(
            _KNOWN_CODES[name] for name in sorted(self.known)
        )
        answers = [
            f"{_ANSWER_CODES[name]}.{_answer_text(name, value)}"
            for name, value in sorted(self.answers.items())
            if name in _ANSWER_CODES and value is not None
        ]
        if answers:
            out["a"] = "-".join(answers)
        if self.resume is not None:
            out["r"] = self.resume
        return out

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> StepState:
        """The state of a verified URL (`verify` first)."""
        flags = args.get("c", "")
        if not flags or flags[0] not in "01" or any(c not in _KNOWN_NAMES for c in flags[1:]):
            raise BadStep("query parameter c is not a menu state")
        answers: dict[str, Any] = {}
        for entry in filter(None, args.get("a", "").split("-")):
            code, _, text = entry.partition(".")
            name = _ANSWER_NAMES.get(code)
            if name is None:
                raise BadStep("query parameter a is not a menu state")
            answers[name] = _answer_value(name, text)
        return cls(
            language=args.get("l") or None,
            has_caller=flags[0] == "1",
            known=frozenset(_KNOWN_NAMES[c] for c in flags[1:]),
            answers=answers,
            resume=args.get("r") or None,
        )


def _answer_text(name: str, value: Any) -> str:
    if name in _BOOL_ANSWERS:
        return "1" if value else "0"
    return str(value)


def _answer_value(name: str, text: str) -> Any:
    if name in _BOOL_ANSWERS:
        if text not in ("0", "1"):
            raise BadStep("query parameter a is not a menu state")
        return text == "1"
    if text not in _TEXT_ANSWERS[name]:
        raise BadStep("query parameter a is not a menu state")
    return text


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _MAC_CONTEXT, hashlib.sha256).digest()


def step_mac(secret: str, call_sid: str, path: str, params: Mapping[str, str]) -> str:
    """The MAC (`k`) of a step URL of call `call_sid` with these parameters."""
    return _mac(secret, call_sid, path, params)


def _mac(secret: str, call_sid: str, path: str, params: Mapping[str, str]) -> str:
    signed = sorted((k, v) for k, v in params.items() if k != MAC_PARAM)
    message = json.dumps([call_sid, path, signed], ensure_ascii=False, separators=(",", ":"))
    digest = hmac.new(_key(secret), message.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:32]


def signed_query(secret: str, call_sid: str, path: str, params: Mapping[str, object]) -> str:
    """The query string of a step URL: `params` and their MAC."""
    text = {name: str(value) for name, value in params.items()}
    text[MAC_PARAM] = _mac(secret, call_sid, path, text)
    return urlencode(text)


def verify(secret: str, call_sid: str, path: str, args: Mapping[str, str]) -> None:
    """Raise BadStep unless the query is one we signed for this call and path."""
    given = args.get(MAC_PARAM, "")
    expected = _mac(secret, call_sid, path, args)
    if not hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii")):
        raise BadStep("this step's URL is not one the hotline gave this call")
