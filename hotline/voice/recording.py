"""Recording prompts by phone: how Khmer, Mongolian and every placeholder get real voices.

A staff member calls the hotline from the phone registered on their agent record,
keys their PIN, picks a language by calling code, and records its prompts one by
one: listen back, keep or redo. A kept recording is fetched from Twilio by a job and
from then on is that language's audio for the prompt (unreviewed until checked).

Caller ID can be spoofed, so the PIN is the real lock: wrong PINs are counted across
calls and enough of them lock it (longer each time, or until it is issued again).
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.security import check_password_hash, generate_password_hash

from hotline import audit, yamltext
from hotline.agents.models import Agent
from hotline.config import Settings
from hotline.crypto import InvalidPhoneNumber, decrypt_phone, normalise_phone
from hotline.db import utcnow
from hotline.inputs import whole_number
from hotline.jobs import defer
from hotline.languages import LANGUAGES, by_calling_code
from hotline.voice.actions.voicemail import discard_take
from hotline.voice.jobs import FETCH_JOB
from hotline.voice.models import PromptRecording, RecorderPin, replace_kept_recording
from hotline.voice.scripts import ivr_scripts_dir
from hotline.voice.state import BadStep
from hotline.voice.turn import Turn, recorded_prompts

log = logging.getLogger(__name__)

STAFF_PROMPTS = (
    "pin",
    "pin_wrong",
    "choose_language",
    "language_unknown",
    "next_prompt",
    "record",
    "nothing_recorded",
    "listen",
    "review",
    "kept",
    "finished",
    "goodbye",
)
MAX_PIN_TRIES = 3  # in one call
MAX_PIN_FAILURES = 5  # across calls, then the PIN is locked
PIN_LOCK = dt.timedelta(hours=1)  # doubled for each lockout since the PIN was issued
MAX_PIN_LOCK = dt.timedelta(days=1)
MIN_PIN_DIGITS = 6
MAX_PIN_DIGITS = 12
MAX_SILENT_TAKES = 3  # in a row: the staff member has gone, end the call
PIN_HASH_METHOD = "pbkdf2:sha256:60000"
# Hashed against while a PIN is locked, so a refusal takes as long as a real check.
_DECOY_HASH = generate_password_hash("0" * MIN_PIN_DIGITS, method=PIN_HASH_METHOD)


@lru_cache(maxsize=4)
def _staff_texts(path: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as fh:
        data = yamltext.parse(fh.read()) or {}
    prompts = data.get("prompts") or {}
    missing = [name for name in STAFF_PROMPTS if not str(prompts.get(name, "")).strip()]
    if missing:
        raise ValueError(f"{path}: staff prompt(s) missing: {', '.join(missing)}")
    return {name: str(prompts[name]) for name in STAFF_PROMPTS}


def staff_texts(settings: Settings | None = None) -> dict[str, str]:
    return _staff_texts(str(ivr_scripts_dir(settings) / "staff.yaml"))


def set_recorder_pin(session: Session, agent_id: int, pin: str) -> None:
    """Give an agent (who has a registered phone) a PIN for the staff line.

    Issuing a PIN again also lifts any lock and forgets earlier wrong tries.
    """
    if not (pin.isascii() and pin.isdigit() and MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS):
        raise ValueError(f"the PIN must be {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits")
    agent = session.get(Agent, agent_id)
    if agent is None or not agent.phone_encrypted:
        raise ValueError("the agent needs a registered phone number first")
    row = session.scalar(select(RecorderPin).where(RecorderPin.agent_id == agent_id))
    hashed = generate_password_hash(pin, method=PIN_HASH_METHOD)
    if row is None:
        session.add(RecorderPin(agent_id=agent_id, pin_hash=hashed))
    else:
        row.pin_hash = hashed
        row.failed_attempts = 0
        row.lockouts = 0
        row.locked_until = None
    audit.record(session, "recorder_pin.issued", "agent", agent_id)


def recorder_pin_accepted(session: Session, row: RecorderPin, digits: str) -> bool:
    """Check a keyed PIN, counting wrong ones across calls and locking the PIN after
    `MAX_PIN_FAILURES`. A locked PIN is refused without being checked."""
    now = utcnow()
    if row.locked_until is not None and row.locked_until > now:
        check_password_hash(_DECOY_HASH, digits)
        return False
    if check_password_hash(row.pin_hash, digits):
        if row.failed_attempts:
            row.failed_attempts = 0
        return True
    # Counted in the database, not from the row read earlier: calls run concurrently.
    session.execute(
        update(RecorderPin)
        .where(RecorderPin.id == row.id)
        .values(failed_attempts=RecorderPin.failed_attempts + 1)
    )
    session.refresh(row)
    if row.failed_attempts >= MAX_PIN_FAILURES:
        _lock(session, row, now)
    return False


def _lock(session: Session, row: RecorderPin, now: dt.datetime) -> None:
    lockouts = row.lockouts
    until = now + min(PIN_LOCK * 2 ** min(lockouts, 16), MAX_PIN_LOCK)
    locked = session.execute(
        update(RecorderPin)
        .where(
            RecorderPin.id == row.id,
            RecorderPin.lockouts == lockouts,
            RecorderPin.failed_attempts >= MAX_PIN_FAILURES,
        )
        .values(failed_attempts=0, lockouts=lockouts + 1, locked_until=until)
    ).rowcount  # type: ignore[attr-defined]
    session.refresh(row)
    if locked != 1:
        return  # another call locked it at the same moment
    log.warning(
        "staff line: PIN of agent %s locked until %s after %s wrong tries",
        row.agent_id,
        until.isoformat(timespec="seconds"),
        MAX_PIN_FAILURES,
    )
    audit.record(
        session,
        "recorder_pin.locked",
        "agent",
        row.agent_id,
        locked_until=until.isoformat(timespec="seconds"),
        lockout=lockouts + 1,
    )


_STAFF_PHONES = (
    select(Agent.id, Agent.phone_encrypted)
    .join(RecorderPin, RecorderPin.agent_id == Agent.id)
    .where(Agent.active.is_(True), Agent.phone_encrypted.is_not(None))
)


def staff_member_calling(session: Session, secret: str, raw_number: str) -> int | None:
    """The agent whose registered phone is calling and who has a PIN, if any."""
    try:
        e164 = normalise_phone(raw_number)
    except InvalidPhoneNumber:
        return None
    for agent_id, encrypted in session.execute(_STAFF_PHONES):
        if encrypted and decrypt_phone(secret, encrypted) == e164:
            return int(agent_id)
    return None


class StaffFlow(Turn):
    """The staff line: PIN, language, then record, listen back, keep or redo."""

    def say_staff(self, parent: Any, name: str) -> None:
        parent.say(
            staff_texts(self.settings)[name],
            language="en-US",
            voice=LANGUAGES["en"].twilio_say_voice,
        )

    def start(self, agent_id: int) -> VoiceResponse:
        self.update_state(phase="staff", staff_agent=agent_id)
        return self.ask_pin(0)

    def _ask(
        self, path: str, failures: int, prompt: str, retry_prompt: str | None
    ) -> VoiceResponse:
        """A keypad question ending in #; `retry_prompt` says why it is asked again."""
        gather = self.response.gather(
            action=self.url(path, f=failures),
            method="POST",
            finish_on_key="#",
            timeout=10,
            action_on_empty_result=True,
        )
        if retry_prompt:
            self.say_staff(gather, retry_prompt)
        self.say_staff(gather, prompt)
        return self.done()

    def ask_pin(self, failures: int, wrong: bool = False) -> VoiceResponse:
        return self._ask("/voice/staff/pin", failures, "pin", "pin_wrong" if wrong else None)

    def check_pin(self, failures: int, digits: str) -> VoiceResponse:
        agent_id = self.state.get("staff_agent")
        row = self.session.scalar(select(RecorderPin).where(RecorderPin.agent_id == agent_id))
        # A locked PIN sounds exactly like a wrong one: no hint that guessing is futile.
        if row is not None and digits and recorder_pin_accepted(self.session, row, digits):
            self.update_state(staff_ok=True)
            return self.ask_language(0)
        if failures + 1 >= MAX_PIN_TRIES:
            log.warning("staff line: too many wrong PINs for agent %s", agent_id)
            self.say_staff(self.response, "goodbye")
            self.response.hangup()
            return self.done()
        return self.ask_pin(failures + 1, wrong=True)

    def _require_ok(self) -> None:
        if not self.state.get("staff_ok"):
            raise BadStep("the staff line needs the PIN first")

    def ask_language(self, failures: int, unknown: bool = False) -> VoiceResponse:
        return self._ask(
            "/voice/staff/language",
            failures,
            "choose_language",
            "language_unknown" if unknown else None,
        )

    def choose_recording_language(self, failures: int, digits: str) -> VoiceResponse:
        self._require_ok()
        lang = by_calling_code(digits) if digits else None
        if lang is None:
            if failures + 1 >= MAX_PIN_TRIES:
                self.say_staff(self.response, "goodbye")
                self.response.hangup()
                return self.done()
            return self.ask_language(failures + 1, unknown=True)
        self.update_state(staff_language=lang.code)
        done = recorded_prompts(self.session).get(lang.code, {})
        names = self.scripts.menu.prompt_names()
        first = next((i for i, name in enumerate(names) if name not in done), 0)
        return self.ask_recording(first)

    def ask_recording(self, index: int, cue: str | None = None) -> VoiceResponse:
        names = self.scripts.menu.prompt_names()
        if index >= len(names):
            self.say_staff(self.response, "finished")
            self.response.hangup()
            return self.done()
        if cue:
            self.say_staff(self.response, cue)
        self.say_staff(self.response, "next_prompt")
        self.response.say(
            f"{index + 1} of {len(names)}: {names[index].replace('_', ' ')}.",
            language="en-US",
            voice=LANGUAGES["en"].twilio_say_voice,
        )
        self.say_staff(self.response, "record")
        self.response.record(
            action=self.url("/voice/staff/recorded", i=index),
            method="POST",
            timeout=5,
            finish_on_key="#",
            max_length=90,
            play_beep=True,
            trim="trim-silence",
        )
        self.response.redirect(self.url("/voice/staff/recorded", i=index, empty=1), method="POST")
        return self.done()

    def recorded(self, index: int, empty: bool) -> VoiceResponse:
        self._require_ok()
        url = self.form.get("RecordingUrl", "")
        sid = self.form.get("RecordingSid", "")
        raw = self.form.get("RecordingDuration", "")
        duration = whole_number(raw) or 0
        if empty or not url or not sid or duration < 1:
            silent = int(self.state.get("staff_silent") or 0) + 1
            self.update_state(staff_silent=silent)
            if silent >= MAX_SILENT_TAKES:
                self.say_staff(self.response, "goodbye")
                self.response.hangup()
                return self.done()
            return self.ask_recording(index, cue="nothing_recorded")
        self.update_state(staff_silent=0)
        self.update_state(staff_pending={"sid": sid, "url": url, "duration": duration})
        return self.review(index)

    def review(self, index: int) -> VoiceResponse:
        pending = self.state.get("staff_pending") or {}
        gather = self.response.gather(
            action=self.url("/voice/staff/review", i=index),
            method="POST",
            num_digits=1,
            finish_on_key="",
            timeout=8,
            action_on_empty_result=True,
        )
        self.say_staff(gather, "listen")
        gather.play(str(pending.get("url", "")))
        self.say_staff(gather, "review")
        return self.done()

    def reviewed(self, index: int, digits: str) -> VoiceResponse:
        self._require_ok()
        pending = self.state.get("staff_pending")
        if digits == "1" and pending:
            self.keep(index, pending)
            self.update_state(staff_pending=None)
            return self.ask_recording(index + 1, cue="kept")
        if digits in ("2", "3", "*") and pending:
            discard_take(self.session, str(pending.get("sid", "")))
            self.update_state(staff_pending=None)
        if digits == "2":
            return self.ask_recording(index)
        if digits == "3":
            return self.ask_recording(index + 1)
        if digits == "*":
            self.say_staff(self.response, "goodbye")
            self.response.hangup()
            return self.done()
        return self.review(index)

    def keep(self, index: int, pending: dict[str, Any]) -> None:
        from hotline.review.service import PENDING, has_reviewed_voice

        language = str(self.state["staff_language"])
        prompt = self.scripts.menu.prompt_names()[index]
        # Over a reviewed recording, a new take waits for review (HOTLINE_RECORDINGS_NEED_REVIEW).
        held = self.settings.recordings_need_review and has_reviewed_voice(
            self.session, self.scripts, language, prompt
        )
        if not held:
            replace_kept_recording(self.session, language, prompt)
        row = PromptRecording(
            language=language,
            prompt=prompt,
            agent_id=int(self.state["staff_agent"]),
            recording_sid=str(pending["sid"]),
            recording_url=str(pending["url"]),
            duration_seconds=int(pending.get("duration") or 0),
            status=PENDING if held else "kept",
            reviewed=False,
        )
        self.session.add(row)
        self.session.flush()
        defer(self.session, FETCH_JOB, prompt_recording_id=row.id)
