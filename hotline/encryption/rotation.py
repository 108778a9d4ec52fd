"""Which keys hold the stored data, the start-up check, and re-encryption with the
current key (`hotline keys status|rotate`).

Rotation keeps no progress of its own: a value's key id says whether it still needs
re-encrypting, so a rotation stopped at any point (a kill, a crash, `--max-batches`)
resumes by running it again, and every value stays readable in between.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    LargeBinary,
    Table,
    Text,
    bindparam,
    func,
    inspect,
    select,
    type_coerce,
    update,
)
from sqlalchemy.types import TypeEngine

from hotline.db import Database, insert_unless_taken, utcnow
from hotline.encryption import (
    DataKeyError,
    EncryptedBytes,
    EncryptedText,
    Keyring,
    key_id_of,
)
from hotline.encryption.models import DataKeyRecord

# Audio rows are large: they move a few at a time whatever --batch-size says.
AUDIO_BATCH = 20


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    column: Column[Any]

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    @property
    def binary(self) -> bool:
        return isinstance(self.column.type, EncryptedBytes)

    @property
    def raw_type(self) -> TypeEngine[Any]:
        return LargeBinary() if self.binary else Text()

    @property
    def raw(self) -> Any:
        """The column as stored, bypassing decryption."""
        return type_coerce(self.column, self.raw_type)


def sealed_columns() -> list[SealedColumn]:
    """Every encrypted column of the schema, found from the models' column types."""
    from hotline.models import metadata

    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText | EncryptedBytes):
                found.append(SealedColumn(table, column))
    return found


def verify_data_keys(db: Database) -> None:
    """Stop with DataKeyError when a key that still seals data is missing or different;
    record the current key as in use. A database not yet migrated is left alone."""
    keyring: Keyring = db.keyring
    if not inspect(db.engine).has_table(DataKeyRecord.__tablename__):
        return
    current = keyring.current
    with db.session() as session:
        for record in session.scalars(select(DataKeyRecord)):
            key = keyring.keys.get(record.key_id)
            if key is None and record.retired_at is None:
                raise DataKeyError(
                    f"stored data is encrypted with key {record.key_id}, which is not"
                    " configured: add it back to HOTLINE_DATA_KEYS (or restore"
                    " HOTLINE_SECRET_KEY); `hotline keys status` shows what it holds"
                )
            if key is not None and key.check_value != record.check_value:
                raise DataKeyError(
                    f"HOTLINE_DATA_KEYS holds a different key under the id {record.key_id}"
                    " than the one that encrypted the stored data"
                )
            if record.key_id == current.key_id and record.retired_at is not None:
                record.retired_at = None
        insert_unless_taken(
            session,
            DataKeyRecord,
            key_id=current.key_id,
            check_value=current.check_value,
            first_used_at=utcnow(),
        )


def key_counts(db: Database) -> dict[str, Counter[str]]:
    """How many stored values each key id seals, per column ("plaintext" if none)."""
    counts: dict[str, Counter[str]] = {}
    with db.session() as session:
        for sealed in sealed_columns():
            head = func.substr(sealed.raw, 1, 48)
            tally: Counter[str] = Counter()
            rows = session.execute(
                select(type_coerce(head, sealed.raw_type)).where(sealed.column.is_not(None)),
                execution_options={"yield_per": 5000},
            )
            for (value,) in rows:
                tally[key_id_of(value) or "plaintext"] += 1
            counts[sealed.name] = tally
    return counts


@dataclass
class RotationReport:
    rewritten: Counter[str] = field(default_factory=Counter)  # per column
    batches: int = 0
    finished: bool = False
    retired: list[str] = field(default_factory=list)


def rotate(
    db: Database,
    *,
    batch_size: int = 1000,
    max_batches: int | None = None,
    on_batch: Callable[[str, int], None] | None = None,
) -> RotationReport:
    """Re-encrypt every value not sealed with the current key, one committed batch at a
    time. Each row is rewritten only if it still holds what was read (a conditional
    update), so concurrent writers are never overwritten."""
    keyring: Keyring = db.keyring
    report = RotationReport()
    for sealed in sealed_columns():
        size = min(batch_size, AUDIO_BATCH) if sealed.binary else batch_size
        prefix: str | bytes = keyring.current.prefix
        if sealed.binary:
            prefix = keyring.current.prefix.encode("ascii")
        head = type_coerce(func.substr(sealed.raw, 1, len(prefix)), sealed.raw_type)
        pk = sealed.table.primary_key.columns.values()[0]
        change = (
            update(sealed.table)
            .where(pk == bindparam("b_id"), sealed.raw == bindparam("b_old", type_=sealed.raw_type))
            .values({sealed.column.name: bindparam("b_new", type_=sealed.raw_type)})
        )
        last = 0
        while True:
            if max_batches is not None and report.batches >= max_batches:
                return report
            with db.session() as session:
                rows = session.execute(
                    select(pk, sealed.raw)
                    .where(pk > last, sealed.column.is_not(None), head != prefix)
                    .order_by(pk)
                    .limit(size)
                ).all()
                if not rows:
                    break
                last = rows[-1][0]
                params = [
                    {"b_id": row_id, "b_old": old, "b_new": _reseal(keyring, sealed, old)}
                    for row_id, old in rows
                ]
                session.connection().execute(change, params)
            report.batches += 1
            report.rewritten[sealed.name] += len(rows)
            if on_batch is not None:
                on_batch(sealed.name, len(rows))
    report.finished = True
    report.retired = _retire_unused(db, keyring)
    return report


def _reseal(keyring: Keyring, sealed: SealedColumn, old: str | bytes) -> str | bytes:
    if sealed.binary:
        return keyring.seal(keyring.open(bytes(old), sealed.name), sealed.name)  # type: ignore[arg-type]
    return keyring.seal_text(keyring.open_text(old, sealed.name), sealed.name)  # type: ignore[arg-type]


def _retire_unused(db: Database, keyring: Keyring) -> list[str]:
    """Mark keys that no longer seal anything, so they may leave the configuration."""
    in_use = {key for tally in key_counts(db).values() for key in tally}
    retired = []
    with db.session() as session:
        for record in session.scalars(
            select(DataKeyRecord).where(DataKeyRecord.retired_at.is_(None))
        ):
            if record.key_id != keyring.current.key_id and record.key_id not in in_use:
                record.retired_at = utcnow()
                retired.append(record.key_id)
    return retired


__all__ = [
    "DataKeyError",
    "RotationReport",
    "SealedColumn",
    "key_counts",
    "rotate",
    "sealed_columns",
    "verify_data_keys",
]
