"""Housekeeping the worker runs periodically for the shared plumbing."""

from __future__ import annotations

from hotline.jobs import periodic
from hotline.runtime import Runtime
from hotline.webhooks import prune_receipts


@periodic("webhooks.prune_receipts", every_seconds=3600)
def prune_webhook_receipts(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prune_receipts(session)
