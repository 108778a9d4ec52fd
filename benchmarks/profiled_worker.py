"""`hotline worker` with cProfile in each of its threads (the RQ worker, the relay, the
SMS processor), for finding where the end-to-end time goes (py-spy is not installed):

    PROFILE_DIR=/tmp/prof python benchmarks/profiled_worker.py
    python -m pstats /tmp/prof/sms.prof   # then: sort cumtime, stats 30

Each thread's profile is written to PROFILE_DIR/<thread>.prof when it ends (the worker
ends its threads on SIGTERM). `sms_e2e.Stack(worker_module=...)` can start it.
"""

from __future__ import annotations

import cProfile
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotline import worker
from hotline.cli import main


def profiled(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        profile = cProfile.Profile()
        try:
            return profile.runcall(func, *args, **kwargs)
        finally:
            folder = Path(os.environ.get("PROFILE_DIR", "."))
            folder.mkdir(parents=True, exist_ok=True)
            profile.dump_stats(str(folder / f"{name}.prof"))

    return run


if __name__ == "__main__":
    worker.relay_loop = profiled("relay", worker.relay_loop)
    worker.processor_loop = profiled("sms", worker.processor_loop)
    worker.SimpleWorker.work = profiled("rq", worker.SimpleWorker.work)  # type: ignore[method-assign]
    sys.exit(main(["worker", *sys.argv[1:]]))
