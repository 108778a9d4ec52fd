"""Reviewers for the review tests: agents with passwords, made reviewers by the CLI."""

from __future__ import annotations

import re
from typing import Any

from click.testing import CliRunner

from hotline.cli import main
from tests.builders import PASSWORD, BuiltAgent, make_agent
from tests.test_cli import cli_env
from tests.web.helpers import page_csrf, sign_in


def reviewer(runtime: Any, settings: Any, name: str, language: str, **kw: Any) -> BuiltAgent:
    agent = make_agent(
        runtime,
        name=name,
        languages="en," + language if language != "en" else "en",
        password=PASSWORD,
        **kw,
    )
    result = CliRunner().invoke(
        main,
        ["agent", "reviewer", "--id", str(agent.id), "--languages", language],
        env=cli_env(settings),
    )
    assert result.exit_code == 0, result.output
    assert f"{name} now reviews {language}" in result.output
    return agent


def signed_in(client: Any, agent: BuiltAgent) -> Any:
    assert sign_in(client, agent).status_code == 302
    return client


def post_form(client: Any, path: str, page: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": page_csrf(client, page), **data})


def coverage_counts(output: str, language: str) -> list[int]:
    """voice reviewed, draft, synthetic, human, missing, sms reviewed, draft."""
    line = next(x for x in output.splitlines() if x.startswith(f"{language:<5}|"))
    return [int(n) for n in re.findall(r"\b\d+\b", line)]


def prompts_check(settings: Any, **env: str) -> Any:
    result = CliRunner().invoke(main, ["prompts", "check"], env={**cli_env(settings), **env})
    assert result.exit_code == 0, result.output
    return result
