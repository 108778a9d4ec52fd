"""Translating texts for agents and workers: redaction, glossary, cache, usage.

Every translation goes the same way: normalise, redact personal data and protect
glossary terms (`redaction.protect`), look the result up in the cache, ask Google only
on a miss, then restore the placeholders. The cache is keyed on the text exactly as it
would be sent plus the language pair, so an identical text is never sent twice, even
by two workers at the same moment (the first claims the key, the second waits for its
answer). Each call to Google and each cache hit is written to `TranslationUsage`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from hotline.crypto import text_lookup_hash
from hotline.db import utcnow
from hotline.languages import LANGUAGES
from hotline.packs.texts import current_packs
from hotline.translation.claims import claim_cache_entry, wait_for_claim
from hotline.translation.google import GoogleTranslate, ProviderError
from hotline.translation.models import TranslationCacheEntry, TranslationUsage
from hotline.translation.redaction import normalise, protect, restore
from hotline.translation.usage import japan_day

if TYPE_CHECKING:
    from hotline.runtime import Runtime

PROVIDER = "google"
MAX_CHARACTERS = 30_000  # Google's recommended maximum per request


def _by_google_code() -> dict[str, str]:
    """Google's codes for our languages: each row's `google_translate`, and the older
    codes Google may still detect (a pack's `google_codes`: `tl` for Filipino)."""
    found = {lang.google_translate: lang.code for lang in LANGUAGES.values()}
    for code, pack in current_packs().packs.items():
        found.update(dict.fromkeys(pack.google_codes, code))
    return found


def google_code(language: str) -> str:
    """Google Translate's code for one of our languages (zh -> zh-CN); others unchanged."""
    lang = LANGUAGES.get(language)
    return lang.google_translate if lang else language


def from_google_code(code: str) -> str | None:
    """Our language for a code Google returned, or None if the hotline does not support it."""
    by_google_code = _by_google_code()
    if code in by_google_code:
        return by_google_code[code]
    base = code.split("-")[0]
    if base in LANGUAGES:
        return base
    return by_google_code.get(base)


@dataclass(frozen=True)
class Translated:
    text: str
    cached: bool


@dataclass(frozen=True)
class Detection:
    language: str | None  # our code, None when unsupported or undetermined
    google_code: str
    confidence: float
    cached: bool


def _cache_key(runtime: Runtime, kind: str, source: str, target: str, content: str) -> str:
    return text_lookup_hash(
        runtime.settings.secret_key, "\x1f".join((kind, source, target, content))
    )


def _record_usage(
    session: Session, *, kind: str, language: str, characters: int = 0, hit: bool = False
) -> None:
    now = utcnow()
    session.add(
        TranslationUsage(
            day=japan_day(now),
            kind=kind,
            language=language,
            characters=characters,
            cache_hit=hit,
            at=now,
        )
    )


@contextmanager
def _unit(runtime: Runtime, session: Session | None) -> Iterator[Session]:
    """A unit of work: the caller's session when given (flushed, committed by the
    caller), else a short transaction of our own that others see at once.

    A web request passes its session: on SQLite a second transaction would wait for
    the request's own lock.
    """
    if session is not None:
        yield session
        session.flush()
        return
    with runtime.db.session() as own:
        if not runtime.db.is_sqlite:
            # Nothing here must survive a crash on its own: the job's final, durable
            # "done" commit flushes the log up to and including these transactions, and
            # a lost cache entry only means asking Google again. Saves a disk flush each.
            own.execute(text("SET LOCAL synchronous_commit = off"))
        yield own


def _cached_call(
    runtime: Runtime,
    *,
    kind: str,
    source: str,
    target: str,
    content: str,
    call: Callable[[], tuple[str, float | None]],
    session: Session | None = None,
    finish: Callable[[Session, str], None] | None = None,
) -> tuple[str, float | None, bool]:
    """The cached answer for `content`, or `call()`'s, claimed so only one worker asks.

    With `session` (a web request) there is no waiting for another worker's claim: the
    request asks Google itself rather than hold its transaction open. `finish(db, result)`
    runs in the same transaction that records the answer, so the caller's own write
    costs no extra commit.
    """
    key = _cache_key(runtime, kind, source, target, content)
    usage_language = target or "detect"
    hit: tuple[str, float | None, bool] | None = None

    def look_up_or_claim() -> bool | None:
        """True: ours to ask Google. False: answered from the cache (`hit`), or a web
        request that asks without the claim. None: another worker holds the claim."""
        nonlocal hit
        with _unit(runtime, session) as db:
            entry = db.scalar(select(TranslationCacheEntry).where(TranslationCacheEntry.key == key))
            if entry is not None and entry.status == "done":
                db.execute(
                    update(TranslationCacheEntry)
                    .where(TranslationCacheEntry.id == entry.id)
                    .values(hits=TranslationCacheEntry.hits + 1)
                )
                _record_usage(db, kind=kind, language=usage_language, hit=True)
                if finish is not None:
                    finish(db, entry.result or "")
                hit = (entry.result or "", entry.confidence, True)
                return False
            owner = claim_cache_entry(db, key, kind=kind, source=source, target=target, entry=entry)
        # A web request asks Google itself rather than hold its transaction open.
        return True if owner else (False if session is not None else None)

    def still_held() -> NoReturn:
        raise ProviderError("another worker is still translating this text", permanent=False)

    owner = wait_for_claim(look_up_or_claim, on_timeout=still_held)
    if hit is not None:
        return hit
    try:
        result, confidence = call()
    except BaseException:
        if owner:
            with _unit(runtime, session) as db:
                db.execute(
                    delete(TranslationCacheEntry).where(
                        TranslationCacheEntry.key == key, TranslationCacheEntry.status == "pending"
                    )
                )
        raise
    with _unit(runtime, session) as db:
        if owner:
            db.execute(
                update(TranslationCacheEntry)
                .where(TranslationCacheEntry.key == key)
                .values(
                    status="done", result=result, confidence=confidence, characters=len(content)
                )
            )
        _record_usage(db, kind=kind, language=usage_language, characters=len(content))
        if finish is not None:
            finish(db, result)
    return result, confidence, False


def translate_text(
    runtime: Runtime,
    text: str,
    *,
    source: str,
    target: str,
    session: Session | None = None,
    persist: Callable[[Session, str], None] | None = None,
) -> Translated:
    """Translate `text` from `source` to `target` (our codes, or Google's for `source`).

    Raises `ProviderError` when Google fails; `hotline.clients.NotConfigured` when Google
    is not configured. Personal data never leaves: see `redaction`. `persist(db, text)`
    stores the translation in the same transaction as the cache and usage records.
    """
    clean = normalise(text)
    if source == target or not clean:
        return Translated(clean, cached=True)
    protected = protect(clean, source=source, target=target)
    if len(protected.html) > MAX_CHARACTERS:
        raise ProviderError("text too long to translate in one request", permanent=True)
    src, tgt = google_code(source), google_code(target)

    def call() -> tuple[str, float | None]:
        return GoogleTranslate(runtime.settings).translate_html(
            protected.html, source=src, target=tgt
        ), None

    answer, _, cached = _cached_call(
        runtime,
        kind="translate",
        source=src,
        target=tgt,
        content=protected.html,
        call=call,
        session=session,
        finish=(lambda db, raw: persist(db, restore(raw, protected))) if persist else None,
    )
    return Translated(restore(answer, protected), cached=cached)


def detect_language(runtime: Runtime, text: str, *, session: Session | None = None) -> Detection:
    """Which language `text` is in, asked of Google once per distinct (redacted) text."""
    protected = protect(normalise(text))
    content = protected.html[:2000]  # a few sentences are enough to tell a language

    def call() -> tuple[str, float | None]:
        found = GoogleTranslate(runtime.settings).detect_html(content)
        return found.language, found.confidence

    code, confidence, cached = _cached_call(
        runtime, kind="detect", source="", target="", content=content, call=call, session=session
    )
    return Detection(from_google_code(code), code, confidence or 0.0, cached)


def record_transcription(runtime: Runtime, *, language: str, audio_seconds: int) -> None:
    with runtime.db.session() as session:
        now = utcnow()
        session.add(
            TranslationUsage(
                day=japan_day(now),
                kind="transcribe",
                language=language,
                audio_seconds=audio_seconds,
                at=now,
            )
        )


# --- Many texts at once ------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    text: str
    source: str
    target: str


MAX_PARALLEL_REQUESTS = 8
MAX_CONTENTS_PER_REQUEST = 64


def translate_many(
    runtime: Runtime,
    requests: list[Request],
    persist: Callable[[Session, int, str], None],
) -> list[ProviderError | None]:
    """Translate many texts with few transactions and few round trips to Google.

    Same redaction, glossary, cache and usage records as `translate_text`. Texts that
    miss the cache are grouped per language pair into single requests, and the groups
    are sent side by side. `persist(db, index, text)` stores each translation, in the
    transaction that records it. Returns, per request, None or the error that stopped it.
    """
    errors: list[ProviderError | None] = [None] * len(requests)
    prepared: dict[int, tuple[Any, str, str, str]] = {}  # index -> protected, key, src, tgt
    with _unit(runtime, None) as db:
        for i, req in enumerate(requests):
            clean = normalise(req.text)
            if req.source == req.target or not clean:
                persist(db, i, clean)
                continue
            protected = protect(clean, source=req.source, target=req.target)
            src, tgt = google_code(req.source), google_code(req.target)
            key = _cache_key(runtime, "translate", src, tgt, protected.html)
            prepared[i] = (protected, key, src, tgt)
        keys = {key for _, key, _, _ in prepared.values()}
        entries = {
            e.key: e
            for e in db.scalars(
                select(TranslationCacheEntry).where(TranslationCacheEntry.key.in_(keys))
            )
        }
        misses: dict[int, tuple[Any, str, str, str]] = {}
        for i, (protected, key, src, tgt) in prepared.items():
            entry = entries.get(key)
            if entry is not None and entry.status == "done":
                db.execute(
                    update(TranslationCacheEntry)
                    .where(TranslationCacheEntry.id == entry.id)
                    .values(hits=TranslationCacheEntry.hits + 1)
                )
                _record_usage(db, kind="translate", language=tgt, hit=True)
                persist(db, i, restore(entry.result or "", protected))
            else:
                misses[i] = (protected, key, src, tgt)
        claimed: set[str] = set()
        for _protected, key, src, tgt in misses.values():
            if key in claimed or key in entries:
                continue
            if claim_cache_entry(db, key, kind="translate", source=src, target=tgt, entry=None):
                claimed.add(key)

    # Keys another worker is translating: the one-by-one path waits for its answer.
    later = [i for i, (_, key, _, _) in misses.items() if key not in claimed]
    groups: dict[tuple[str, str], list[str]] = {}
    for protected, key, src, tgt in misses.values():
        if key in claimed:
            contents = groups.setdefault((src, tgt), [])
            if protected.html not in contents:
                contents.append(protected.html)
    chunks = [
        (pair, contents[n : n + MAX_CONTENTS_PER_REQUEST])
        for pair, contents in groups.items()
        for n in range(0, len(contents), MAX_CONTENTS_PER_REQUEST)
    ]

    def ask(chunk: tuple[tuple[str, str], list[str]]) -> list[str] | ProviderError:
        (src, tgt), contents = chunk
        try:
            return GoogleTranslate(runtime.settings).translate_many(
                contents, source=src, target=tgt
            )
        except ProviderError as exc:
            return exc

    if len(chunks) > 1:
        workers = min(MAX_PARALLEL_REQUESTS, len(chunks))
        with ThreadPoolExecutor(workers, thread_name_prefix="translate") as pool:
            answers = list(pool.map(ask, chunks))
    else:
        answers = [ask(chunk) for chunk in chunks]

    results: dict[tuple[str, str, str], str] = {}
    failed: dict[tuple[str, str], ProviderError] = {}
    for ((src, tgt), contents), answer in zip(chunks, answers, strict=True):
        if isinstance(answer, ProviderError):
            failed[(src, tgt)] = answer
            continue
        for content, translated in zip(contents, answer, strict=True):
            results[(src, tgt, content)] = translated
    with _unit(runtime, None) as db:
        for (src, tgt, content), translated in results.items():
            db.execute(
                update(TranslationCacheEntry)
                .where(
                    TranslationCacheEntry.key == _cache_key(runtime, "translate", src, tgt, content)
                )
                .values(status="done", result=translated, characters=len(content))
            )
            _record_usage(db, kind="translate", language=tgt, characters=len(content))
        for src, tgt in failed:
            stale = [
                key for _, key, s, t in misses.values() if (s, t) == (src, tgt) and key in claimed
            ]
            db.execute(
                delete(TranslationCacheEntry).where(
                    TranslationCacheEntry.key.in_(stale), TranslationCacheEntry.status == "pending"
                )
            )
        for i, (protected, key, src, tgt) in misses.items():
            if key not in claimed:
                continue
            if (src, tgt) in failed:
                errors[i] = failed[(src, tgt)]
            else:
                persist(db, i, restore(results[(src, tgt, protected.html)], protected))

    for i in later:
        req = requests[i]
        try:
            done = translate_text(runtime, req.text, source=req.source, target=req.target)
        except ProviderError as exc:
            errors[i] = exc
            continue
        with _unit(runtime, None) as db:
            persist(db, i, done.text)
    return errors
