"""The worker process: an RQ worker for jobs plus the outbox relay and periodic tasks."""

from __future__ import annotations

import logging
import threading

from rq import SimpleWorker

from hotline.config import Settings
from hotline.jobs import PERIODIC, _load_handlers, queue, relay
from hotline.logs import configure_logging
from hotline.runtime import Runtime, set_current

log = logging.getLogger(__name__)


def relay_loop(runtime: Runtime, stop: threading.Event, interval: float) -> None:
    """Push what never reached Redis and run periodic tasks, until `stop` is set."""
    ticks = 0
    while not stop.is_set():
        try:
            relay(runtime)
            for task in PERIODIC:
                if ticks % max(1, int(task.every_seconds / interval)) == 0:
                    task.func(runtime)
        except Exception:
            log.exception("relay pass failed; retrying")
        ticks += 1
        stop.wait(interval)


def run_worker(settings: Settings, *, burst: bool = False, relay_interval: float = 2.0) -> None:
    configure_logging()
    runtime = Runtime(settings)
    set_current(runtime)
    _load_handlers()
    if burst:
        relay(runtime)
        SimpleWorker([queue(runtime)], connection=runtime.redis).work(burst=True)
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=relay_loop, args=(runtime, stop, relay_interval), daemon=True, name="relay"
    )
    thread.start()
    try:
        SimpleWorker([queue(runtime)], connection=runtime.redis).work()
    finally:
        stop.set()
        thread.join(timeout=5)
        runtime.close()
