"""Store first: `/sms/incoming` keeps the raw delivery and answers; nothing else.

The webhook validates what it can without the database (signature, parameters, a
sender the hotline can text back), then writes the delivery with one
`INSERT ... ON CONFLICT (sid) DO NOTHING`: a repeat of the same MessageSid changes
nothing and gets the same empty answer. On PostgreSQL the insert runs on an
autocommitted connection (one round trip: no BEGIN, no COMMIT) and its trigger
notifies the worker's processor (hotline.sms.processor), which does the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.crypto import normalise_phone, phone_hash
from hotline.db import Database, utcnow
from hotline.sms.models import SmsDelivery


@dataclass(frozen=True)
class Delivery:
    """One text as Twilio delivered it, as stored in `sms_deliveries.payload`."""

    sid: str
    sender: str
    body: str
    media: list[dict[str, str]] = field(default_factory=list)

    def sealed(self) -> str:
        return json.dumps({"from": self.sender, "body": self.body, "media": self.media})

    @classmethod
    def opened(cls, sid: str, payload: str) -> Delivery:
        data: dict[str, Any] = json.loads(payload)
        return cls(sid, data["from"], data["body"], list(data.get("media") or []))


def sender_key(secret_key: str, sender: str) -> str:
    """The keyed hash that orders a sender's texts; raises InvalidPhoneNumber."""
    return phone_hash(secret_key, normalise_phone(sender))


def store(db: Database, session: Session, secret_key: str, delivery: Delivery) -> bool:
    """Keep the delivery unless its MessageSid is already kept. True when it was new.

    `session` is the request's session, used on SQLite (whose transactions the engine
    starts itself); on PostgreSQL the insert is autocommitted on a connection of its own.
    """
    values = {
        "sid": delivery.sid,
        "sender_hash": sender_key(secret_key, delivery.sender),
        "payload": delivery.sealed(),
        "received_at": utcnow(),
        "attempts": 0,
    }
    if db.is_sqlite:
        result = session.connection().execute(SQLITE_INSERT, values)
        session.commit()
        return bool(result.rowcount)
    with db.autocommit_engine.connect() as conn:
        return bool(conn.execute(POSTGRES_INSERT, values).rowcount)


# Built once: the values are bound per request.
SQLITE_INSERT = sqlite.insert(SmsDelivery).on_conflict_do_nothing()
POSTGRES_INSERT = postgresql.insert(SmsDelivery).on_conflict_do_nothing()
