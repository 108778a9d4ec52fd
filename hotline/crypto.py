"""Phone numbers at rest: encrypted, and found again through a keyed hash.

Both keys are derived from HOTLINE_SECRET_KEY with HKDF, so one configured secret is
all an operator keeps. A database dump alone reveals no phone number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

import phonenumbers
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number we can call or text."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hotline", info=purpose).derive(
        secret.encode("utf-8")
    )


@lru_cache(maxsize=8)
def _keys(secret: str) -> tuple[Fernet, bytes]:
    fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"phone-encryption")))
    return fernet, _derive(secret, b"phone-lookup")


@lru_cache(maxsize=8)
def _record_key(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret, b"record-encryption")))


@lru_cache(maxsize=8)
def _cache_lookup_key(secret: str) -> bytes:
    return _derive(secret, b"translation-cache-lookup")


def text_lookup_hash(secret: str, text: str) -> str:
    """Keyed hash of a text for cache look-ups: without the secret, a stored hash cannot
    be confirmed against a guessed message."""
    return hmac.new(_cache_lookup_key(secret), text.encode("utf-8"), hashlib.sha256).hexdigest()


def encrypt_text(secret: str, text: str) -> str:
    """Encrypt a stored document that may quote a number (e.g. replayed TwiML)."""
    return _record_key(secret).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt_text(secret: str, token: str) -> str:
    return _record_key(secret).decrypt(token.encode("ascii")).decode("utf-8")


def normalise_phone(raw: str, default_region: str = "JP") -> str:
    """E.164 form of a number; raise InvalidPhoneNumber for anything else."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("not a phone number") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_hash(secret: str, e164: str) -> str:
    """Keyed hash used to find a caller by number without storing the number in clear."""
    _, lookup_key = _keys(secret)
    return hmac.new(lookup_key, e164.encode("ascii"), hashlib.sha256).hexdigest()


def encrypt_phone(secret: str, e164: str) -> str:
    fernet, _ = _keys(secret)
    return fernet.encrypt(e164.encode("ascii")).decode("ascii")


def decrypt_phone(secret: str, token: str) -> str:
    fernet, _ = _keys(secret)
    return fernet.decrypt(token.encode("ascii")).decode("ascii")


def mask_phone(e164: str) -> str:
    """What an agent may see of a number: country code and last two digits."""
    try:
        number = phonenumbers.parse(e164, None)
        cc = f"+{number.country_code}"
    except phonenumbers.NumberParseException:
        cc = "+"
    return f"{cc} •••• ••{e164[-2:]}"


def key_check_value(secret: str) -> str:
    """A value stored once and compared at start-up: a different HOTLINE_SECRET_KEY
    would make every stored number unreadable, so it must not start silently."""
    return hmac.new(_derive(secret, b"key-check"), b"hotline", hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """API tokens are random and long, so a plain SHA-256 is the right hash for them."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
