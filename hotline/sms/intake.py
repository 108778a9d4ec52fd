"""Store first: `/sms/incoming` keeps the raw delivery and answers; nothing else.

The webhook validates what it can without the database (signature, parameters, a
sender the hotline can text back), then writes the delivery with one
`INSERT ... ON CONFLICT (sid) DO NOTHING`: a repeat of the same MessageSid changes
nothing and gets the same empty answer. On PostgreSQL the insert runs on an
autocommitted connection (one round trip: no BEGIN, no COMMIT), and a new row asks for
a NOTIFY on `hotline_inbound`, sent by a thread of the web process once for any number
of texts (hotline.wakeup), which wakes the worker's processor (hotline.sms.processor);
it does the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects import sqlite

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


NOTIFY_CHANNEL = "hotline_inbound"  # the worker's processor listens (hotline.worker)


def sender_key(secret_key: str, sender: str) -> str:
    """The keyed hash that orders a sender's texts; raises InvalidPhoneNumber."""
    return phone_hash(secret_key, normalise_phone(sender))


def store(db: Database, secret_key: str, delivery: Delivery) -> bool:
    """Keep the delivery unless its MessageSid is already kept. True when it was new.

    On SQLite the insert is its own short transaction (the engine starts transactions
    itself); on PostgreSQL it is autocommitted on a connection of its own, and the
    request never needs a session.
    """
    values = {
        "sid": delivery.sid,
        "sender_hash": sender_key(secret_key, delivery.sender),
        "payload": delivery.sealed(),
        "received_at": utcnow(),
        "attempts": 0,
    }
    if db.is_sqlite:
        with db.session() as session:
            return bool(session.connection().execute(SQLITE_INSERT, values).rowcount)
    # The statement as the driver takes it, with the columns' own bind processing
    # (sealing, UTC): compiling and caching a Core statement per request, even running
    # it through SQLAlchemy, cost as much CPU as the rest of the webhook.
    dialect = db.autocommit_engine.dialect
    for name, process in POSTGRES_BIND.items():
        values[name] = process(values[name], dialect)
    with db.autocommitted() as conn:
        stored = bool(conn.execute(POSTGRES_INSERT, values).rowcount)
    if stored:
        db.wake_soon(NOTIFY_CHANNEL)
    return stored


# Built once: the values are bound per request.
SQLITE_INSERT = sqlite.insert(SmsDelivery).on_conflict_do_nothing()
POSTGRES_INSERT = (
    "INSERT INTO sms_deliveries (sid, sender_hash, payload, received_at, attempts)"
    " VALUES (%(sid)s, %(sender_hash)s, %(payload)s, %(received_at)s, %(attempts)s)"
    " ON CONFLICT (sid) DO NOTHING"
)
POSTGRES_BIND = {
    name: SmsDelivery.__table__.c[name].type.process_bind_param  # type: ignore[attr-defined]
    for name in ("payload", "received_at")
}
