"""`hotline worker` with a test double in its SMS processing, for fault tests:

- a text whose body contains "#flaky" raises on its first attempt (the delivery's
  attempts are read from the database, so it fails exactly once across restarts);
- every text takes FLAKY_DELAY seconds, so that a batch is long enough to be killed in;
- the FLAKY_MARK file is created when the FLAKY_MARK_AT-th text of this process starts,
  so that the test can SIGKILL the worker in the middle of a batch.

    python -m tests.faults.flaky_sms_worker --relay-interval 0.2
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hotline.cli import main
from hotline.sms import inbound as domain
from hotline.sms.models import SmsDelivery

real_act = domain.act
seen = 0


def flaky_act(session: Any, settings: Any, inbound: Any, *args: Any, **kwargs: Any) -> Any:
    global seen
    seen += 1
    if seen == int(os.environ.get("FLAKY_MARK_AT", "0")):
        Path(os.environ["FLAKY_MARK"]).touch()
    time.sleep(float(os.environ.get("FLAKY_DELAY", "0")))
    outcome = real_act(session, settings, inbound, *args, **kwargs)
    if "#flaky" in inbound.body:
        attempts = session.scalar(
            select(SmsDelivery.attempts).where(SmsDelivery.sid == inbound.sid)
        )
        if attempts == 0:
            raise RuntimeError("processing failed (test double)")
    return outcome


if __name__ == "__main__":
    domain.act = flaky_act
    sys.exit(main(["worker", *sys.argv[1:]]))
