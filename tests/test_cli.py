"""The `hotline` command line: agents, migrations and help."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner

from hotline.cli import main
from tests.conftest import both_backends


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"quiet_hours": "00:00-00:00"}  # never quiet: a callback is claimable at any hour


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


def test_agent_list_shows_names_languages_roles_and_no_numbers(settings: Any, runtime: Any) -> None:
    from tests.builders import make_agent

    lan = make_agent(runtime, name="Lan (demo)", languages="vi,en", phone="+819000000101").id
    ken = make_agent(runtime, name="Kenji", languages="ja", role="supervisor").id
    result = CliRunner().invoke(main, ["agent", "list"], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "name", "languages", "role", "active"]
    assert lines[1].split() == [str(lan), "Lan", "(demo)", "vi,en", "agent", "yes"]
    assert lines[2].split() == [str(ken), "Kenji", "ja", "supervisor", "yes"]
    assert "0101" not in result.output and "+81" not in result.output


@pytest.mark.slow
def test_agent_token_rotates_the_api_token(settings: Any, runtime: Any, client: Any) -> None:
    from tests.builders import auth, make_agent

    lan = make_agent(runtime, name="Lan", languages="vi,en")
    agent_id, old = lan.id, lan.token
    assert client.get("/api/agents/me", headers=auth(old)).status_code == 200
    result = CliRunner().invoke(
        main, ["agent", "token", "--id", str(agent_id)], env=cli_env(settings)
    )
    assert result.exit_code == 0, result.output
    new = result.output.strip().splitlines()[-1]
    assert new.startswith("hl_") and new != old
    assert client.get("/api/agents/me", headers=auth(old)).status_code == 401
    assert client.get("/api/agents/me", headers=auth(new)).status_code == 200


def test_agent_token_for_an_unknown_id_is_one_line(settings: Any, runtime: Any) -> None:
    result = CliRunner().invoke(main, ["agent", "token", "--id", "999"], env=cli_env(settings))
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: no agent with id 999 (see `hotline agent list`)")


@pytest.mark.slow
@both_backends
def test_agent_deactivate_ends_token_browser_sessions_and_held_callbacks(
    settings: Any, runtime: Any, client: Any
) -> None:
    from hotline.callbacks.models import CallbackRequest
    from tests.builders import PASSWORD, auth, make_agent, make_callback
    from tests.web.helpers import sign_in

    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    token = _rotate(settings, lan.id)
    callback_id, _case = make_callback(runtime)
    assert client.post("/api/queue/claim", headers=auth(token)).get_json()["id"] == callback_id
    sign_in(client, lan)
    assert client.get("/queue").status_code == 200

    result = CliRunner().invoke(
        main, ["agent", "deactivate", "--id", str(lan.id)], env=cli_env(settings)
    )
    assert result.exit_code == 0, result.output
    assert "1 held callback(s) back in the queue" in result.output
    assert client.get("/api/agents/me", headers=auth(token)).status_code == 401
    assert client.get("/queue").status_code == 302  # back to the sign-in page
    with runtime.db.session() as session:
        callback = session.get(CallbackRequest, callback_id)
        assert callback is not None
        assert (callback.status, callback.claimed_by_id) == ("queued", None)
    listed = CliRunner().invoke(main, ["agent", "list"], env=cli_env(settings))
    assert "Lan" not in listed.output
    listed_all = CliRunner().invoke(main, ["agent", "list", "--all"], env=cli_env(settings))
    assert listed_all.output.splitlines()[1].split()[-1] == "no"
    again = CliRunner().invoke(main, ["agent", "token", "--id", str(lan.id)], env=cli_env(settings))
    assert again.exit_code == 1 and "deactivated" in again.output


def _rotate(settings: Any, agent_id: int) -> str:
    result = CliRunner().invoke(
        main, ["agent", "token", "--id", str(agent_id)], env=cli_env(settings)
    )
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]
