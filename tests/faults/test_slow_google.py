"""Google answering after 10 s: the worker waits for it, the webhooks do not."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hotline import create_app
from hotline.runtime import Runtime
from tests.helpers import run_jobs
from tests.sms.helpers import text_in

pytestmark = pytest.mark.slow  # faults injected into running servers

GOOGLE_LATENCY = 10.0


@pytest.mark.slow
def test_texts_are_answered_while_google_takes_ten_seconds(
    google_runtime: Runtime, fake_translate: Any
) -> None:
    fake_translate.latency = GOOGLE_LATENCY
    client = create_app(runtime=google_runtime).test_client()
    first = text_in(client, "Công ty không trả lương cho tôi", sender="+819000000201")
    assert first.status_code == 200
    seen: dict[str, Any] = {}

    def more_texts_while_google_thinks() -> None:
        for _ in range(600):  # until the worker is inside its request to Google
            if fake_translate.requests:
                break
            time.sleep(0.05)
        seen["google_called"] = bool(fake_translate.requests)
        seen["answers"] = [
            text_in(client, f"Tôi làm việc {n} giờ", sender=f"+81900000021{n}").status_code
            for n in range(5)
        ]
        # Google has answered nothing yet, and every text has been answered.
        seen["google_answered"] = [r.get("answered") for r in fake_translate.requests]

    texts = threading.Thread(target=more_texts_while_google_thinks)
    texts.start()
    run_jobs(google_runtime, rounds=1)  # the worker, stuck in Google for 10 s
    texts.join(60)
    assert seen["google_called"]
    assert seen["answers"] == [200] * 5
    assert seen["google_answered"] and set(seen["google_answered"]) == {None}
