"""hotline.wakeup: one NOTIFY for any number of asks, sent after them, never in the way."""

from __future__ import annotations

import threading

from hotline.wakeup import Wakeup


class Sender:
    """A send() that records each call and, while `hold` is clear, waits inside it."""

    def __init__(self) -> None:
        self.calls = 0
        self.entered = threading.Semaphore(0)
        self.hold = threading.Event()
        self.fail = False

    def __call__(self) -> None:
        self.calls += 1
        self.entered.release()
        self.hold.wait(5)
        if self.fail:
            raise ConnectionError("server gone")


def test_asks_made_while_a_wakeup_is_sent_are_answered_by_one_more() -> None:
    sender = Sender()
    wakeup = Wakeup(sender, "test", gap=0)
    try:
        wakeup.ask()  # returns at once though the send will wait
        assert sender.entered.acquire(timeout=5)
        for _ in range(50):
            wakeup.ask()  # committed after the first NOTIFY began: they need another
        sender.hold.set()
        assert sender.entered.acquire(timeout=5)
        assert not sender.entered.acquire(timeout=0.3)  # one for all fifty, not fifty
        assert sender.calls == 2
        wakeup.ask()
        assert sender.entered.acquire(timeout=5)
        assert sender.calls == 3
    finally:
        wakeup.close()


def test_a_wakeup_that_fails_is_logged_by_type_and_the_next_ask_is_still_sent(
    caplog: object,
) -> None:
    sender = Sender()
    sender.fail = True
    sender.hold.set()
    wakeup = Wakeup(sender, "hotline_inbound", gap=0)
    try:
        wakeup.ask()
        assert sender.entered.acquire(timeout=5)
        sender.fail = False
        wakeup.ask()
        assert sender.entered.acquire(timeout=5)
        assert sender.calls == 2
    finally:
        wakeup.close()
    assert "hotline_inbound wake-up not sent (ConnectionError)" in caplog.text  # type: ignore[attr-defined]
    assert "server gone" not in caplog.text  # type: ignore[attr-defined]


def test_a_busy_process_sends_one_wakeup_per_gap_and_the_first_at_once() -> None:
    sender = Sender()
    sender.hold.set()
    wakeup = Wakeup(sender, "test", gap=0.5)
    try:
        wakeup.ask()
        assert sender.entered.acquire(timeout=5)  # the first, at once
        for _ in range(20):
            wakeup.ask()  # within the gap: all answered by one wake-up, at its end
        assert not sender.entered.acquire(timeout=0.3)
        assert sender.entered.acquire(timeout=5)
        assert sender.calls == 2
    finally:
        wakeup.close()


def test_a_closed_wakeup_stops_its_thread() -> None:
    sender = Sender()
    sender.hold.set()
    wakeup = Wakeup(sender, "test")
    wakeup.ask()
    assert sender.entered.acquire(timeout=5)
    threads = [t for t in threading.enumerate() if t.name == "wakeup-test"]
    wakeup.close()
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()
