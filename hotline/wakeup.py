"""A wake-up for a process that LISTENs, sent soon after the work is committed and never
in the way of the request that committed it.

A NOTIFY sent by the transaction that stores the work (a trigger on the table) makes
PostgreSQL serialise the commits of all such transactions: each holds the notification
queue's lock until its commit is on disk, so concurrent commits can no longer share a
flush. With 16 connections inserting into `sms_deliveries`, the server committed
7,300–10,400 rows a second without its trigger and 2,800–3,350 with it
(docs/performance.md). So the
request, once its row is committed, only asks for a wake-up; a thread of the process
sends one NOTIFY, as a transaction of its own, for every request that asked since the
one before, and at most one every `GAP` seconds: the first text after a quiet spell
wakes the worker at once, and a busy hotline sends a few wake-ups a second, not one per
text. A wake-up that cannot be sent is not retried: the listener also polls, and finds
the work then.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

GAP = 0.02  # seconds between two wake-ups sent by one process, at least


class Wakeup:
    """Calls `send` (one NOTIFY) from a thread of its own after each `ask`, once for any
    number of asks that come while it is sending or waiting out the `gap`."""

    def __init__(self, send: Callable[[], None], name: str, gap: float = GAP) -> None:
        self._send = send
        self._name = name
        self._gap = gap
        self._lock = threading.Lock()
        self._pid = 0  # the process whose thread sends; 0 before the first ask
        self._due = threading.Event()
        self._closed = threading.Event()

    def ask(self) -> None:
        """Ask for a wake-up that will see everything committed so far. Never blocks on
        the database and never raises for it."""
        if self._pid != os.getpid():
            self._start()
        self._due.set()

    def close(self) -> None:
        """Stop the thread (a wake-up asked for and not yet sent is dropped)."""
        self._closed.set()
        self._due.set()

    def _start(self) -> None:
        # First use in this process: the first ask, or the first in a forked web worker,
        # which has the parent's object but not its thread.
        with self._lock:
            if self._pid == os.getpid() or self._closed.is_set():
                return
            self._due = due = threading.Event()
            threading.Thread(
                target=self._run, args=(due,), name=f"wakeup-{self._name}", daemon=True
            ).start()
            self._pid = os.getpid()

    def _run(self, due: threading.Event) -> None:
        while True:
            due.wait()
            if self._closed.is_set():
                return
            # Cleared before sending: an ask from here on, even one made while sending,
            # leaves the event set and is answered by the next NOTIFY, which starts after
            # that ask's commit.
            due.clear()
            try:
                self._send()
            except Exception as exc:
                # The type only: a driver's message can quote the server's.
                log.warning("%s wake-up not sent (%s)", self._name, type(exc).__name__)
            if self._closed.wait(self._gap):
                return
