"""`hotline agent reviewer`: who reviews which language (an admin's command)."""

from __future__ import annotations

import click

from hotline.commands import command_session


def register(main: click.Group, simulate: click.Group) -> None:
    agent_group = main.commands.get("agent")
    if not isinstance(agent_group, click.Group):  # pragma: no cover - hotline.cli defines it
        raise RuntimeError("the `hotline agent` command group is missing")
    agent_group.add_command(agent_reviewer)


@click.command("reviewer")
@click.option("--id", "agent_id", type=int, required=True, help="The agent's id.")
@click.option("--languages", required=True, help="Comma-separated codes, e.g. vi,ne.")
@click.option("--remove", is_flag=True, help="Stop them reviewing these languages.")
def agent_reviewer(agent_id: int, languages: str, remove: bool) -> None:
    """Let an agent review (and edit) these languages' texts and recordings in the web
    app, or with --remove stop them. Reviewing is its own right: no role implies it."""
    from hotline.agents.models import Agent
    from hotline.languages import parse_codes
    from hotline.review import service

    try:
        codes = parse_codes(languages)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--languages") from exc
    with command_session() as session:
        agent = session.get(Agent, agent_id)
        if agent is None or not agent.active:
            raise click.ClickException(f"no active agent with id {agent_id}")
        change = service.revoke if remove else service.grant
        changed = change(session, agent, codes, by=None)
        now = service.reviewer_languages(session, agent)
        name = agent.name
    verb = "no longer reviews" if remove else "now reviews"
    click.echo(
        f"{name} {verb} {','.join(changed) or 'nothing new'}; reviews: {','.join(now) or 'none'}"
    )
