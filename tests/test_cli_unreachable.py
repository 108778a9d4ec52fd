"""A new user whose PostgreSQL, Redis or hotline is not running reads one line naming the
setting to fix, not a traceback. The commands run as a user runs them, in a process of
their own, against ports nothing listens on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_process import one_line_error, run_cli
from tests.conftest import free_port

pytestmark = pytest.mark.slow  # starts processes


def closed_postgres_url() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/hotline"


def closed_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def test_db_upgrade_names_database_url_when_postgresql_is_unreachable(tmp_path: Path) -> None:
    url = closed_postgres_url()
    line = one_line_error(run_cli(tmp_path, "db", "upgrade", DATABASE_URL=url))
    assert "cannot use the database at" in line
    assert url.removeprefix("postgresql+psycopg://") in line
    assert "(DATABASE_URL)" in line


def test_worker_names_database_url_when_postgresql_is_unreachable(
    tmp_path: Path, redis_url: str
) -> None:
    done = run_cli(tmp_path, "worker", DATABASE_URL=closed_postgres_url(), REDIS_URL=redis_url)
    assert "(DATABASE_URL)" in one_line_error(done)


def test_worker_names_redis_url_when_redis_is_unreachable(tmp_path: Path) -> None:
    url = closed_redis_url()
    database = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    done = run_cli(tmp_path, "worker", DATABASE_URL=database, REDIS_URL=url)
    line = one_line_error(done)
    assert f"cannot reach Redis at {url} (REDIS_URL)" in line


def test_database_password_is_not_shown_in_the_error(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:{free_port()}/hotline"
    line = one_line_error(run_cli(tmp_path, "db", "upgrade", DATABASE_URL=url))
    assert "s3cret-pw" not in line
    assert "(DATABASE_URL)" in line


@pytest.mark.parametrize(
    "command",
    [
        ["simulate", "call", "--digits", "84#"],
        ["simulate", "sms", "--from", "+819000000123", "HELP"],
    ],
    ids=["call", "sms"],
)
def test_simulate_names_url_when_no_hotline_answers(tmp_path: Path, command: list[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    line = one_line_error(run_cli(tmp_path, *command, "--url", url))
    assert f"no hotline answers at {url} (--url)" in line
