"""encryption at rest: what workers say is sealed with AES-GCM, keys tracked by id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 06:00:00

Existing message bodies, transcripts, translations, notes and audio are encrypted here,
in batches, with the current data key (handed over by `hotline.migrate.upgrade`, or read
from the environment), so no database ever holds a mix the code cannot read. A value
that already opens with a configured key is left alone, so a migration interrupted on
SQLite (whose DDL is not transactional) can simply be run again. The translation cache
is emptied: its keys were unkeyed SHA-256 hashes of the texts and cannot be re-keyed
without the texts; it refills as texts are translated again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

import hotline.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# (table, column, binary)
SEALED = (
    ("sms_messages", "body", False),
    ("case_events", "body", False),
    ("voicemails", "transcript", False),
    ("translations", "text", False),
    ("callback_requests", "note", False),
    ("callback_attempts", "note", False),
    ("voicemail_audio", "audio", True),
    ("prompt_recordings", "audio", True),
)
BATCH = 500


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("check_value", sa.String(length=64), nullable=False),
        sa.Column("first_used_at", hotline.db.UTCDateTime(), nullable=False),
        sa.Column("retired_at", hotline.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_data_keys")),
    )
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM translation_cache"))
    keyring = _Lazy()
    for table, column, binary in SEALED:
        _convert(conn, table, column, binary, keyring, seal=True)
    if keyring.loaded is not None:
        key = keyring.loaded.current
        conn.execute(
            sa.table(
                "data_keys",
                sa.column("key_id"),
                sa.column("check_value"),
                sa.column("first_used_at", hotline.db.UTCDateTime()),
            ).insert(),
            {"key_id": key.key_id, "check_value": key.check_value, "first_used_at": hotline.db.utcnow()},
        )


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM translation_cache"))
    keyring = _Lazy()
    for table, column, binary in SEALED:
        _convert(conn, table, column, binary, keyring, seal=False)
    op.drop_table("data_keys")


class _Lazy:
    """The keyring, built only if a row needs it: an empty database needs no key."""

    loaded: Any = None

    def get(self) -> Any:
        if self.loaded is None:
            from hotline.config import load_settings
            from hotline.encryption import Keyring

            keyring = context.config.attributes.get("hotline.keyring")
            self.loaded = keyring or Keyring.from_settings(load_settings())
        return self.loaded


def _convert(conn: Any, table: str, column: str, binary: bool, keyring: _Lazy, *, seal: bool) -> None:
    from hotline.encryption import DataKeyError

    kind = sa.LargeBinary() if binary else sa.Text()
    t = sa.table(table, sa.column("id", sa.Integer()), sa.column(column, kind))
    where = f"{table}.{column}"
    last = 0
    while True:
        rows = conn.execute(
            sa.select(t.c.id, t.c[column])
            .where(t.c.id > last, t.c[column].is_not(None))
            .order_by(t.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        ring = keyring.get()
        changes = []
        for row_id, value in rows:
            try:
                opened = ring.open(bytes(value), where) if binary else ring.open_text(value, where)
            except DataKeyError:
                opened = None
            if seal and opened is None:
                new = ring.seal(bytes(value), where) if binary else ring.seal_text(value, where)
            elif not seal and opened is not None:
                new = opened
            else:
                continue
            changes.append({"b_id": row_id, "b_value": new})
        if changes:
            conn.execute(
                sa.update(t)
                .where(t.c.id == sa.bindparam("b_id"))
                .values({column: sa.bindparam("b_value", type_=kind)}),
                changes,
            )
