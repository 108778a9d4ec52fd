"""Running `hotline` as a user runs it: in a process of its own, with a chosen environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SECRET = "test-secret-key-not-for-production"
HOTLINE = [sys.executable, "-m", "hotline.cli"]


def cli_process_env(tmp_path: Path, **env: str) -> dict[str, str]:
    """Only what a shell would pass on, an instance folder of the test's own, and `env`."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "NO_GCE_CHECK")}
    return {
        **keep,
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance"),
        "HOTLINE_SECRET_KEY": SECRET,
        **env,
    }


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOTLINE, *args],
        env=cli_process_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def spawn_cli(tmp_path: Path, log: Path, *args: str, **env: str) -> subprocess.Popen[Any]:
    """Start a long-running command in its own process group, output to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [*HOTLINE, *args],
            env=cli_process_env(tmp_path, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            start_new_session=True,
        )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The whole output, which must be a single `Error: ...` line and a failing exit."""
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 1, output
    assert "Traceback" not in output, output
    assert len(output.splitlines()) == 1, output
    assert output.startswith("Error: "), output
    return output
