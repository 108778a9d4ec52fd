"""The referral directory's rules: searching, validating, adding, editing, verifying and
seeding organisations, and the SMS that tells a worker where to turn.

The web page, the JSON API, the CLI and the case referrals all go through these
functions, so an entry is validated the same way wherever it is typed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import yamltext
from hotline.audit import record
from hotline.db import utcnow
from hotline.directory import hours as hours_text
from hotline.directory.models import ORGANISATION_KINDS, Organisation
from hotline.languages import LANGUAGES
from hotline.sms.scripts import default_scripts
from hotline.sms.segments import count_segments, is_gsm7

MAX_REFERRAL_SEGMENTS = 3
MIN_NAME = 24  # characters of a name kept however long the hours are
# Digits with single spaces or hyphens, optionally led by + (international) or # (short
# codes such as #7119): what is printed on official pages, and what a phone can dial.
_PHONE = re.compile(r"^[+#]?\d+(?:[- ]\d+)*$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
EDITABLE = (
    "name_ja",
    "name_en",
    "known_as",
    "kind",
    "prefecture",
    "country",
    "phone",
    "hours",
    "languages",
    "url",
    "source",
)
# Changing one of these means the entry no longer says what a supervisor checked.
CONTACT_FIELDS = ("name_ja", "name_en", "phone", "hours", "languages", "url", "prefecture")
_LIMITS = {"name_ja": 200, "name_en": 200, "known_as": 120, "url": 300, "source": 300}


class DirectoryError(ValueError):
    """An entry's value is not acceptable; `field` names it for forms and API answers."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- Prefectures and countries -------------------------------------------------------


@dataclass(frozen=True)
class Prefecture:
    code: str  # romanised, lower case: "tokyo"
    iso: str  # ISO 3166-2: "JP-13"
    name_en: str
    name_ja: str


@cache
def prefectures() -> dict[str, Prefecture]:
    """Japan's 47 prefectures by code, north to south (`hotline/data/prefectures.csv`)."""
    text = (resources.files("hotline") / "data" / "prefectures.csv").read_text("utf-8")
    rows = [Prefecture(**row) for row in csv.DictReader(text.splitlines())]
    return {row.code: row for row in rows}


@cache
def _countries() -> frozenset[str]:
    return frozenset(str(code) for code in Locale.parse("en").territories if str(code).isalpha())


# --- Validation ----------------------------------------------------------------------


def _text(field: str, value: Any, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DirectoryError(field, "is required")
        return None
    if not isinstance(value, str):
        raise DirectoryError(field, "must be text")
    value = " ".join(value.split())
    limit = _LIMITS.get(field)
    if limit is not None and len(value) > limit:
        raise DirectoryError(field, f"must be at most {limit} characters")
    return value


def parse_languages(value: Any) -> list[str]:
    """Language codes from a list or a comma-separated text; each must be one of the 22."""
    if isinstance(value, str):
        value = [part for part in re.split(r"[,\s]+", value) if part]
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise DirectoryError("languages", "must be a list of language codes")
    unknown = [code for code in value if code not in LANGUAGES]
    if unknown:
        raise DirectoryError(
            "languages", f"unknown language code(s): {', '.join(unknown)} (use e.g. vi, ne, my)"
        )
    return list(dict.fromkeys(value))


def validate(values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Checked, normalised values for an organisation; DirectoryError names the first bad
    field. With `partial`, only the given fields are checked (for edits)."""
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise DirectoryError(unknown[0], "is not a field of an organisation")
    out: dict[str, Any] = {}

    def wanted(field: str) -> bool:
        return field in values or not partial

    for field in ("name_ja", "name_en"):
        if wanted(field):
            out[field] = _text(field, values.get(field), required=True)
    for field in ("known_as", "source"):
        if wanted(field):
            out[field] = _text(field, values.get(field), required=False)
    if wanted("kind"):
        kind = values.get("kind")
        if kind not in ORGANISATION_KINDS:
            raise DirectoryError("kind", f"must be one of: {', '.join(ORGANISATION_KINDS)}")
        out["kind"] = kind
    if wanted("prefecture"):
        prefecture = _text("prefecture", values.get("prefecture"), required=False)
        if prefecture is not None:
            prefecture = prefecture.lower()
            if prefecture not in prefectures():
                raise DirectoryError(
                    "prefecture", "must be a prefecture such as tokyo or osaka (empty: nationwide)"
                )
        out["prefecture"] = prefecture
    if wanted("country"):
        country = _text("country", values.get("country"), required=False)
        if country is not None:
            country = country.upper()
            if country not in _countries():
                raise DirectoryError("country", "must be a two-letter ISO region such as VN")
        out["country"] = country
    if wanted("phone"):
        phone = _text("phone", values.get("phone"), required=True)
        digits = sum(ch.isdigit() for ch in phone or "")
        if phone is None or not _PHONE.match(phone) or not 3 <= digits <= 15 or len(phone) > 24:
            raise DirectoryError(
                "phone", "must be a number as dialled, e.g. 0120-558-815, +84 24 1234 5678 or #7119"
            )
        out["phone"] = phone
    if wanted("hours"):
        raw = values.get("hours") or ""
        if not isinstance(raw, str):
            raise DirectoryError("hours", "must be text")
        try:
            out["hours"] = hours_text.normalise(raw)
        except hours_text.HoursError as exc:
            raise DirectoryError("hours", str(exc)) from exc
        if len(out["hours"]) > 200:
            raise DirectoryError("hours", "must be at most 200 characters")
    if wanted("languages"):
        out["languages"] = parse_languages(values.get("languages"))
    if wanted("url"):
        url = _text("url", values.get("url"), required=False)
        if url is not None and not _URL.match(url):
            raise DirectoryError("url", "must be a web address starting with https:// or http://")
        out["url"] = url
    if out.get("kind") == "embassy" and not out.get("country") and not partial:
        raise DirectoryError("country", "is required for an embassy or consulate")
    return out


# --- Reading -------------------------------------------------------------------------


def search(
    session: Session,
    language: str | None = None,
    prefecture: str | None = None,
    kind: str | None = None,
) -> list[Organisation]:
    """Active organisations a worker could turn to.

    `prefecture` keeps the nationwide entries too; `language` keeps the entries that list
    it and those that list no language (their languages are not stated: FRESC's front
    desk, say), the ones that list it first.
    """
    query = select(Organisation).where(Organisation.active.is_(True))
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    if prefecture is not None:
        query = query.where(
            (Organisation.prefecture == prefecture) | Organisation.prefecture.is_(None)
        )
    rows = list(session.scalars(query.order_by(Organisation.name_en, Organisation.id)))
    if language is None:
        return rows
    # The languages are a JSON list: filtered here, portably, on a table of hundreds.
    rows = [org for org in rows if language in org.languages or not org.languages]
    return sorted(rows, key=lambda org: language not in org.languages)


def display_name(org: Organisation, language: str) -> str:
    """The name a worker would recognise: Japanese for Japanese, else `known_as` or English."""
    if language == "ja":
        return org.name_ja
    return org.known_as or org.name_en


def organisation_json(org: Organisation) -> dict[str, Any]:
    """An organisation as the API shows it: hours raw and in English."""
    return {
        "id": org.id,
        "name_ja": org.name_ja,
        "name_en": org.name_en,
        "known_as": org.known_as,
        "kind": org.kind,
        "prefecture": org.prefecture,
        "country": org.country,
        "phone": org.phone,
        "hours": org.hours,
        "hours_en": hours_text.render(org.hours, "en"),
        "languages": list(org.languages),
        "url": org.url,
        "verified": org.verified_at is not None,
        "verified_at": org.verified_at.isoformat() if org.verified_at else None,
        "source": org.source,
        "active": org.active,
    }


# --- The referral SMS ----------------------------------------------------------------


def _fits(text: str) -> bool:
    return count_segments(text).segments <= MAX_REFERRAL_SEGMENTS


def _shorter_name(name: str) -> str:
    """The name without a parenthesised part: 'Hōterasu (Japan Legal ...)' -> 'Hōterasu'."""
    return re.sub(r"\s*[(（][^)）]*[)）]", "", name).strip() or name


def _cut(text: str, fits: Any) -> str:
    """The longest prefix of `text` (ending in …) for which `fits` holds, else ''."""
    for end in range(len(text) - 1, 0, -1):
        candidate = text[:end].rstrip() + "…"
        if fits(candidate):
            return candidate
    return ""


def referral_text(org: Organisation, language: str) -> str:
    """The SMS telling a worker, in their language, the organisation's name, phone and
    hours, in at most three segments: the name is shortened first, then the hours."""
    scripts = default_scripts()

    def fill(name: str, hours: str) -> str:
        text = scripts.reply(language, "referral", name=name, phone=org.phone, hours=hours)
        # An en dash would turn a GSM-7 text into UCS-2 and halve what fits.
        plain = text.replace("–", "-")
        return plain if is_gsm7(plain) else text

    name = display_name(org, language)
    long_hours = hours_text.render(org.hours, language)
    short_hours = hours_text.render(org.hours, language, width="short")
    for candidate in (
        fill(name, long_hours),
        fill(_shorter_name(name), long_hours),
        fill(_shorter_name(name), short_hours),
    ):
        if _fits(candidate):
            return candidate
    short_name = _shorter_name(name)
    cut_name = _cut(short_name, lambda n: _fits(fill(n, short_hours)))
    if cut_name:
        return fill(cut_name, short_hours)
    # Hours too long to leave room for the name: keep enough of the name to recognise it.
    if len(short_name) > MIN_NAME:
        short_name = short_name[: MIN_NAME - 1].rstrip() + "…"
    cut_hours = _cut(short_hours, lambda h: _fits(fill(short_name, h)))
    return fill(short_name, cut_hours)


# --- Changing the directory ----------------------------------------------------------


def add(session: Session, values: Mapping[str, Any], *, agent_id: int | None) -> Organisation:
    """A new, unverified entry (audited)."""
    org = Organisation(**validate(values), active=True)
    session.add(org)
    session.flush()
    record(session, "directory.add", "organisation", org.id, agent_id=agent_id)
    return org


def edit(
    session: Session, org: Organisation, values: Mapping[str, Any], *, agent_id: int | None
) -> list[str]:
    """Apply the changed fields; a change of name, phone, hours, languages, address or
    prefecture clears the verification, since the entry no longer says what was checked.
    Returns the names of the fields that changed (audited)."""
    checked = validate(values, partial=True)
    merged = {field: getattr(org, field) for field in EDITABLE} | checked
    validate(merged)
    changed = [field for field, value in checked.items() if getattr(org, field) != value]
    for field in changed:
        setattr(org, field, checked[field])
    if changed:
        org.updated_at = utcnow()
        if set(changed) & set(CONTACT_FIELDS):
            org.verified_at = None
            org.verified_by_id = None
        record(session, "directory.edit", "organisation", org.id, agent_id=agent_id, fields=changed)
    return changed


def verify(session: Session, org: Organisation, *, agent_id: int) -> None:
    """Record that a supervisor checked the entry against its official source now."""
    org.verified_at = utcnow()
    org.verified_by_id = agent_id
    record(session, "directory.verify", "organisation", org.id, agent_id=agent_id)


def set_active(session: Session, org: Organisation, active: bool, *, agent_id: int | None) -> None:
    """Hide an entry from searches (or show it again) without losing its history."""
    org.active = active
    org.updated_at = utcnow()
    action = "directory.activate" if active else "directory.deactivate"
    record(session, action, "organisation", org.id, agent_id=agent_id)


# --- Seeding -------------------------------------------------------------------------


def seed_entries() -> list[dict[str, Any]]:
    """The entries of `hotline/data/directory.yaml`, each validated, with its seed key."""
    path = resources.files("hotline") / "data" / "directory.yaml"
    data = yamltext.parse(path.read_text("utf-8"))
    entries: list[dict[str, Any]] = []
    keys: set[str] = set()
    for n, raw in enumerate(data.get("organisations") or [], start=1):
        key = raw.pop("key", None)
        source_date = raw.pop("source_date", None)
        if not isinstance(key, str) or not key or key in keys:
            raise ValueError(f"directory.yaml entry {n}: missing or repeated key {key!r}")
        if not raw.get("source") or not source_date:
            raise ValueError(f"directory.yaml {key}: every entry needs source and source_date")
        raw["source"] = f"{raw['source']} (source date: {source_date})"
        try:
            values = validate(raw)
        except DirectoryError as exc:
            raise ValueError(f"directory.yaml {key}: {exc}") from exc
        keys.add(key)
        entries.append({"seed_key": key, **values})
    return entries


def seed(session: Session, *, agent_id: int | None = None) -> list[Organisation]:
    """Add the seed entries not in the database yet, unverified; entries already there
    (perhaps corrected by a supervisor since) are left as they are. Returns those added."""
    known = set(
        session.scalars(select(Organisation.seed_key).where(Organisation.seed_key.is_not(None)))
    )
    added = []
    for values in seed_entries():
        if values["seed_key"] in known:
            continue
        org = Organisation(**values, active=True, verified_at=None)
        session.add(org)
        added.append(org)
    session.flush()
    if added:
        record(session, "directory.seed", "organisation", None, agent_id=agent_id, added=len(added))
    return added
