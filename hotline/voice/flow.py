"""The call flow: one `CallFlow` per Twilio request walks the menu graph of `ivr_scripts/`.

Every answer carries its next URLs with a step counter `s` one higher than the
request's, so each step of a call has its own URL and a repeated delivery (same
CallSid, same URL) is replayed by `@twilio_webhook` without running again. What the
caller has answered so far lives on the `Call` row (`ivr_state`), never in a URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Response
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.agents.models import Agent
from hotline.agents.presence import available_now, wait_limit_seconds
from hotline.callbacks.service import request_callback
from hotline.callers.consent import notice_heard, record_answer
from hotline.callers.models import Caller
from hotline.callers.service import caller_phone, get_or_create_caller
from hotline.cases.models import Case
from hotline.cases.service import open_case_for, touch, worker_contacted
from hotline.cases.work import add_event
from hotline.config import Settings
from hotline.crypto import InvalidPhoneNumber, decrypt_phone, encrypt_phone, normalise_phone
from hotline.db import utcnow
from hotline.inputs import whole_number
from hotline.languages import LANGUAGES, Language, by_calling_code
from hotline.privacy.notice import retention_values
from hotline.review.live import live_scripts
from hotline.voice import no_voice
from hotline.voice.case_status import caller_and_case_status, status_prompt
from hotline.voice.models import Call, PromptRecording, Voicemail
from hotline.voice.scripts import Node, Scripts, get_scripts
from hotline.voice.twiml import Speaker
from hotline.webhooks import BadWebhook, twiml

TOKYO = ZoneInfo("Asia/Tokyo")
TRANSCRIBE_JOB = "voicemail.transcribe"
DISCARD_RECORDING_JOB = "voice.discard_recording"
QUEUE_PREFIX = "hotline-"
MAX_STEP = 10_000


def queue_name(language: str) -> str:
    """The Twilio queue a caller waits in for an adviser of their language.

    An adviser's client answers the oldest caller with `<Dial><Queue>hotline-vi</Queue>`.
    """
    return QUEUE_PREFIX + language


def int_arg(args: Mapping[str, str], name: str, default: int = 0) -> int:
    """A small non-negative integer from the query string; anything else is a 400."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_STEP:
        raise BadWebhook(f"query parameter {name} must be a small whole number")
    return int(raw)


def within_hours(hours: str, now: dt.datetime) -> bool:
    """Whether `now` (any timezone) falls in "HH:MM-HH:MM" Japan time; may span midnight."""
    start_s, end_s = hours.split("-")
    local = now.astimezone(TOKYO).time()
    start = dt.time.fromisoformat(start_s)
    end = dt.time.fromisoformat(end_s)
    if start <= end:
        return start <= local < end
    return local >= start or local < end


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


def recorded_prompts(session: Session) -> dict[str, dict[str, int]]:
    """language → prompt → id of the kept phone recording whose audio has arrived."""
    index: dict[str, dict[str, int]] = {}
    rows = session.execute(_RECORDED_PROMPTS)
    for language, prompt, rec_id in rows:
        index.setdefault(language, {})[prompt] = int(rec_id)
    return index


def opening_hours_for(settings: Settings, language: str) -> str:
    return dict(settings.language_opening_hours).get(language, settings.opening_hours)


class CallFlow:
    """Answers one webhook of an inbound call with TwiML."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        form: Mapping[str, str],
        step: int,
        *,
        first_step: bool = False,
    ) -> None:
        self.session = session
        self.settings = settings
        self.form = form
        self.step = step
        self.first_step = first_step
        # The pack files with reviewers' latest versions over them (hotline.review.live).
        self.scripts: Scripts = live_scripts(session, settings)
        self.response = VoiceResponse()
        # Told after the greeting; looked up on the first step only: once per call.
        self.case_status: str | None = None
        self.call, self.caller = self._find_call_and_caller()
        self._recorded: dict[str, dict[str, int]] | None = None

    # --- plumbing ------------------------------------------------------------------

    def _find_call_and_caller(self) -> tuple[Call, Caller | None]:
        """The call and its caller in one query; created on the first step only."""
        sid = self.form["CallSid"]
        if self.first_step:
            # A new call: nothing to look up (a repeated delivery collides on the sid).
            caller, self.case_status = caller_and_case_status(
                self.session, self.settings.secret_key, self.form.get("From", "")
            )
            return self._new_call(sid, caller), caller
        row = self.session.execute(_CALL_AND_CALLER, {"sid": sid}).first()
        if row is None:
            # Every call starts at /voice/incoming, whose answer is committed before
            # Twilio can ask for the next step: this one is forged or misrouted.
            raise BadWebhook("unknown CallSid: a call starts at /voice/incoming")
        if row[1] is not None:
            return row[0], row[1]
        caller = self._caller_from_number()
        call = row[0]
        call.caller_id = caller.id if caller else None
        return call, caller

    def _new_call(self, sid: str, caller: Caller | None) -> Call:
        call = Call(
            sid=sid,
            direction="inbound",
            purpose="ivr",
            caller_id=caller.id if caller else None,
            ivr_state={},
        )
        self.session.add(call)
        return call

    def _caller_from_number(self) -> Caller | None:
        try:
            return get_or_create_caller(
                self.session, self.settings.secret_key, self.form.get("From", "")
            )
        except InvalidPhoneNumber:
            return None  # a withheld number ("anonymous"): nothing to remember

    def url(self, path: str, **params: object) -> str:
        """The next step's URL: its step number and, once known, the caller's language
        (`l`), which Twilio hands the fallback URL in `ErrorUrl` (hotline.fallback)."""
        language = self.language
        if language is not None:
            params = {**params, "l": language.code}
        query = urlencode({"s": self.step + 1, **params})
        return f"{self.settings.public_url}{path}?{query}"

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.call.ivr_state or {})

    def update_state(self, **changes: Any) -> None:
        self.call.ivr_state = {**self.state, **changes}

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.state.get("answers") or {})

    def set_answers(self, **changes: Any) -> None:
        self.update_state(answers={**self.answers, **changes})

    @property
    def language(self) -> Language | None:
        code = self.call.language or (self.caller.language if self.caller else None)
        return LANGUAGES.get(code) if code else None

    def speaker_for(self, code: str) -> Speaker:
        """A speaker for `code`, with the prompts staff have recorded by phone."""
        lang = LANGUAGES[code]
        recorded: dict[str, int] = {}
        if not lang.has_tts:
            if self._recorded is None:
                self._recorded = recorded_prompts(self.session)
            recorded = self._recorded.get(code, {})
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

    def done(self) -> Response:
        return twiml(self.response)

    def _case(self) -> Case:
        assert self.caller is not None
        lang = self.language
        case = open_case_for(self.session, self.caller, lang.code if lang else None)
        self.call.case_id = case.id
        touch(case)
        return case

    def _read_reference(self, case: Case) -> None:
        speaker = self.speaker
        speaker.add(self.response, "case_reference")
        speaker.add_digits(self.response, case.reference)
        speaker.add(self.response, "case_reference_again")
        speaker.add_digits(self.response, case.reference)

    # --- entry and language --------------------------------------------------------

    def incoming(self) -> Response:
        self.update_state(phase="menu")
        if self.language is not None:
            self.call.language = self.language.code
            return self.enter_language(selected=False)
        return self.render_language(page=0, failures=0)

    def render_language(self, page: int, failures: int, cue: str | None = None) -> Response:
        menu = self.scripts.menu
        gather = self.response.gather(
            action=self.url("/voice/language", p=page, f=failures),
            method="POST",
            finish_on_key="#",
            timeout=menu.gather_timeout,
            action_on_empty_result=True,
        )
        if page == 0:
            for code in menu.intro_languages:
                intro = self.speaker_for(code)
                if cue:
                    intro.add(gather, cue)
                intro.add(gather, "language_intro")
        for code in menu.pages[page]:
            self.speaker_for(code).add(gather, "language_choice")
        return self.done()

    def choose_language(self, page: int, failures: int, digits: str) -> Response:
        menu = self.scripts.menu
        if page >= len(menu.pages):
            raise BadWebhook("no such language page")
        if not digits:
            page += 1
            if page >= len(menu.pages):
                page, failures = 0, failures + 1
            if failures >= menu.max_failures:
                return self._goodbye_without_language()
            return self.render_language(page, failures)
        lang = by_calling_code(digits)
        if lang is None:
            failures += 1
            if failures >= menu.max_failures:
                return self._goodbye_without_language()
            return self.render_language(0, failures, cue="language_not_recognised")
        if self.caller is not None:
            self.caller.language = lang.code
        self.call.language = lang.code
        return self.enter_language(selected=True)

    def _goodbye_without_language(self) -> Response:
        for code in self.scripts.menu.intro_languages:
            self.speaker_for(code).add(self.response, "goodbye")
        self.response.hangup()
        self.update_state(phase="no_language")
        return self.done()

    def enter_language(self, *, selected: bool) -> Response:
        """Greet in the caller's language, or take the no-voice path if it cannot be spoken."""
        speaker = self.speaker
        needed = [p for node in self.scripts.menu.nodes.values() for p in node.prompts]
        if speaker.missing(needed):
            return self.no_voice()
        speaker.add(self.response, "greeting")
        if self.case_status is not None:
            # Skipped in a language with no audio for it yet (`prompts check` shows it).
            speaker.add(self.response, status_prompt(self.case_status))
        first_time = self.caller is not None and self.caller.privacy_notice_at is None
        if first_time and speaker.add(self.response, "privacy_notice"):
            assert self.caller is not None
            notice_heard(self.session, self.caller)
        return self.render_node(self.scripts.menu.start)

    def no_voice(self) -> Response:
        """No recordings in this language yet: a callback with discreet defaults."""
        lang = self.language
        assert lang is not None
        if self.caller is not None:
            case = self._case()
            request_callback(
                self.session,
                self.settings.secret_key,
                case=case,
                caller=self.caller,
                language=lang.code,
                phone=caller_phone(self.settings.secret_key, self.caller),
            )
        self.update_state(phase="no_voice_callback")
        if not self.speaker.add(self.response, "no_voice_notice"):
            # Nothing in a language the caller understands: tones, its own name, "noted".
            no_voice.announce(
                self.response, self.settings.public_url, self.scripts.audio_root, lang
            )
        self.response.hangup()
        return self.done()

    # --- menu nodes ----------------------------------------------------------------

    def _knows(self, answer: str) -> bool:
        """Whether the worker already gave this standing answer (asked once only)."""
        if self.caller is None:
            return False
        held = {
            "window": self.caller.call_window,
            "may_identify": self.caller.may_identify,
            "sms_allowed": self.caller.sms_allowed,
        }
        return held.get(answer) is not None

    def node(self, name: str) -> Node:
        node = self.scripts.menu.nodes.get(name)
        if node is None:
            raise BadWebhook("no such menu node")
        return node

    def render_node(self, name: str, failures: int = 0, cue: list[str] | None = None) -> Response:
        node = self.node(name)
        if self.caller is None and node.without_caller_id is not None:
            return self.render_node(node.without_caller_id, failures, cue)
        if node.ask_once is not None and node.skip_to is not None and self._knows(node.ask_once):
            return self.render_node(node.skip_to, failures, cue)
        speaker = self.speaker
        if node.record is not None:
            return self.render_record(name, attempt=0, cue=cue)
        if node.hangup:
            speaker.add_all(self.response, [*(cue or []), *node.prompts])
            self.response.hangup()
            self.update_state(phase=self.state.get("phase") or "goodbye")
            return self.done()
        gather: Gather
        if node.input is not None:
            gather = self.response.gather(
                action=self.url(f"/voice/node/{name}", f=failures),
                method="POST",
                finish_on_key=node.input.finish_on_key,
                timeout=self.scripts.menu.gather_timeout * 2,
                action_on_empty_result=True,
            )
        else:
            gather = self.response.gather(
                action=self.url(f"/voice/node/{name}", f=failures),
                method="POST",
                num_digits=1,
                finish_on_key="",
                timeout=self.scripts.menu.gather_timeout,
                action_on_empty_result=True,
            )
        speaker.add_all(gather, [*(cue or []), *node.prompts])
        return self.done()

    def answer_node(self, name: str, failures: int, digits: str) -> Response:
        if self.language is None:
            return self.render_language(0, 0)
        node = self.node(name)
        if node.input is None and self.state.get("resume") is not None:
            self.update_state(resume=None)  # the caller went elsewhere instead
        if node.input is not None:
            if digits and len(digits) <= node.input.max_digits:
                handler = INPUT_ACTIONS[node.input.action]
                if handler(self, digits):
                    resume = self.state.get("resume")
                    if resume is not None:
                        self.update_state(resume=None)
                        return self.render_node(str(resume))
                    assert node.next is not None
                    return self.render_node(node.next)
            return self._fail(node, failures, digits, cue=["callback_number_invalid"])
        spec = node.keys.get(digits) if len(digits) == 1 else None
        if spec is None:
            return self._fail(node, failures, digits)
        if spec.set:
            self.set_answers(**spec.set)
        if spec.action is not None:
            return KEY_ACTIONS[spec.action](self, list(spec.play))
        assert spec.goto is not None
        return self.render_node(spec.goto, cue=list(spec.play))

    def _fail(
        self, node: Node, failures: int, digits: str, cue: list[str] | None = None
    ) -> Response:
        failures += 1
        if failures >= node.max_failures:
            return self.render_node(node.on_fail)
        if cue is None:
            cue = ["invalid_choice"] if digits else ["no_input"]
        return self.render_node(node.name, failures, cue)

    # --- 1: talk now -----------------------------------------------------------------

    def adviser_available(self, language: str) -> bool:
        if not within_hours(opening_hours_for(self.settings, language), utcnow()):
            return False
        rows = self.session.scalars(
            select(Agent.languages).where(available_now(self.settings, utcnow()))
        )
        return any(language in (langs or []) for langs in rows)

    def talk_now(self, play: list[str]) -> Response:
        lang = self.language
        assert lang is not None
        if not self.adviser_available(lang.code):
            return self.render_node("talk_unavailable")
        self.update_state(phase="queue")
        self.call.queued_at = utcnow()
        self.speaker.add(self.response, "talk_connecting")
        self.response.enqueue(
            queue_name(lang.code),
            action=self.url("/voice/queue/done"),
            method="POST",
            wait_url=self.url("/voice/queue/wait"),
            wait_url_method="POST",
        )
        return self.done()

    def queue_wait(self) -> Response:
        position = self.form.get("QueuePosition", "")
        queue_time = self.form.get("QueueTime", "0")
        if not queue_time.isdigit() or len(queue_time) > 6:
            raise BadWebhook("QueueTime must be a whole number of seconds")
        lang = self.language
        assert lang is not None
        if int(queue_time) >= wait_limit_seconds(self.settings, lang.code):
            # Waited long enough: leave the queue; /voice/queue/done offers a callback.
            self.update_state(phase="queue_wait_limit", waited_seconds=int(queue_time))
            self.response.leave()
            return self.done()
        gather = self.response.gather(
            action=self.url("/voice/queue/key", t=queue_time),
            method="POST",
            num_digits=1,
            timeout=1,
        )
        speaker = self.speaker
        if position.isdigit():
            speaker.add(gather, "queue_position")
            speaker.add_digits(gather, position)
        speaker.add(gather, "queue_offer_callback")
        gather.pause(length=10)
        return self.done()

    def queue_key(self, digits: str) -> Response:
        if digits == "1":
            self.update_state(phase="queue_left")
            self.response.leave()
        return self.done()

    def queue_done(self, result: str) -> Response:
        if self.call.queued_at is not None and self.call.dequeued_at is None:
            self.call.dequeued_at = utcnow()
        if result == "leave" and self.state.get("phase") == "queue_wait_limit":
            return self.offer_callback_after_waiting()
        if result == "leave":
            self.update_state(phase="menu")
            return self.render_node("callback_number")
        if result == "bridged":
            self.update_state(phase="bridged")
            self.call.ended_reason = "bridged"
            self.response.hangup()
            return self.done()
        if result == "hangup":
            self.update_state(phase="abandoned_in_queue")
            self.call.ended_reason = "abandoned_in_queue"
            return self.done()
        return self.render_node("talk_unavailable")

    def offer_callback_after_waiting(self) -> Response:
        """No adviser took the call in time: the case says so, and the caller hears the
        callback offer in their language (1: callback request, *: main menu)."""
        waited = int(self.state.get("waited_seconds") or 0)
        if self.caller is not None:
            add_event(self.session, self._case(), "waited_live", None, waited_seconds=waited)
        self.update_state(phase="menu")
        return self.render_node("talk_unavailable")

    # --- 2: callback request -----------------------------------------------------------

    def store_callback_number(self, digits: str) -> bool:
        from hotline.callbacks.tollfraud import RefusedDestination, check_destination

        try:
            e164 = normalise_phone(digits, "JP")
            check_destination(e164, getattr(self.settings, "callback_countries", ()))
        except (InvalidPhoneNumber, RefusedDestination, phonenumbers.NumberParseException):
            return False
        if self.caller is None:
            # A withheld number: the number keyed in becomes the caller.
            self.caller = get_or_create_caller(self.session, self.settings.secret_key, e164)
            self.call.caller_id = self.caller.id
            lang = self.language
            if lang is not None and self.caller.language is None:
                self.caller.language = lang.code
        self.set_answers(
            number="other", number_encrypted=encrypt_phone(self.settings.secret_key, e164)
        )
        return True

    def submit_callback(self, play: list[str]) -> Response:
        lang = self.language
        answers = self.answers
        if self.caller is None or answers.get("number") not in ("caller_id", "other"):
            return self.render_node("callback_other_number")
        secret = self.settings.secret_key
        own_number = answers.get("number") == "caller_id"
        phone = (
            caller_phone(secret, self.caller)
            if own_number
            else decrypt_phone(secret, str(answers["number_encrypted"]))
        )
        assert lang is not None
        case = self._case()
        # Questions skipped because the worker answered them before are absent here:
        # their standing answers apply (request_callback reads them).
        callback = request_callback(
            self.session,
            secret,
            case=case,
            caller=self.caller,
            language=lang.code,
            phone=phone,
            window=None if answers.get("window") is None else str(answers["window"]),
            may_identify=_maybe_bool(answers.get("may_identify")),
            sms_allowed=_maybe_bool(answers.get("sms_allowed")),
            urgent=bool(answers.get("urgent")),
            source="voice",
        )
        sms_allowed = callback.sms_allowed
        self.update_state(phase="callback_requested")
        speaker = self.speaker
        speaker.add(self.response, "callback_done")
        self._read_reference(case)
        if sms_allowed and own_number:
            from hotline.sms.outbound import queue_sms

            body = self.scripts.sms_text(
                lang.code, "callback_confirmation", reference=case.reference
            )
            sent = queue_sms(
                self.session,
                purpose="callback_confirmation",
                caller=self.caller,
                body=body,
                case=case,
                kind="system",
                language=lang.code,
            )
            if sent is not None:
                speaker.add(self.response, "sms_sent")
        return self.render_node("goodbye")

    # --- 0: emergency ------------------------------------------------------------------

    def mark_urgent(self, play: list[str]) -> Response:
        if self.caller is None:
            self.set_answers(urgent=True)
            return self.render_node("callback_other_number")
        lang = self.language
        assert lang is not None
        case = self._case()
        request_callback(
            self.session,
            self.settings.secret_key,
            case=case,
            caller=self.caller,
            language=lang.code,
            phone=caller_phone(self.settings.secret_key, self.caller),
            urgent=True,
        )
        self.update_state(phase="urgent_callback")
        self.speaker.add(self.response, "emergency_marked")
        self._read_reference(case)
        return self.render_node("main")

    def change_language(self, play: list[str]) -> Response:
        return self.render_language(page=0, failures=0)

    # --- 3: voice message ----------------------------------------------------------------

    def render_record(self, name: str, attempt: int, cue: list[str] | None = None) -> Response:
        node = self.node(name)
        spec = node.record
        if spec is None:
            raise BadWebhook("this menu node does not record")
        if self.caller is None:
            # A withheld number: the message needs a number to belong to. Once keyed
            # in, the caller comes back here to record it.
            self.update_state(resume=name)
            return self.render_node("callback_other_number")
        self._case()
        self.update_state(phase="voicemail")
        prompts = list(cue) if cue else [*node.prompts]
        self.speaker.add_all(self.response, prompts)
        self.response.record(
            action=self.url(f"/voice/record/{name}", t=attempt),
            method="POST",
            timeout=5,
            finish_on_key=spec.finish_on_key,
            max_length=spec.max_length,
            play_beep=True,
            trim="trim-silence",
            recording_status_callback=self.settings.public_url + "/voice/recording",
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
        )
        # Twilio goes on to the next verb when nothing at all was recorded.
        self.response.redirect(self.url(f"/voice/record/{name}", t=attempt, empty=1), method="POST")
        return self.done()

    def record_done(self, name: str, attempt: int, empty: bool) -> Response:
        node = self.node(name)
        spec = node.record
        if spec is None:
            raise BadWebhook("this menu node does not record")
        raw = self.form.get("RecordingDuration", "")
        duration = whole_number(raw) or 0
        if empty or duration < spec.min_seconds or not self.form.get("RecordingUrl"):
            discard_take(self.session, self.form.get("RecordingSid", ""))
            if attempt < spec.retries:
                return self.render_record(name, attempt + 1, cue=["voicemail_too_short"])
            self.update_state(phase="menu")
            return self.render_node("main", cue=["voicemail_not_saved"])
        self.update_state(phase="voicemail_left")
        if self.form.get("RecordingSid"):
            # The action carries the recording too; whichever of it and the recording
            # status callback arrives first stores the voicemail, the other finds it.
            save_recording(
                self.session, {**self.form, "RecordingStatus": "completed"}, self.settings
            )
        case = self._case()
        self.speaker.add(self.response, "voicemail_saved")
        self._read_reference(case)
        return self.render_node("main")


KEY_ACTIONS: dict[str, Callable[[CallFlow, list[str]], Response]] = {
    "talk_now": CallFlow.talk_now,
    "change_language": CallFlow.change_language,
    "submit_callback": CallFlow.submit_callback,
    "mark_urgent": CallFlow.mark_urgent,
}
INPUT_ACTIONS: dict[str, Callable[[CallFlow, str], bool]] = {
    "store_callback_number": CallFlow.store_callback_number,
}


def _maybe_bool(value: object) -> bool | None:
    """An answer given in this call, or None when the question was skipped."""
    return None if value is None else bool(value)


def discard_take(session: Session, recording_sid: str) -> None:
    """A take we do not keep (too short, or re-recorded) is deleted at Twilio by a job:
    it is a worker's voice, and nothing of ours points at it any more."""
    if not recording_sid:
        return
    from hotline.jobs import defer

    defer(
        session, DISCARD_RECORDING_JOB, recording_sid=recording_sid, taken_at=utcnow().isoformat()
    )


def save_recording(
    session: Session, form: Mapping[str, str], settings: Settings | None = None
) -> Voicemail | None:
    """A finished voicemail recording becomes a `Voicemail` on the caller's case."""
    if form.get("RecordingStatus") != "completed":
        return None
    call = session.scalar(select(Call).where(Call.sid == form["CallSid"]))
    if call is None or call.caller_id is None:
        return None
    spec = get_scripts(settings).menu.nodes["voicemail"].record
    min_seconds = spec.min_seconds if spec else 1
    raw = form.get("RecordingDuration", "")
    duration = whole_number(raw) or 0
    if duration < min_seconds:
        return None  # the too-short attempt the caller was asked to repeat
    existing = session.scalar(
        select(Voicemail).where(Voicemail.recording_sid == form["RecordingSid"])
    )
    if existing is not None:
        return existing
    caller = session.get(Caller, call.caller_id)
    assert caller is not None
    case = session.get(Case, call.case_id) if call.case_id else None
    if case is None:
        case = open_case_for(session, caller, call.language)
        call.case_id = case.id
    worker_contacted(case)
    voicemail = Voicemail(
        call_id=call.id,
        case_id=case.id,
        recording_sid=form["RecordingSid"],
        recording_url=form["RecordingUrl"],
        duration_seconds=duration,
        language=call.language or case.language,
    )
    try:
        with session.begin_nested():
            session.add(voicemail)
    except IntegrityError:
        # The Record action and the status callback raced; the other one stored it.
        return session.scalars(
            select(Voicemail).where(Voicemail.recording_sid == form["RecordingSid"])
        ).one()
    # Leaving a message after the notice is the worker agreeing to its recording.
    record_answer(session, caller, "recording", "yes", channel="voice", case=case)
    from hotline.jobs import defer

    defer(session, TRANSCRIBE_JOB, voicemail_id=voicemail.id)
    return voicemail


def ended_reason(call: Call) -> str:
    """How a call ended, from where the IVR last was."""
    phase = (call.ivr_state or {}).get("phase") or "menu"
    return {
        "queue": "abandoned_in_queue",
        "menu": "hung_up_in_menu",
        "voicemail": "hung_up_in_voicemail",
        "voicemail_left": "voicemail",
    }.get(phase, phase)
