"""Housekeeping the worker runs periodically for the shared plumbing."""

from __future__ import annotations

from hotline.jobs import JobRegistry
from hotline.runtime import Runtime
from hotline.webhooks import prune_receipts


def prune_webhook_receipts(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prune_receipts(session)


def register(registry: JobRegistry) -> None:
    registry.every("webhooks.prune_receipts", prune_webhook_receipts, seconds=3600)
