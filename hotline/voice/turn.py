"""One webhook of a call: what the step knows, where it reads it, and how it speaks.

A `Turn` starts from the signed state of its URL (`hotline.voice.state`) and reads the
call and its caller from the database only when something asks for them (`call`,
`caller`, `state`): a step that only moves through the menu never does. What it answers
is a `VoiceResponse` (TwiML); the Flask routes turn it into an HTTP response.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.callers.models import Caller
from hotline.callers.service import get_or_create_caller
from hotline.cases.models import Case
from hotline.cases.service import open_case_for, touch
from hotline.config import Settings
from hotline.crypto import InvalidPhoneNumber
from hotline.languages import LANGUAGES, Language
from hotline.privacy.notice import retention_values
from hotline.review.live import LIVE_TEXTS_MAX_AGE, live_scripts
from hotline.voice.actions.registry import Recording
from hotline.voice.case_status import CallerLookup
from hotline.voice.models import Call, PromptRecording
from hotline.voice.scripts import Scripts
from hotline.voice.state import BadStep, StepState, int_arg, signed_query, verify
from hotline.voice.twiml import Speaker

# Statements of every call step, built once (building one costs more than running it).
_CALL_AND_CALLER = (
    select(Call, Caller)
    .outerjoin(Caller, Caller.id == Call.caller_id)
    .where(Call.sid == bindparam("sid"))
)
_RECORDED_PROMPTS = (
    select(PromptRecording.language, PromptRecording.prompt, PromptRecording.id)
    .where(PromptRecording.status == "kept", PromptRecording.audio.is_not(None))
    .order_by(PromptRecording.id)
)
# How long a step that reads nothing else may play the phone recordings it knows of
# (languages without a Twilio voice only); steps that read the database refresh them.
RECORDED_PROMPTS_TTL = 30.0
_recorded_cache: tuple[float, dict[str, dict[str, int]]] | None = None
_recorded_lock = threading.Lock()


def recent_recorded_prompts() -> dict[str, dict[str, int]] | None:
    """The index as this process last read it, if under RECORDED_PROMPTS_TTL ago."""
    with _recorded_lock:
        cached = _recorded_cache
    if cached is not None and time.monotonic() - cached[0] < RECORDED_PROMPTS_TTL:
        return cached[1]
    return None


def recorded_prompts(session: Session, *, fresh: bool = True) -> dict[str, dict[str, int]]:
    """language → prompt → id of the kept phone recording whose audio has arrived."""
    global _recorded_cache
    if not fresh:
        recent = recent_recorded_prompts()
        if recent is not None:
            return recent
    index: dict[str, dict[str, int]] = {}
    for language, prompt, rec_id in session.execute(_RECORDED_PROMPTS):
        index.setdefault(language, {})[prompt] = int(rec_id)
    with _recorded_lock:
        _recorded_cache = (time.monotonic(), index)
    return index


class Turn:
    """The plumbing of one call step, shared by the menu engine and the staff line."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        form: Mapping[str, str],
        args: Mapping[str, str],
        path: str,
        *,
        first: CallerLookup | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.form = form
        self.sid = form["CallSid"]
        self.step = int_arg(args, "s")
        self._scripts: Scripts | None = None
        self.response = VoiceResponse()
        # Told after the greeting; looked up on the first step only: once per call.
        self.case_status: str | None = None
        self._call: Call | None = None
        self._caller: Caller | None = None
        self._loaded = False
        self._recorded: dict[str, dict[str, int]] | None = None
        if first is not None:
            self.facts = StepState()
            self.case_status = first.status
            self._caller = first.caller
            self._call = Call(
                sid=self.sid,
                direction="inbound",
                purpose="ivr",
                caller_id=first.caller.id if first.caller else None,
                ivr_state={},
            )
            session.add(self._call)
            self._loaded = True
        else:
            verify(settings.secret_key, self.sid, path, args)
            self.facts = StepState.from_args(args)
            if self.facts.language is not None and self.facts.language not in LANGUAGES:
                raise BadStep("no such language")
        self._answers: dict[str, Any] = dict(self.facts.answers)
        self._resume = self.facts.resume

    @property
    def scripts(self) -> Scripts:
        """The pack files with reviewers' latest versions over them (hotline.review.live):
        this process's overlay while it is under a minute old, so moving through the
        menu still reads nothing; an edit made in this process is live at once."""
        if self._scripts is None:
            self._scripts = live_scripts(self.session, self.settings, max_age=LIVE_TEXTS_MAX_AGE)
        return self._scripts

    # --- the call and its caller, read when first needed -----------------------------

    def _load(self) -> None:
        if self._loaded:
            return
        row = self.session.execute(_CALL_AND_CALLER, {"sid": self.sid}).first()
        if row is None:
            # Every call starts at /voice/incoming, whose answer is committed before
            # Twilio can ask for the next step: this one is forged or misrouted.
            raise BadStep("unknown CallSid: a call starts at /voice/incoming")
        call, caller = row
        if caller is None:
            caller = self._caller_from_number()
            call.caller_id = caller.id if caller else None
        self._call, self._caller, self._loaded = call, caller, True

    def _caller_from_number(self) -> Caller | None:
        try:
            return get_or_create_caller(
                self.session, self.settings.secret_key, self.form.get("From", "")
            )
        except InvalidPhoneNumber:
            return None  # a withheld number ("anonymous"): nothing to remember

    @property
    def call(self) -> Call:
        self._load()
        assert self._call is not None
        return self._call

    @property
    def caller(self) -> Caller | None:
        self._load()
        return self._caller

    @caller.setter
    def caller(self, caller: Caller | None) -> None:
        self._load()
        self._caller = caller

    @property
    def has_caller(self) -> bool:
        return self._caller is not None if self._loaded else self.facts.has_caller

    def knows(self, answer: str) -> bool:
        """Whether the worker already gave this standing answer (asked once only)."""
        if not self._loaded:
            return answer in self.facts.known
        if self._caller is None:
            return False
        held = {
            "window": self._caller.call_window,
            "may_identify": self._caller.may_identify,
            "sms_allowed": self._caller.sms_allowed,
        }
        return held.get(answer) is not None

    @property
    def language(self) -> Language | None:
        code = self.facts.language
        if self._loaded:
            assert self._call is not None
            code = self._call.language or (self._caller.language if self._caller else None) or code
        return LANGUAGES.get(code) if code else None

    # --- state: menu answers in the URL, the rest on the call row --------------------

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.call.ivr_state or {})

    def update_state(self, **changes: Any) -> None:
        self.call.ivr_state = {**self.state, **changes}

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self._answers)

    def set_answers(self, **changes: Any) -> None:
        self._answers.update(changes)

    @property
    def resume(self) -> str | None:
        return self._resume

    def set_resume(self, node: str | None) -> None:
        self._resume = node

    def url(self, path: str, **params: object) -> str:
        """The next step's URL: its step number, the menu state and their MAC. The
        language (`l`) is also what Twilio hands the fallback URL in `ErrorUrl`."""
        language = self.language
        state = StepState(
            language=language.code if language else None,
            has_caller=self.has_caller,
            known=frozenset(a for a in ("window", "may_identify", "sms_allowed") if self.knows(a)),
            answers=self._answers,
            resume=self._resume,
        )
        query = self.signed_query(path, {"s": self.step + 1, **state.params(), **params})
        return f"{self.settings.public_url}{path}?{query}"

    def signed_query(self, path: str, params: Mapping[str, object]) -> str:
        """The query of a step URL of this call (`hotline.voice.state`)."""
        return signed_query(self.settings.secret_key, self.sid, path, params)

    # --- speaking ----------------------------------------------------------------------

    def _recorded_index(self, code: str) -> dict[str, dict[str, int]]:
        """The phone recordings: read afresh for the caller's own language in a step that
        reads the database anyway; otherwise (moving through the menu, the list of
        languages) the process's index, at most RECORDED_PROMPTS_TTL old."""
        own = self.language
        if self._loaded and own is not None and own.code == code:
            if self._recorded is None:
                self._recorded = recorded_prompts(self.session, fresh=True)
            return self._recorded
        return self._recorded or recorded_prompts(self.session, fresh=False)

    def speaker_for(self, code: str) -> Speaker:
        """A speaker for `code`, with the prompts staff have recorded by phone."""
        lang = LANGUAGES[code]
        recorded: dict[str, int] = {}
        if not lang.has_tts:
            recorded = self._recorded_index(code).get(code, {})
        return Speaker(
            self.scripts,
            lang,
            self.settings.public_url,
            recorded,
            values=retention_values(self.settings),
        )

    @property
    def speaker(self) -> Speaker:
        lang = self.language
        assert lang is not None, "no language chosen yet"
        return self.speaker_for(lang.code)

    def say(self, parent: VoiceResponse | Gather, *prompts: str) -> bool:
        """Add the prompts in the caller's language; False if one cannot be spoken."""
        speaker = self.speaker
        return all([speaker.add(parent, prompt) for prompt in prompts])

    def say_in(self, code: str, parent: VoiceResponse | Gather, *prompts: str) -> bool:
        speaker = self.speaker_for(code)
        return all([speaker.add(parent, prompt) for prompt in prompts])

    def say_digits(self, parent: VoiceResponse | Gather, digits: str) -> None:
        self.speaker.add_digits(parent, digits)

    def sms_text(self, template: str, **values: str) -> str:
        lang = self.language
        assert lang is not None
        return self.scripts.sms_text(lang.code, template, **values)

    def recording(self, node: str) -> Recording:
        found = self.scripts.menu.nodes.get(node)
        spec = found.record if found is not None else None
        if found is None or spec is None:
            raise BadStep("this menu node does not record")
        return Recording(
            node=node,
            prompts=found.prompts,
            max_length=spec.max_length,
            finish_on_key=spec.finish_on_key,
            min_seconds=spec.min_seconds,
            retries=spec.retries,
        )

    def done(self) -> VoiceResponse:
        return self.response

    # --- the case ------------------------------------------------------------------------

    def open_case(self) -> Case:
        caller = self.caller
        assert caller is not None
        lang = self.language
        case = open_case_for(self.session, caller, lang.code if lang else None)
        self.call.case_id = case.id
        touch(case)
        return case

    def read_reference(self, case: Case) -> None:
        self.say(self.response, "case_reference")
        self.say_digits(self.response, case.reference)
        self.say(self.response, "case_reference_again")
        self.say_digits(self.response, case.reference)
