"""Prometheus metrics at `/metrics`, for operators who must know before a worker does.

Webhook latency is measured in every web process; under gunicorn (`hotline serve`)
each process writes it to files in `PROMETHEUS_MULTIPROC_DIR` and any process reports
them all (prometheus-client's multiprocess mode). The state of the work (outbox jobs,
callbacks waiting, translation characters, the RQ queue) is read from the database and
Redis at scrape time, so the worker processes need no metrics server of their own.
The endpoint answers a bearer token (`HOTLINE_METRICS_TOKEN`) or a client address in
`HOTLINE_METRICS_NETWORKS` (default: this machine only); anyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, or_, select

from hotline.db import utcnow
from hotline.runtime import Runtime, app_runtime

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

# Whether this process writes its metrics to files (PROMETHEUS_MULTIPROC_DIR was set,
# by hotline.server under gunicorn, before prometheus-client was imported).
MULTIPROCESS = values.ValueClass is not values.MutexValue
WEBHOOK_PREFIXES = ("/voice/", "/sms/")

WEBHOOK_SECONDS = Histogram(
    "hotline_webhook_seconds",
    "Time to answer a Twilio webhook, by route.",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0),
    registry=None,  # collected per scrape: see `render`
)


_TIMERS: dict[str, Any] = {}


def webhook_timer(route: str) -> Any:
    """The route's histogram, looked up once per process (`labels` takes a lock and
    builds its key on every call)."""
    timer = _TIMERS.get(route)
    if timer is None:
        timer = _TIMERS[route] = WEBHOOK_SECONDS.labels(route=route)
    return timer


def init_app(app: Flask) -> None:
    """Time every webhook, and serve `/metrics`."""

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None and request.path.startswith(WEBHOOK_PREFIXES):
            # The rule, not the path: `/voice/node/<name>`, never a caller's values.
            route = request.url_rule.rule if request.url_rule else "unmatched"
            webhook_timer(route).observe(time.perf_counter() - started)
        return response

    app.register_blueprint(bp)


@bp.get("/metrics")
def metrics() -> Response:
    runtime = app_runtime()
    if not _allowed(runtime):
        abort(403)
    return Response(render(runtime), content_type=CONTENT_TYPE_LATEST)


def render(runtime: Runtime) -> bytes:
    registry = CollectorRegistry()
    if MULTIPROCESS:
        MultiProcessCollector(registry)
    else:
        registry.register(WEBHOOK_SECONDS)
    registry.register(WorkCollector(runtime))
    return generate_latest(registry)


def _allowed(runtime: Runtime) -> bool:
    token = runtime.settings.metrics_token
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(network, strict=False)
        for network in runtime.settings.metrics_networks
    )


class WorkCollector(Collector):
    """The backlog as the database and Redis see it at scrape time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "hotline_dependency_up", "Whether the scrape could read it.", labels=["dependency"]
        )
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception as exc:
            log.warning("metrics: database not readable (%s)", type(exc).__name__)
            up.add_metric(["database"], 0)
        try:
            yield from self._redis()
            up.add_metric(["redis"], 1)
        except Exception as exc:
            log.warning("metrics: Redis not readable (%s)", type(exc).__name__)
            up.add_metric(["redis"], 0)
        yield up

    def _database(self) -> Iterator[GaugeMetricFamily]:
        from hotline.callbacks.models import CallbackRequest
        from hotline.jobs.models import OutboxJob
        from hotline.translation.models import TranslationUsage
        from hotline.web.stats import delivery

        now = utcnow()
        with self.runtime.db.session() as session:
            open_jobs = (OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None))
            due = or_(OutboxJob.run_after.is_(None), OutboxJob.run_after <= now)
            pending, oldest = session.execute(
                select(func.count(), func.min(OutboxJob.created_at)).where(*open_jobs, due)
            ).one()
            failed = session.scalar(
                select(func.count()).select_from(OutboxJob).where(OutboxJob.failed_at.is_not(None))
            )
            oldest_unpushed = session.scalar(
                select(func.min(func.coalesce(OutboxJob.run_after, OutboxJob.created_at))).where(
                    *open_jobs, due, OutboxJob.pushed_at.is_(None)
                )
            )
            waiting = session.execute(
                select(CallbackRequest.language, func.count())
                .where(CallbackRequest.status == "queued")
                .group_by(CallbackRequest.language)
            ).all()
            characters = session.execute(
                select(TranslationUsage.language, func.sum(TranslationUsage.characters))
                .where(TranslationUsage.day == now.date())
                .group_by(TranslationUsage.language)
            ).all()
            stuck = delivery(session, now)

        yield _gauge("hotline_jobs_queued", "Outbox jobs due and not yet done.", pending)
        yield _gauge("hotline_jobs_failed", "Outbox jobs that gave up (all time).", failed or 0)
        yield _gauge(
            "hotline_jobs_oldest_age_seconds",
            "Age of the oldest outbox job due and not yet done.",
            _age(now, oldest),
        )
        yield _gauge(
            "hotline_outbox_lag_seconds",
            "How long the oldest due job has waited to be handed to Redis.",
            _age(now, oldest_unpushed),
        )
        yield _gauge(
            "hotline_jobs_abandoned",
            "Started jobs whose worker stopped beating (handed out again after the lease).",
            stuck.abandoned_jobs,
        )
        yield _gauge(
            "hotline_sms_inbound_failed",
            "Stored texts whose processing gave up: see `hotline inbound failed`.",
            stuck.failed_texts,
        )
        yield _gauge(
            "hotline_sms_inbound_retrying",
            "Stored texts whose processing failed and will be tried again.",
            stuck.retrying_texts,
        )
        yield _gauge(
            "hotline_sms_unconfirmed",
            "Texts cut off mid-send, waiting for Twilio's status (never sent twice).",
            stuck.unconfirmed_sends,
        )
        per_language = GaugeMetricFamily(
            "hotline_callbacks_waiting",
            "Callback requests queued for an adviser, by language.",
            labels=["language"],
        )
        for language, count in waiting:
            per_language.add_metric([language], count)
        yield per_language
        translated = GaugeMetricFamily(
            "hotline_translation_characters_today",
            "Characters sent to Google today (UTC), by language.",
            labels=["language"],
        )
        for language, total in characters:
            translated.add_metric([language], total or 0)
        yield translated

    def _redis(self) -> Iterator[GaugeMetricFamily]:
        from hotline.jobs import queue

        q = queue(self.runtime)
        yield _gauge("hotline_rq_queued", "Jobs waiting in the RQ queue.", q.count)
        yield _gauge(
            "hotline_rq_failed", "Jobs in RQ's failed registry.", q.failed_job_registry.count
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(now: Any, then: Any) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # a raw SQLite value from an aggregate
        from datetime import UTC

        then = then.replace(tzinfo=UTC)
    return max(0.0, (now - then).total_seconds())
