"""The worker process: an RQ worker for jobs plus the outbox relay and periodic tasks,
and the processor of stored SMS deliveries (hotline.sms.processor)."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import threading
import time
from typing import Any

import psycopg
import redis
from rq import SimpleWorker
from rq.exceptions import StopRequested

from hotline.config import Settings
from hotline.db import libpq_url
from hotline.encryption.rotation import verify_data_keys
from hotline.handlers import register_handlers
from hotline.jobs import NOTIFY_CHANNEL, REGISTRY, queue, relay
from hotline.jobs.transport import BurstWorker
from hotline.logs import configure_logging
from hotline.preflight import require_ready
from hotline.runtime import Runtime, set_current
from hotline.sms.intake import NOTIFY_CHANNEL as INBOUND_CHANNEL
from hotline.sms.processor import POLL_SECONDS as INBOUND_POLL_SECONDS
from hotline.sms.processor import process_due

log = logging.getLogger(__name__)


def relay_loop(runtime: Runtime, stop: threading.Event, interval: float) -> None:
    """Push what the web processes recorded and run periodic tasks, until `stop` is set.

    On PostgreSQL each commit that recorded outbox jobs notifies `hotline_outbox`, and a
    pass starts at once; otherwise, and to catch anything missed, every `interval`.
    """
    listener = OutboxListener(runtime.db.url) if not runtime.db.is_sqlite else None
    last_run: dict[str, float] = {}
    try:
        while not stop.is_set():
            try:
                relay(runtime)
                now = time.monotonic()
                for task in REGISTRY.periodic.values():
                    if now - last_run.get(task.name, -math.inf) >= task.every_seconds:
                        last_run[task.name] = now
                        task.func(runtime)
            except Exception:
                log.exception("relay pass failed; retrying")
            if listener is None:
                stop.wait(interval)
                continue
            # In slices of at most a second, so that `stop` is seen promptly.
            deadline = time.monotonic() + interval
            while not stop.is_set() and time.monotonic() < deadline:
                if listener.wait(min(1.0, max(0.0, deadline - time.monotonic()))):
                    break
    finally:
        if listener is not None:
            listener.close()


class OutboxListener:
    """A connection of its own that LISTENs on `hotline_outbox` (migration 0002), or on
    another channel (`hotline_inbound`, notified by web processes: hotline.sms.intake)."""

    def __init__(self, database_url: str, channel: str = NOTIFY_CHANNEL) -> None:
        self.channel = channel
        self.conninfo = libpq_url(database_url)
        self.conn: psycopg.Connection[Any] | None = None

    def wait(self, timeout: float) -> bool:
        """Until a notification arrives (True) or `timeout` seconds pass (False). A lost
        connection is opened again on the next call; until then this only sleeps."""
        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(self.conninfo, autocommit=True)
                self.conn.execute("LISTEN " + self.channel)
                return True  # anything committed before we listened is due now
            first = self.conn.notifies(timeout=timeout, stop_after=1)
            try:
                notified = next(first, None) is not None
            finally:
                first.close()  # it holds the connection's lock until closed
            if notified:
                # Those that came meanwhile ask for the same pass: one pass for all of
                # them, not one each (at 100 texts/s, most passes found nothing new).
                for _ in self.conn.notifies(timeout=0.001):
                    pass
            return notified
        except psycopg.Error as exc:
            log.warning("outbox listener lost its connection: %s", type(exc).__name__)
            self.close()
            time.sleep(timeout)
            return False

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
            self.conn = None


def processor_loop(runtime: Runtime, stop: threading.Event) -> None:
    """Process deliveries as they arrive until `stop` is set: at once when PostgreSQL
    notifies `hotline_inbound`, else every `INBOUND_POLL_SECONDS` (SQLite; retries coming due)."""
    listener = None if runtime.db.is_sqlite else OutboxListener(runtime.db.url, INBOUND_CHANNEL)
    try:
        while not stop.is_set():
            try:
                process_due(runtime)
            except Exception:
                log.exception("sms processing pass failed; retrying")
            if listener is None:
                stop.wait(INBOUND_POLL_SECONDS)
            else:
                listener.wait(INBOUND_POLL_SECONDS)
    finally:
        if listener is not None:
            listener.close()


STOP_GRACE = 20.0  # seconds from a stop asked for to the process's end, at the latest


def stop_asked(stopping: threading.Event, grace: float = STOP_GRACE) -> None:
    """Note a stop, and make sure it happens: a running job gets `grace` seconds to end,
    then the process exits anyway. RQ's stop is an exception raised from its signal
    handler, and one raised where something catches every exception (a log handler while
    Redis is away and RQ logs each retry) is lost, leaving RQ retrying forever. An exit
    in the middle of a job is what the job lease is for (hotline.jobs)."""
    if stopping.is_set():
        return
    stopping.set()

    def exit_late() -> None:
        time.sleep(grace)
        log.warning("a stop was asked for %.0f s ago: exiting now", grace)
        os._exit(0)

    threading.Thread(target=exit_late, daemon=True, name="stop-grace").start()


class RQWorker(SimpleWorker):
    """RQ's worker in this process. A stop asked for (SIGTERM, SIGINT) is also noted in
    `stopping`, and stays a stop when Redis is away: RQ's own handler asks Redis for the
    worker's state, and the connection error it raised was taken for a lost connection
    and the worker started again, so a worker could not be stopped during an outage."""

    def __init__(self, *args: Any, stopping: threading.Event, **kwargs: Any) -> None:
        self.stopping = stopping
        super().__init__(*args, **kwargs)

    def request_stop(self, signum: int, frame: Any) -> None:
        stop_asked(self.stopping)
        try:
            super().request_stop(signum, frame)
        except (redis.ConnectionError, redis.TimeoutError):
            raise StopRequested() from None


def run_rq(runtime: Runtime, *, most_wait: float = 5.0) -> None:
    """RQ's worker until a stop is asked for (SIGTERM, SIGINT). Losing Redis while running
    stops RQ's worker (an error in its bookkeeping, or its teardown); this process does not
    stop with it, since the relay and the SMS processor need only the database and nothing
    in the outbox is lost: a new RQ worker is started until Redis answers again."""
    stopping = threading.Event()

    def stop_now(signum: int, frame: Any) -> None:
        stop_asked(stopping)
        raise StopRequested()

    wait = 0.5
    while not stopping.is_set():
        if threading.current_thread() is threading.main_thread():
            # Between RQ workers (RQ's own handlers are installed while one works).
            signal.signal(signal.SIGTERM, stop_now)
            signal.signal(signal.SIGINT, stop_now)
        try:
            RQWorker([queue(runtime)], connection=runtime.redis, stopping=stopping).work()
        except StopRequested:
            return
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if stopping.is_set():
                return
            log.warning("RQ worker lost Redis (%s); starting it again", type(exc).__name__)
        else:
            if stopping.is_set():
                return
            log.warning("RQ worker quit without a stop request; starting it again")
        try:
            time.sleep(wait)
        except StopRequested:
            return
        wait = min(wait * 2, most_wait)


def run_worker(settings: Settings, *, burst: bool = False, relay_interval: float = 2.0) -> None:
    configure_logging()
    runtime = Runtime(settings)
    # Both are needed from the first job on: an unreachable one stops the worker here, with
    # one line naming its setting (see hotline.cli), and the process manager starts it again.
    with runtime.db.engine.connect():
        pass
    runtime.redis.ping()
    # Broken scripts or a wrong key: refuse to start, listing every problem.
    require_ready(settings, runtime.db)
    verify_data_keys(runtime.db)
    set_current(runtime)
    register_handlers(REGISTRY)
    if burst:
        process_due(runtime)
        relay(runtime)
        BurstWorker([queue(runtime)], connection=runtime.redis).work(burst=True)
        return
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=relay_loop, args=(runtime, stop, relay_interval), daemon=True, name="relay"
        ),
        # Texts stored by /sms/incoming: see hotline.sms.processor and docs/decisions.md.
        threading.Thread(target=processor_loop, args=(runtime, stop), daemon=True, name="sms"),
    ]
    for thread in threads:
        thread.start()
    try:
        run_rq(runtime)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        runtime.close()
