"""What the hotline knows of the senders of texts, asked for many texts at once.

The worker's processor (hotline.sms.processor) acts on rounds of texts from distinct
senders: their callers, open cases and recent texts come from three statements for the
whole round (callers with their open case, the texts of the flood window, the callers
of new numbers), where asking text by text cost two or three round trips each.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.callers.service import create_callers
from hotline.cases.models import Case
from hotline.crypto import normalise_phone, phone_hash
from hotline.sms.models import SmsMessage

FLOOD_WINDOW = dt.timedelta(minutes=1)


@dataclass
class SenderState:
    """A text's sender as it stood before the text: its caller (created on its first
    text), how many texts it sent in the flood window, and its open case (at most one)."""

    caller: Caller
    recent: int
    open_case: Case | None


def sender_states(
    session: Session, secret: str, texts: Sequence[tuple[str, dt.datetime]]
) -> list[SenderState]:
    """The state of each text's sender, for texts `(sender, received_at)` from distinct
    senders; raises InvalidPhoneNumber for a sender the hotline cannot text."""
    digests = [phone_hash(secret, normalise_phone(sender)) for sender, _ in texts]
    found: dict[str, tuple[Caller, Case | None]] = {
        caller.phone_hash: (caller, case)
        for caller, case in session.execute(
            select(Caller, Case)
            .outerjoin(Case, (Case.caller_id == Caller.id) & (Case.status != "closed"))
            .where(Caller.phone_hash.in_(set(digests)))
        )
    }
    # Only senders known before this batch can have texts in the flood window.
    known = [caller.id for caller, _ in found.values()]
    pairs = zip(texts, digests, strict=True)
    new = [sender for (sender, _), digest in pairs if digest not in found]
    if new:
        for digest, caller in create_callers(session, secret, new).items():
            found.setdefault(digest, (caller, None))
    earliest = min(received_at for _, received_at in texts) - FLOOD_WINDOW
    recent = _recent_texts(session, known, earliest) if known else {}
    states = []
    for (_, received_at), digest in zip(texts, digests, strict=True):
        caller, case = found[digest]
        since = received_at - FLOOD_WINDOW
        count = sum(1 for sent_at in recent.get(caller.id, ()) if sent_at >= since)
        states.append(SenderState(caller, count, case))
    return states


def _recent_texts(
    session: Session, caller_ids: list[int], since: dt.datetime
) -> dict[int, list[dt.datetime]]:
    """When each of these callers' texts since `since` were received."""
    times: dict[int, list[dt.datetime]] = defaultdict(list)
    rows = session.execute(
        select(SmsMessage.caller_id, SmsMessage.created_at).where(
            SmsMessage.caller_id.in_(caller_ids),
            SmsMessage.direction == "in",
            SmsMessage.created_at >= since,
        )
    )
    for caller_id, created_at in rows:
        times[caller_id].append(created_at)
    return times
