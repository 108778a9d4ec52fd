"""Taking the next live caller: an available agent's phone is rung and, once they
answer, connected to the caller waiting longest in a language queue.

The voice IVR puts callers who pressed 1 into Twilio queues named `hotline-<lang>`
(e.g. `hotline-vi`); this module is the agent's side of that: `<Dial><Queue>`.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from hotline.agents.models import Agent
from hotline.audit import record
from hotline.callbacks.tollfraud import RefusedDestination, check_destination
from hotline.config import Settings
from hotline.crypto import decrypt_phone
from hotline.db import utcnow
from hotline.errors import Refused
from hotline.languages import LANGUAGES
from hotline.languages import get as get_language
from hotline.packs.texts import current_packs
from hotline.telephony import Sent, TelephonyError, telephony
from hotline.voice.models import Call
from hotline.webhooks import BadWebhook, id_arg, require, twilio_webhook, twiml

bp = Blueprint("live_voice", __name__, url_prefix="/voice/live")


def queue_name(language: str) -> str:
    """The Twilio queue callers of `language` wait in (agreed with the voice IVR)."""
    return f"hotline-{language}"


class LiveError(Refused):
    """The live hand-off cannot start now."""


class NotAvailable(LiveError):
    code = "not_available"


class CannotCallAgent(LiveError):
    status = 422
    code = "cannot_dial"


class TelephonyUnavailable(LiveError):
    status = 503
    code = "telephony_unavailable"


def set_availability(
    session: Session, agent: Agent, available: bool, *, reason: str | None = None
) -> Agent:
    """Mark the agent free (or not) for live calls; the IVR offers "talk now" by it
    (see hotline.agents.presence for what else must hold). `reason` says why the system,
    not the agent, turned it off (signed_out, idle)."""
    if available:
        agent.last_active_at = utcnow()  # switching on is an action: not idle
    if agent.available != available:
        agent.available = available
        detail: dict[str, object] = {"available": available}
        if reason is not None:
            detail["reason"] = reason
        record(session, "agent.availability", "agent", agent.id, agent_id=agent.id, **detail)
    return agent


def take_next_caller(
    session: Session, settings: Settings, *, agent: Agent, language: str | None = None
) -> tuple[Call, str]:
    """Ring the agent's phone; when answered it is bridged to the `language` queue.

    The REST call is made inline: this is an agent's request, not a Twilio webhook.
    """
    if not agent.available:
        raise NotAvailable("mark yourself available first (POST /api/agents/me/availability)")
    if language is None:
        language = agent.languages[0]
    if language not in LANGUAGES:
        raise ValueError("language must be a supported language code")
    if not agent.speaks(language):
        raise ValueError("you can only take callers in a language you speak")
    if not agent.phone_encrypted:
        raise CannotCallAgent("you have no phone number on file: ask an administrator")
    phone = decrypt_phone(settings.secret_key, agent.phone_encrypted)
    try:
        check_destination(phone, settings.callback_countries)
    except RefusedDestination as exc:
        raise CannotCallAgent(f"your phone number cannot be called: {exc}") from exc
    base = f"{settings.public_url}/voice/live"
    session.commit()  # hold no database lock (SQLite's is global) while Twilio answers
    try:
        sent: Sent = telephony(settings).place_call(
            phone,
            url=f"{base}/agent?lang={language}&agent={agent.id}",
            status_callback=f"{settings.public_url}/voice/status",
        )
    except TelephonyError as exc:
        raise TelephonyUnavailable("the call could not be placed; try again") from exc
    call = Call(
        sid=sent.sid,
        direction="outbound-api",
        purpose="live",
        agent_id=agent.id,
        language=language,
        status=sent.status,
    )
    session.add(call)
    session.flush()
    record(session, "agent.live_next", "agent", agent.id, agent_id=agent.id, language=language)
    return call, queue_name(language)


@bp.post("/agent")
@twilio_webhook(idempotency=lambda form: f"{form.get('CallSid')}:live-agent")
def agent_answered() -> Response:
    """The agent answered: say which language, then take the longest-waiting caller."""
    require(g.form, "CallSid")
    language = request.args.get("lang", "")
    if language not in LANGUAGES:
        raise BadWebhook("lang must be a supported language code")
    agent_id = id_arg("agent")
    agent = g.db.get(Agent, agent_id) if agent_id is not None else None
    speak = get_language("ja" if agent is not None and agent.ui_language == "ja" else "en")
    packs = current_packs()
    text = packs.agent_line(speak.code, "live_next", language=packs.name_in(speak.code, language))
    response = VoiceResponse()
    response.say(text, language=speak.twilio_say_language, voice=speak.twilio_say_voice)
    dial = response.dial()
    dial.queue(queue_name(language))
    return twiml(response)
