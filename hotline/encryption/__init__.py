"""Encryption at rest for what workers say: message bodies, transcripts, translations,
notes and recorded audio.

Columns declared `EncryptedText` / `EncryptedBytes` are sealed with AES-256-GCM when
written and opened when read, so the code that reads and writes them does not change.
Every stored value starts with the id of the key that sealed it (`hx1:<key id>:`), which
lets several keys be readable at once while `hotline keys rotate` moves data to the
current one. Keys come only from configuration (HOTLINE_DATA_KEYS, or a key derived
from HOTLINE_SECRET_KEY); the database holds key ids and check values, never a key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import LargeBinary, Text
from sqlalchemy.types import TypeDecorator

from hotline.config import KEY_BYTES, KEY_ID, ConfigError, Settings, parse_data_keys

MAGIC = "hx1:"
NONCE_BYTES = 12
DIALECT_ATTRIBUTE = "hotline_keyring"

__all__ = ["KEY_BYTES", "KEY_ID", "parse_data_keys"]  # read with the settings, in config


class DataKeyError(ConfigError):
    """Stored data cannot be read with the configured keys; the message says which key."""


@dataclass(frozen=True)
class DataKey:
    key_id: str
    secret: bytes = field(repr=False)

    @property
    def check_value(self) -> str:
        """A fingerprint stored beside the data, so a wrong key is caught at start-up."""
        return hmac.new(self.secret, b"hotline data key check", hashlib.sha256).hexdigest()[:32]

    @property
    def prefix(self) -> str:
        return f"{MAGIC}{self.key_id}:"


def derived_key(secret_key: str) -> DataKey:
    """The key used when HOTLINE_DATA_KEYS is not set: nothing new to configure."""
    secret = HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=b"hotline", info=b"data-encryption"
    ).derive(secret_key.encode("utf-8"))
    fingerprint = hmac.new(secret, b"hotline key id", hashlib.sha256).hexdigest()[:8]
    return DataKey(f"s{fingerprint}", secret)


def new_key_text(key_id: str) -> str:
    """A fresh `id:key` entry for HOTLINE_DATA_KEYS."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


class Keyring:
    """The keys this process can read with, and the one it writes with."""

    def __init__(self, current: DataKey, others: tuple[DataKey, ...] = ()) -> None:
        self.current = current
        self.keys = {key.key_id: key for key in (*others, current)}
        self._ciphers = {key.key_id: AESGCM(key.secret) for key in self.keys.values()}

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        derived = derived_key(settings.secret_key)
        if not settings.data_keys:
            return cls(derived)
        configured = [DataKey(key_id, secret) for key_id, secret in settings.data_keys]
        # The derived key stays readable, so data written before HOTLINE_DATA_KEYS was
        # set can be rotated to the configured key.
        others = (*configured[1:], derived)
        return cls(configured[0], tuple(k for k in others if k.key_id != configured[0].key_id))

    def seal(self, plaintext: bytes, context: str) -> bytes:
        """`hx1:<key id>:` + nonce + AES-GCM ciphertext; `context` (the column) is bound in."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current.key_id].encrypt(nonce, plaintext, context.encode())
        return self.current.prefix.encode("ascii") + nonce + sealed

    def open(self, stored: bytes, context: str) -> bytes:
        key_id, body = _split(stored)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DataKeyError(
                f"stored data is encrypted with key {key_id}, which is not configured:"
                " add it back to HOTLINE_DATA_KEYS (or restore HOTLINE_SECRET_KEY)"
            )
        try:
            return cipher.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise DataKeyError(
                f"key {key_id} does not open a stored value of {context}: HOTLINE_DATA_KEYS"
                " holds a different key under that id, or the value was altered"
            ) from None

    def seal_text(self, text: str, context: str) -> str:
        sealed = self.seal(text.encode("utf-8"), context)
        cut = len(self.current.prefix)
        return self.current.prefix + base64.b64encode(sealed[cut:]).decode("ascii")

    def open_text(self, stored: str, context: str) -> str:
        key_id, _, encoded = stored[len(MAGIC) :].partition(":")
        if not stored.startswith(MAGIC) or not encoded:
            raise DataKeyError(
                f"a stored value of {context} is not encrypted: run `hotline db upgrade`"
            )
        try:
            sealed = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise DataKeyError(f"a stored value of {context} is damaged (not base64)") from None
        raw = f"{MAGIC}{key_id}:".encode("ascii") + sealed
        return self.open(raw, context).decode("utf-8")


def key_id_of(stored: bytes | str) -> str | None:
    """The key id a stored value names, or None for a value that is not encrypted."""
    head = stored[:48].encode("ascii", "replace") if isinstance(stored, str) else stored[:48]
    try:
        return _split(head)[0]
    except DataKeyError:
        return None


def _split(stored: bytes) -> tuple[str, bytes]:
    magic = MAGIC.encode("ascii")
    end = stored.find(b":", len(magic), len(magic) + 33)
    if not stored.startswith(magic) or end < 0:
        raise DataKeyError("a stored value is not encrypted: run `hotline db upgrade`")
    return stored[len(magic) : end].decode("ascii", "replace"), stored[end + 1 :]


def keyring_of(dialect: Any) -> Keyring:
    keyring = getattr(dialect, DIALECT_ATTRIBUTE, None)
    if keyring is None:
        raise DataKeyError("this database connection has no data keys (see hotline.db.Database)")
    return keyring


class EncryptedText(TypeDecorator[str]):
    """Text sealed at rest; `context` names the column and is authenticated with it."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else keyring_of(dialect).seal_text(value, self.context)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else keyring_of(dialect).open_text(value, self.context)


class EncryptedBytes(TypeDecorator[bytes]):
    """Binary data (audio) sealed at rest, stored as raw bytes without base64."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else keyring_of(dialect).seal(bytes(value), self.context)

    def process_result_value(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else keyring_of(dialect).open(bytes(value), self.context)
