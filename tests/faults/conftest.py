"""A PostgreSQL cluster of the test's own (`initdb` in a temporary folder), which a
fault test may stop, restart or kill without disturbing the shared server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port


def _postgres_bin(name: str) -> str:
    """A server binary: on PATH, or in Debian's /usr/lib/postgresql/<version>/bin."""
    debian = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    found = shutil.which(name) or (str(debian[-1]) if debian else None)
    if found is None:
        pytest.fail(f"{name} is not installed (PostgreSQL server binaries)", pytrace=False)
    return found


class PrivatePostgres:
    """initdb, pg_ctl start/stop/restart on a port of its own; trust auth, user postgres.

    PostgreSQL refuses to run as root: as root, the commands run as the `postgres` user.
    """

    def __init__(self) -> None:
        self.port = free_port()
        # Directly under /tmp: pytest's own folders are private to the test's user.
        self.folder = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            _postgres_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self._run(
            _postgres_bin("pg_ctl"),
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            *extra,
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


# Google's fakes and the runtime that uses them, from the translation tests.
from tests.translation.conftest import google_runtime, google_settings  # noqa: E402

__all__ = ["PrivatePostgres", "google_runtime", "google_settings", "private_postgres"]
