"""What the hotline does with a text a worker sends: keywords, conversation steps and
free text to advisers.

Run by the worker's processor (hotline.sms.processor) on a delivery `/sms/incoming`
stored, in one transaction: the inbound message is stored, the keyword or conversation
step is applied, and one reply is recorded through `queue_sms` (which checks the
opt-out ledger) — two for `INFO <n>`, the topic and where to turn — and sent by the
`sms.send` job through the REST API.

No automatic reply goes to a number that has opted out or that is sending faster than
HOTLINE_SMS_FLOOD_LIMIT per minute; its messages still reach advisers.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.callbacks.models import CallbackRequest
from hotline.callbacks.service import request_callback
from hotline.callers.consent import record_answer
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.cases.service import is_valid_reference, new_case_for, touch, worker_contacted
from hotline.config import Settings
from hotline.db import utcnow
from hotline.languages import LANGUAGES, by_calling_code
from hotline.privacy.notice import retention_values
from hotline.review.live import live_scripts, live_sms_scripts
from hotline.sms import info, optout
from hotline.sms.models import SmsConversation, SmsMessage
from hotline.sms.outbound import queue_sms
from hotline.sms.script_guess import guess_language
from hotline.sms.scripts import KeywordMatch, SmsScripts, words_of
from hotline.sms.segments import count_segments
from hotline.sms.senders import SenderState, sender_states
from hotline.translation.jobs import TRANSLATE_SMS_JOB

CONVERSATION_TTL = dt.timedelta(minutes=30)
FLOOD_WINDOW = dt.timedelta(minutes=1)
WINDOW_ANSWERS = {"1": "morning", "2": "afternoon", "3": "evening"}
MAX_MEDIA = 10
JAPAN_CALLING_CODE = 81


@dataclass(frozen=True)
class Inbound:
    """One text as Twilio delivered it."""

    sid: str
    sender: str
    body: str
    media: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Outcome:
    """What receiving a text did: the stored message and the replies to give, in order."""

    message: SmsMessage
    replies: list[SmsMessage] = field(default_factory=list)
    throttled: bool = False
    deferred: list[str] = field(default_factory=list)

    @property
    def reply(self) -> SmsMessage | None:
        return self.replies[0] if self.replies else None


def calling_code_choices() -> str:
    """One calling code per supported language, in the order of languages.csv."""
    return " ".join(lang.calling_codes[0] for lang in LANGUAGES.values())


def receive(
    session: Session,
    settings: Settings,
    inbound: Inbound,
    scripts: SmsScripts | None = None,
    *,
    received_at: dt.datetime | None = None,
) -> Outcome:
    """Store the text and act on it; raises InvalidPhoneNumber for a sender we cannot text.

    `received_at` is when the webhook stored it: the message's time, and the end of the
    flood window it counts in, however late it is processed.
    """
    received_at = received_at or utcnow()
    (state,) = sender_states(session, settings.secret_key, [(inbound.sender, received_at)])
    outcome = act(session, settings, inbound, state, scripts, received_at=received_at)
    session.flush()
    return outcome


def act(
    session: Session,
    settings: Settings,
    inbound: Inbound,
    sender: SenderState,
    scripts: SmsScripts | None = None,
    *,
    received_at: dt.datetime,
) -> Outcome:
    """`receive` for a sender whose state is known (`hotline.sms.senders`). The message,
    its replies and their `sms.send` jobs are inserted at the session's next flush: the
    processor inserts a whole batch's together."""
    message = SmsMessage(
        sid=inbound.sid,
        direction="in",
        kind="worker",
        caller_id=sender.caller.id,
        body=inbound.body,
        status="received",
        segments=count_segments(inbound.body).segments if inbound.body else 0,
        num_media=len(inbound.media),
        created_at=received_at,
    )
    if inbound.media:
        message.media = inbound.media
    session.add(message)
    scripts = scripts or live_sms_scripts(session, settings)  # reviewers' latest versions
    exchange = _Exchange(session, settings, scripts, sender.caller, message)
    exchange.throttled = sender.recent >= settings.sms_flood_limit
    exchange.open_case = sender.open_case
    exchange.run(inbound)
    return Outcome(message, exchange.replies, exchange.throttled, exchange.deferred)


_EARLIER_TEXT = (
    select(SmsMessage.id)
    .where(
        SmsMessage.case_id == bindparam("case_id"),
        SmsMessage.direction == "in",
        SmsMessage.kind == "worker",
    )
    .limit(1)
)


class _Exchange:
    """One inbound text and the reply it gets (a second one only for `INFO <n>`)."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        scripts: SmsScripts,
        caller: Caller,
        message: SmsMessage,
    ) -> None:
        self.session = session
        self.settings = settings
        self.scripts = scripts
        self.caller = caller
        self.message = message
        self.throttled = False
        self.replies: list[SmsMessage] = []
        self.case: Case | None = None  # the case this text went to
        self.open_case: Case | None = None  # the sender's open case before this text
        self.deferred: list[str] = []
        self.confirming_stop = False  # the reply being recorded confirms a STOP

    # --- dispatch ----------------------------------------------------------------------

    def run(self, inbound: Inbound) -> None:
        match = self.scripts.match(inbound.body) if inbound.body else None
        # Only a possible answer looks for the question asked: most texts skip the query.
        words = words_of(inbound.body)
        could_answer = match is None and len(words) == 1 and words[0] in WINDOW_ANSWERS
        conversation = self._conversation() if could_answer else None
        if match is None and conversation is not None and self._answer(conversation):
            return
        if match is None:
            self._free_text()
            return
        self.message.kind = "keyword"
        language = self._language_of(match)
        self.message.language = language
        handler = getattr(self, f"_{match.keyword}")
        handler(match, language)
        if match.keyword == "info":
            self._info_words(match, language)
        if match.keyword in ("stop", "start", "help", "call") and match.argument:
            # "HELP my boss kept my passport": the words after the keyword are for advisers.
            self._attach_to_case(language, acknowledge=False)

    def _language_of(self, match: KeywordMatch) -> str | None:
        """The sender's language: the keyword's own language when it tells, else known."""
        known = self._known_language()
        if known is not None and known in match.languages:
            return known
        if match.language_specific:
            if known is None and len(match.languages) == 1:
                self.caller.language = match.languages[0]  # remembered, as after 84# by voice
            return match.languages[0]
        return known or self._home_country_language()

    def _home_country_language(self) -> str | None:
        """A guess for an English keyword from a number of unknown language: the language
        of the SIM's country (+84 → Vietnamese). Not for Japanese numbers, which most
        workers here have whatever their language, and never stored as their choice."""
        try:
            number = phonenumbers.parse(self._sender(), None)
        except phonenumbers.NumberParseException:
            return None
        if number.country_code == JAPAN_CALLING_CODE:
            return None
        language = by_calling_code(str(number.country_code))
        return language.code if language is not None else None

    # --- keywords ------------------------------------------------------------------

    def _stop(self, match: KeywordMatch, language: str | None) -> None:
        if not optout.is_opted_out(self.caller):
            # The one confirmation: the last text the number gets (see hotline.sms.gate).
            self.confirming_stop = True
            self._reply(language, "stopped")
            self.confirming_stop = False
        optout.stop(self.session, self.caller, source="sms")

    def _start(self, match: KeywordMatch, language: str | None) -> None:
        optout.start(self.session, self.caller, source="sms")
        self._reply(language, "started")

    def _help(self, match: KeywordMatch, language: str | None) -> None:
        code = language if language in self.scripts.languages else "en"
        assert code is not None
        self._send(help_text(self.scripts, code, self.settings), code)

    def _info(self, match: KeywordMatch, language: str | None) -> None:
        code = self._reply_language(language)
        voice = live_scripts(self.session, self.settings)  # the topics, as reviewed
        topic = info.chosen_topic(match.argument, code, voice)
        if topic is None:
            self._send(info.topic_list(self.scripts, code, voice), code)
            return
        self._send(topic.text, code)
        if not self.replies:
            return  # opted out or flooding: no need to look in the directory
        referral = info.referral_for(self.session, topic, code)
        if referral is not None:
            self._send(referral, code, follow_up=True)

    def _info_words(self, match: KeywordMatch, language: str | None) -> None:
        """Words after `INFO` or `INFO <n>` ("INFO my boss kept my passport") are for
        advisers, as after HELP; a bare number is not."""
        words = match.argument.split()
        if words and words[0].isdecimal():
            words = words[1:]
        if words:
            self._attach_to_case(language, acknowledge=False)

    def _call(self, match: KeywordMatch, language: str | None) -> None:
        case, _ = self._case(language)
        self.message.case_id = case.id
        callback = request_callback(
            self.session,
            self.settings.secret_key,
            case=case,
            caller=self.caller,
            language=language or case.language or self._home_country_language() or "en",
            phone=self._sender(),
            source="sms",
        )
        self._remember(
            "callback_window",
            {"callback_id": callback.id, "language": language or callback.language},
        )
        self._reply(language, "callback", reference=case.reference)

    def _lang(self, match: KeywordMatch, language: str | None) -> None:
        wanted = match.argument.split()[0].strip("+#") if match.argument else ""
        chosen = by_calling_code(wanted) if wanted.isdigit() else LANGUAGES.get(wanted)
        if chosen is None:
            self._reply_common("lang_choices", codes=calling_code_choices())
            return
        self.caller.language = chosen.code
        self._reply(chosen.code, "lang_set", language=chosen.native_name)

    def _status(self, match: KeywordMatch, language: str | None) -> None:
        # Same answer for a malformed, unknown or someone else's reference: no enumeration.
        reference = "".join(ch for ch in match.argument if ch.isdigit() and ch.isascii())
        case = None
        if is_valid_reference(reference):
            case = self.session.scalar(
                select(Case).where(Case.reference == reference, Case.caller_id == self.caller.id)
            )
        if case is None:
            self._reply(language, "status_unknown")
        else:
            # A worker whose choice is not stored yet is answered in their case's language.
            answer_in = self.caller.language or case.language or language
            self._reply(answer_in, f"status_{case.status}", reference=case.reference)

    # --- conversation steps --------------------------------------------------------

    def _conversation(self) -> SmsConversation | None:
        row = self.session.scalar(
            select(SmsConversation).where(SmsConversation.caller_id == self.caller.id)
        )
        if row is not None and row.expires_at <= utcnow():
            self.session.delete(row)
            return None
        return row

    def _remember(self, step: str, data: dict[str, Any]) -> None:
        row = self.session.scalar(
            select(SmsConversation).where(SmsConversation.caller_id == self.caller.id)
        )
        if row is None:
            row = SmsConversation(caller_id=self.caller.id)
            self.session.add(row)
        row.step = step
        row.data = data
        row.expires_at = utcnow() + CONVERSATION_TTL

    def _answer(self, conversation: SmsConversation) -> bool:
        """Apply an answer to the question asked; False when the text is not one."""
        words = words_of(self.message.body)
        if conversation.step != "callback_window" or len(words) != 1:
            return False
        window = WINDOW_ANSWERS.get(words[0])
        if window is None:
            return False
        callback = self.session.get(CallbackRequest, conversation.data.get("callback_id", 0))
        self.session.delete(conversation)
        if callback is None or callback.status == "closed":
            return False
        callback.window = window
        case = self.session.get(Case, callback.case_id)
        assert case is not None
        record_answer(self.session, self.caller, "call_window", window, channel="sms", case=case)
        self.case = case
        self.message.kind = "keyword"
        self.message.case_id = case.id
        touch(case)
        language = conversation.data.get("language") or self.caller.language
        self._reply(language, f"window_{window}", reference=case.reference)
        return True

    # --- free text -------------------------------------------------------------------

    def _known_language(self) -> str | None:
        """The caller's chosen language, else the language of their open case."""
        if self.caller.language is not None:
            return self.caller.language
        case = self.case or self.open_case
        return case.language if case is not None else None

    def _free_text(self) -> None:
        language = self._known_language() or guess_language(self.message.body)
        self._attach_to_case(language, acknowledge=True)

    def _attach_to_case(self, language: str | None, *, acknowledge: bool) -> None:
        language = language or guess_language(self.message.body)
        case, created = self._case(language)
        first = created or not self._has_earlier_text(case)
        self.message.kind = "worker"
        self.message.case_id = case.id
        worker_contacted(case)
        self.message.language = language or case.language
        if acknowledge and first:
            reply_language = self.message.language
            if reply_language is None:
                self._reply_common(
                    "received_neutral", reference=case.reference, codes=calling_code_choices()
                )
            else:
                self._reply(reply_language, "received", reference=case.reference)
        if self.message.body.strip():
            jobs.defer_for(self.session, TRANSLATE_SMS_JOB, self.message, "message_id")
            self.deferred.append(TRANSLATE_SMS_JOB)

    def _has_earlier_text(self, case: Case) -> bool:
        """Whether the worker wrote on this case before (this text is not stored yet)."""
        with self.session.no_autoflush:
            earlier = self.session.scalar(_EARLIER_TEXT, {"case_id": case.id})
        return earlier is not None

    # --- helpers ---------------------------------------------------------------------

    def _case(self, language: str | None) -> tuple[Case, bool]:
        """The case this text goes to, and whether this text opened it."""
        if self.case is not None:
            return self.case, False
        created = False
        if self.open_case is not None:
            self.case = self.open_case
            if self.case.language is None and language is not None:
                self.case.language = language
            touch(self.case)
        else:
            self.case, created = new_case_for(self.session, self.caller, language=language)
        return self.case, created

    def _sender(self) -> str:
        from hotline.callers.service import caller_phone

        return caller_phone(self.settings.secret_key, self.caller)

    def _reply_language(self, language: str | None) -> str:
        return language if language is not None and language in self.scripts.languages else "en"

    def _reply(self, language: str | None, key: str, /, **values: str) -> None:
        code = self._reply_language(language)
        self._send(self.scripts.reply(code, key, **values), code)

    def _reply_common(self, key: str, **values: str) -> None:
        self._send(self.scripts.common(key, **values), None)

    def _send(self, body: str, language: str | None, *, follow_up: bool = False) -> None:
        """Record a reply; a text gets one, and a `follow_up` only after it."""
        if self.throttled or len(self.replies) != (1 if follow_up else 0):
            return
        record: dict[str, Any] = {
            "caller": self.caller,
            "body": unicodedata.normalize("NFC", body),
            "case": self.case,
            "kind": "system",
            "language": language,
        }
        if self.confirming_stop:
            reply = queue_sms(self.session, purpose="stop_confirmation", flush=False, **record)
        else:
            reply = queue_sms(self.session, purpose="keyword_answer", flush=False, **record)
        if reply is not None:
            self.replies.append(reply)


def help_text(scripts: SmsScripts, language: str, settings: Settings) -> str:
    """What this number is, and how long the hotline keeps what the worker sends."""
    help_reply = scripts.reply(language, "help")
    return help_reply + "\n" + scripts.reply(language, "privacy", **retention_values(settings))
