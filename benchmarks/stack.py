"""The Procfile's processes for the end-to-end benchmarks (`sms_e2e`, `soak`): `Stack`
starts `hotline serve` and `hotline worker` against a fake Twilio REST API (tests/fakes)
and measures what they cost (memory, CPU seconds, and how busy the whole machine was).

A plain module like `common`, imported as `stack` by scripts that put this directory on
`sys.path`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import redis
from common import (
    BIN,
    ROOT,
    TOKEN,
    free_port,
    hotline_env,
    prepare_database,
    stop,
    wait_healthy,
)

FAKE_ACCOUNT_SID = "AC" + "0" * 32
HOTLINE_NUMBER = "+81500000000"


def _process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_kb(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, in kB."""
    total = 0
    for current in _process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def cpu_seconds(pid: int, *, descendants: bool = True) -> float:
    """CPU time (user + system) used so far by `pid` and its living descendants."""
    ticks = 0
    for current in _process_tree(pid) if descendants else [pid]:
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent not idle, over all cores (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Stack:
    """The Procfile's processes, `hotline serve` (gunicorn) and `hotline worker`, on a
    database of their own (emptied and migrated) and a flushed Redis database, with
    Twilio's REST API faked in this process (tests/fakes): the one start-up of the
    benchmarks that run the whole hotline (`sms_e2e`, `soak`). Logs go to `self.logs`.
    `worker_module` runs `python -m <module>` instead of `hotline worker` (a test double
    or the profiled worker)."""

    def __init__(
        self,
        *,
        postgres: str,
        database: str,
        redis_url: str,
        name: str,
        web_workers: int = 2,
        threads: int = 8,
        worker_processes: int = 1,
        worker_module: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        import logging

        from tests.fakes.twilio_api import FakeTwilio, start_fake_twilio

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fake's access log
        self.redis_url = redis_url
        self.url = prepare_database(postgres, database)
        redis.Redis.from_url(redis_url).flushdb()
        self.fake: FakeTwilio = start_fake_twilio(FAKE_ACCOUNT_SID, TOKEN)
        self.env = {
            **hotline_env(self.url, redis_url, f"hotline-{name}-"),
            "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID,
            "TWILIO_NUMBER": HOTLINE_NUMBER,
            "TWILIO_API_URL": self.fake.url,
            **(env or {}),
        }
        self.logs = Path(tempfile.mkdtemp(prefix=f"hotline-{name}-logs-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [str(BIN / "hotline"), "serve", "--port", str(self.port)]
        cmd += ["--workers", str(web_workers), "--threads", str(threads)]
        self.web = subprocess.Popen(
            cmd, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self._log("web")
        )
        self.worker_processes = worker_processes
        self.worker_module = worker_module
        self.workers: list[subprocess.Popen[bytes]] = []
        self.start_workers()
        for _ in range(6):  # a loaded machine: up to two minutes each, twelve in all
            try:
                wait_healthy(self.base, self.web, *self.workers)
                break
            except RuntimeError as exc:
                if "exited" in str(exc):
                    raise

    def _log(self, name: str) -> Any:
        return (self.logs / f"{name}.log").open("ab")

    def start_workers(self, **extra: str) -> None:
        if self.worker_module:
            argv = [sys.executable, "-m", self.worker_module]
        else:
            argv = [str(BIN / "hotline"), "worker"]
        for n in range(self.worker_processes):
            self.workers.append(
                subprocess.Popen(
                    argv,
                    env={**self.env, **extra},
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=self._log(f"worker-{n}"),
                )
            )

    def kill_workers(self) -> None:
        import signal

        for proc in self.workers:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        self.workers = []

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far: the web processes, the workers, this process (the
        load client and the fake Twilio) and the whole machine (PostgreSQL included)."""
        return {
            "web": cpu_seconds(self.web.pid),
            "worker": sum(cpu_seconds(proc.pid) for proc in self.workers),
            "client+fake": cpu_seconds(os.getpid(), descendants=False),
            "machine": machine_busy_seconds(),
        }

    def log_errors(self) -> dict[str, int]:
        """ERROR lines and tracebacks in each process's log."""
        marks = (" ERROR ", "[ERROR]", " CRITICAL ", "Traceback")
        counts = {}
        for path in sorted(self.logs.glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()
            counts[path.stem] = sum(1 for line in lines if any(m in line for m in marks))
        return counts

    def close(self) -> None:
        for proc in [*self.workers, self.web]:
            stop(proc)
        assert self.fake.server is not None
        self.fake.server.stop()
        redis.Redis.from_url(self.redis_url).flushdb()
