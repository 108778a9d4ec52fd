"""A text's translation rows (`Translation`, one per agent language other than its own):
created so agents see at once what is coming, filled from Google side by side, and
finished as failed or not configured when that is the answer. Shared by the jobs that
translate texts and voicemail transcripts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.jobs import RetryLater
from hotline.runtime import Runtime
from hotline.telephony import TelephonyError
from hotline.translation.claims import claim_rows, release_rows, wait_for_claim
from hotline.translation.google import ProviderError
from hotline.translation.models import Translation
from hotline.translation.service import PROVIDER, translate_text

QUOTA_DELAY = 900  # seconds: Google's per-minute quotas refill, daily ones do not soon


def retry_for(error: ProviderError | TelephonyError) -> RetryLater:
    if isinstance(error, ProviderError) and error.quota:
        return RetryLater(str(error), delay=QUOTA_DELAY)
    return RetryLater(str(error))


def translation_targets(runtime: Runtime, source: str | None) -> list[str]:
    return [code for code in runtime.settings.agent_languages if code != source]


def ensure_rows(
    runtime: Runtime, kind: str, source_id: int, source: str | None, status: str
) -> None:
    """A row per target language, so agents see at once what is coming (or why not)."""
    with runtime.db.session() as session:
        existing = {
            row.target_language: row
            for row in session.scalars(
                select(Translation).where(
                    Translation.source_kind == kind, Translation.source_id == source_id
                )
            )
        }
        for target in translation_targets(runtime, source):
            row = existing.get(target)
            if row is None:
                try:
                    with session.begin_nested():
                        session.add(
                            Translation(
                                source_kind=kind,
                                source_id=source_id,
                                source_language=source,
                                target_language=target,
                                status=status,
                            )
                        )
                except IntegrityError:
                    continue
            elif row.status in ("pending", "not_configured", "failed") and row.status != status:
                row.status, row.source_language, row.error = status, source, None


def mark_done(
    db: Session, kind: str, source_id: int, target: str, translated: str, source: str
) -> None:
    """One text's row for `target` holds its translation (in the caller's transaction)."""
    db.execute(
        update(Translation)
        .where(
            Translation.source_kind == kind,
            Translation.source_id == source_id,
            Translation.target_language == target,
        )
        .values(
            status="done", text=translated, provider=PROVIDER, error=None, source_language=source
        )
    )


def translate_rows(
    runtime: Runtime, kind: str, source_id: int, text: str, source: str, *, wait: bool = True
) -> None:
    """Fill every pending row for this text; raise RetryLater on a transient failure.

    The target languages are asked for side by side: the agent waits for the slowest
    one, not for the sum of them. If another worker holds the rows (it took this text
    into its batch), wait for it, or with `wait=False` leave the text to it.
    """

    def held() -> NoReturn:
        raise RetryLater("another worker is translating this text", delay=60)

    targets = translation_targets(runtime, source)
    pending = wait_for_claim(
        lambda: claim_rows(runtime, kind, source_id, source, targets), on_timeout=held, wait=wait
    )
    if pending is None:
        return

    def one(target: str) -> ProviderError | None:
        def persist(db: Session, translated: str) -> None:
            mark_done(db, kind, source_id, target, translated, source)

        try:
            translate_text(runtime, text, source=source, target=target, persist=persist)
        except ProviderError as exc:
            if exc.permanent:
                finish_rows(runtime, kind, source_id, "failed", str(exc), only=target)
                return None
            return exc
        return None

    try:
        if len(pending) <= 1:
            errors = [one(target) for target in pending]
        else:
            with ThreadPoolExecutor(len(pending), thread_name_prefix="translate") as pool:
                errors = list(pool.map(one, pending))
    except BaseException:
        release_rows(runtime, kind, source_id)
        raise
    transient = [e for e in errors if e is not None]
    if transient:
        release_rows(runtime, kind, source_id)
        quota = next((e for e in transient if e.quota), None)
        raise retry_for(quota or transient[0]) from transient[0]


def finish_rows(
    runtime: Runtime,
    kind: str,
    source_id: int,
    status: str,
    error: str | None,
    *,
    only: str | None = None,
) -> None:
    with runtime.db.session() as session:
        query = select(Translation).where(
            Translation.source_kind == kind,
            Translation.source_id == source_id,
            Translation.status == "pending",
        )
        if only is not None:
            query = query.where(Translation.target_language == only)
        for row in session.scalars(query):
            row.status, row.error = status, (error or "")[:255] or None
