"""The `callbacks.place_call` job: ring the agent's phone for one callback attempt.

The attempt is recorded before calling out and every URL Twilio gets is keyed to it,
so the answer webhook and status callbacks find it even if they arrive before the
call's sid has been stored.
"""

from __future__ import annotations

from hotline.agents.models import Agent
from hotline.callbacks.models import CallbackAttempt
from hotline.callbacks.queue import release_expired_leases
from hotline.crypto import decrypt_phone
from hotline.jobs import Backoff, JobRegistry, RetryLater
from hotline.runtime import Runtime
from hotline.telephony import TelephonyError, telephony

PLACE_CALL_JOB = "callbacks.place_call"


def attempt_urls(public_url: str, callback_id: int, attempt_id: int) -> tuple[str, str]:
    """The answer URL and the status-callback URL of one attempt."""
    base = f"{public_url}/voice/callbacks/{callback_id}"
    return f"{base}/agent?attempt={attempt_id}", f"{base}/agent-status?attempt={attempt_id}"


def _give_up(runtime: Runtime, error: Exception, *, attempt_id: int) -> None:
    with runtime.db.session() as session:
        attempt = session.get(CallbackAttempt, attempt_id)
        if attempt is not None and attempt.state == "dial_requested":
            attempt.state = "failed"
            attempt.error = "Twilio could not be reached"


def place_call(runtime: Runtime, *, attempt_id: int) -> None:
    with runtime.db.session() as session:
        attempt = session.get(CallbackAttempt, attempt_id)
        if attempt is None or attempt.state != "dial_requested":
            return  # already placed, or cancelled: idempotent
        agent = session.get(Agent, attempt.agent_id)
        if agent is None or not agent.phone_encrypted:
            attempt.state = "failed"
            attempt.error = "the agent has no phone number"
            return
        to = decrypt_phone(runtime.settings.secret_key, agent.phone_encrypted)
        url, status_callback = attempt_urls(
            runtime.settings.public_url, attempt.callback_id, attempt.id
        )
    try:
        sent = telephony(runtime.settings).place_call(to, url=url, status_callback=status_callback)
    except TelephonyError as exc:
        if not exc.permanent:
            raise RetryLater(str(exc)) from exc
        with runtime.db.session() as session:
            attempt = session.get(CallbackAttempt, attempt_id)
            assert attempt is not None
            attempt.state = "failed"
            attempt.error = str(exc)[:255]
        return
    with runtime.db.session() as session:
        attempt = session.get(CallbackAttempt, attempt_id)
        assert attempt is not None
        if attempt.call_sid is None:
            attempt.call_sid = sent.sid
        if attempt.state == "dial_requested":
            attempt.state = "calling_agent"
            attempt.call_status = sent.status


def release_leases(runtime: Runtime) -> None:
    """Return requests whose agent disappeared to the queue even when nobody is claiming,
    so the queue, the dashboard and the audit log show them as waiting again."""
    with runtime.db.session() as session:
        release_expired_leases(session)


def register(registry: JobRegistry) -> None:
    registry.add(
        PLACE_CALL_JOB, place_call, max_attempts=3, backoff=Backoff((5, 20)), on_give_up=_give_up
    )
    registry.every("callbacks.release_expired_leases", release_leases, seconds=60)
