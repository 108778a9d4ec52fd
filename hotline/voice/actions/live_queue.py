"""Key 1: talk now — the caller waits in their language's queue for an adviser.

An adviser's client answers the oldest caller with `<Dial><Queue>hotline-vi</Queue>`.
While waiting the caller hears their place and may press 1 to leave for a callback
request; after the language's wait limit they are offered the callback anyway.
"""

from __future__ import annotations

from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from hotline.agents.models import Agent
from hotline.agents.presence import available_now, wait_limit_seconds
from hotline.cases.work import add_event
from hotline.clock import in_window
from hotline.config import Settings
from hotline.db import utcnow
from hotline.voice.actions.registry import Turn, key_action, step
from hotline.voice.state import BadStep

QUEUE_PREFIX = "hotline-"


def queue_name(language: str) -> str:
    """The Twilio queue a caller waits in for an adviser of their language."""
    return QUEUE_PREFIX + language


def opening_hours_for(settings: Settings, language: str) -> str:
    return dict(settings.language_opening_hours).get(language, settings.opening_hours)


def adviser_available(turn: Turn, language: str) -> bool:
    if not in_window(opening_hours_for(turn.settings, language), utcnow()):
        return False
    rows = turn.session.scalars(
        select(Agent.languages).where(available_now(turn.settings, utcnow()))
    )
    return any(language in (langs or []) for langs in rows)


@key_action("talk_now", requires_nodes=("talk_unavailable",))
def talk_now(turn: Turn, play: list[str]) -> VoiceResponse:
    """Into the queue when an adviser of the language is there; else the alternatives."""
    lang = turn.language
    assert lang is not None
    if not adviser_available(turn, lang.code):
        return turn.render_node("talk_unavailable")
    turn.update_state(phase="queue")
    turn.call.queued_at = utcnow()
    turn.say(turn.response, "talk_connecting")
    turn.response.enqueue(
        queue_name(lang.code),
        action=turn.url("/voice/queue/done"),
        method="POST",
        wait_url=turn.url("/voice/queue/wait"),
        wait_url_method="POST",
    )
    return turn.response


@step("queue_wait")
def queue_wait(turn: Turn) -> VoiceResponse:
    """Played while the caller waits: their place in line and the callback offer.

    Nothing is read or written until the wait limit is reached."""
    position = turn.form.get("QueuePosition", "")
    queue_time = turn.form.get("QueueTime", "0")
    if not queue_time.isdigit() or len(queue_time) > 6:
        raise BadStep("QueueTime must be a whole number of seconds")
    lang = turn.language
    assert lang is not None
    if int(queue_time) >= wait_limit_seconds(turn.settings, lang.code):
        # Waited long enough: leave the queue; /voice/queue/done offers a callback.
        turn.update_state(phase="queue_wait_limit", waited_seconds=int(queue_time))
        turn.response.leave()
        return turn.response
    gather = turn.response.gather(
        action=turn.url("/voice/queue/key", t=queue_time),
        method="POST",
        num_digits=1,
        timeout=1,
    )
    if position.isdigit():
        turn.say(gather, "queue_position")
        turn.say_digits(gather, position)
    turn.say(gather, "queue_offer_callback")
    gather.pause(length=10)
    return turn.response


@step("queue_key")
def queue_key(turn: Turn, digits: str) -> VoiceResponse:
    """A key pressed while waiting: `1` leaves the queue for a callback request."""
    if digits == "1":
        turn.update_state(phase="queue_left")
        turn.response.leave()
    return turn.response


@step("queue_done", requires_nodes=("callback_number", "talk_unavailable"))
def queue_done(turn: Turn, result: str) -> VoiceResponse:
    """The caller left the queue: bridged, hung up, chose a callback, or an error."""
    call = turn.call
    if call.queued_at is not None and call.dequeued_at is None:
        call.dequeued_at = utcnow()
    phase = turn.state.get("phase")
    if result == "leave" and phase == "queue_wait_limit":
        return offer_callback_after_waiting(turn)
    if result == "leave":
        turn.update_state(phase="menu")
        return turn.render_node("callback_number")
    if result == "bridged":
        turn.update_state(phase="bridged")
        call.ended_reason = "bridged"
        turn.response.hangup()
        return turn.response
    if result == "hangup":
        turn.update_state(phase="abandoned_in_queue")
        call.ended_reason = "abandoned_in_queue"
        return turn.response
    return turn.render_node("talk_unavailable")


def offer_callback_after_waiting(turn: Turn) -> VoiceResponse:
    """No adviser took the call in time: the case says so, and the caller hears the
    callback offer in their language (1: callback request, *: main menu)."""
    waited = int(turn.state.get("waited_seconds") or 0)
    if turn.caller is not None:
        add_event(turn.session, turn.open_case(), "waited_live", None, waited_seconds=waited)
    turn.update_state(phase="menu")
    return turn.render_node("talk_unavailable")
