"""Training spaces in tests: made with the CLI, signed into like a trainee would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from click.testing import CliRunner

from hotline.cli import main
from hotline.config import Settings
from hotline.training import space as spaces
from tests.helpers import PUBLIC_URL

TRAINEE = "Mai Tran"
SLUG = "mai-tran"
PASSWORD = "training-password-1"
SPACE = f"/training/{SLUG}"


def cli_env(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "HOTLINE_SECRET_KEY": settings.secret_key,
        "HOTLINE_INSTANCE_PATH": str(settings.instance_path),
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
    }


def cli(settings: Settings, *args: str) -> Any:
    result = CliRunner().invoke(main, list(args), env=cli_env(settings))
    assert result.exit_code == 0, result.output
    return result


def seed(settings: Settings) -> Any:
    return cli(settings, "training", "seed", "--trainee", TRAINEE, "--password", PASSWORD)


def dropped_after(settings: Settings) -> Iterator[None]:
    """A PostgreSQL schema outlives the test's truncation of `public`: drop it."""
    yield
    for slug in spaces.list_spaces(settings):
        spaces.drop(settings, slug)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def sign_in(client: Any, prefix: str, name: str, password: str) -> str:
    """Sign in through the page; the CSRF token of the signed-in session."""
    page = client.get(f"{prefix}/sign-in")
    answer = client.post(
        f"{prefix}/sign-in",
        data={"name": name, "password": password, "csrf_token": csrf(page.get_data(as_text=True))},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return csrf(client.get(f"{prefix}/inbox").get_data(as_text=True))


def case_ids(html: str, prefix: str) -> set[int]:
    return {int(n) for n in re.findall(rf'href="{re.escape(prefix)}/cases/(\d+)"', html)}
