"""The `hotline` command line: agents, migrations and help."""

from __future__ import annotations

import re
from typing import Any

from click.testing import CliRunner

from hotline.cli import main


def cli_env(settings: Any) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "HOTLINE_SECRET_KEY": settings.secret_key,
        "HOTLINE_INSTANCE_PATH": str(settings.instance_path),
    }


def test_help_explains_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "worker", "db", "agent", "simulate"):
        assert command in result.output


def test_agent_add_prints_a_token_that_works_on_the_api(settings: Any, client: Any) -> None:
    result = CliRunner().invoke(
        main,
        ["agent", "add", "--name", "Lan", "--languages", "vi,en", "--phone", "+819000000050"],
        env=cli_env(settings),
    )
    assert result.exit_code == 0, result.output
    token = re.search(r"^(hl_\S+)$", result.output, re.MULTILINE)
    assert token is not None
    ok = client.get("/api/agents/me", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert ok.status_code == 200
    assert ok.get_json()["languages"] == ["vi", "en"]
    assert "+8190" not in ok.get_data(as_text=True)
    wrong = client.get("/api/agents/me", headers={"Authorization": "Bearer hl_wrong"})
    assert wrong.status_code == 401
    assert client.get("/api/agents/me").status_code == 401


def test_agent_add_refuses_unknown_languages(settings: Any) -> None:
    result = CliRunner().invoke(
        main, ["agent", "add", "--name", "X", "--languages", "vi,klingon"], env=cli_env(settings)
    )
    assert result.exit_code != 0
    assert "klingon" in result.output


def test_token_is_stored_only_as_a_hash(settings: Any, runtime: Any) -> None:
    from sqlalchemy import select

    from hotline.agents.models import Agent

    result = CliRunner().invoke(
        main, ["agent", "add", "--name", "Ken", "--languages", "ja"], env=cli_env(settings)
    )
    token = result.output.strip().splitlines()[-1]
    with runtime.db.session() as s:
        stored = s.scalars(select(Agent)).one()
    assert token not in (stored.token_hash or "")
    assert len(stored.token_hash) == 64
