"""`hotline agent list|token|deactivate`: find agents, rotate a token, take one out of
service. No command prints a phone number."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.commands import command_session


def register(main: click.Group, simulate: click.Group) -> None:
    agent_group = main.commands.get("agent")
    if not isinstance(agent_group, click.Group):  # pragma: no cover - hotline.cli defines it
        raise RuntimeError("the `hotline agent` command group is missing")
    agent_group.add_command(agent_list)
    agent_group.add_command(agent_token)
    agent_group.add_command(agent_deactivate)


def _agent(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise click.ClickException(f"no agent with id {agent_id} (see `hotline agent list`)")
    return agent


@click.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include deactivated agents.")
def agent_list(show_all: bool) -> None:
    """List agents: id, name, languages, role and whether they are active."""
    from sqlalchemy import select

    with command_session() as session:
        query = select(Agent).order_by(Agent.id)
        if not show_all:
            query = query.where(Agent.active.is_(True))
        rows = [
            (str(a.id), a.name, ",".join(a.languages), a.role, "yes" if a.active else "no")
            for a in session.scalars(query)
        ]
    if not rows:
        click.echo("no agents yet: add one with `hotline agent add`")
        return
    header = ("id", "name", "languages", "role", "active")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@click.command("token")
@click.option("--id", "agent_id", type=int, required=True, help="The agent's id.")
def agent_token(agent_id: int) -> None:
    """Give an agent a new API token (shown once); the old one stops working."""
    from hotline.agents.auth import rotate_token

    with command_session() as session:
        agent = _agent(session, agent_id)
        if not agent.active:
            raise click.ClickException(f"agent {agent_id} is deactivated")
        token = rotate_token(session, agent)
        shown = f"agent {agent.id} ({agent.name})"
    click.echo(f"new API token for {shown}; the old one no longer works.")
    click.echo("Store it now; it cannot be shown again:")
    click.echo(token)


@click.command("deactivate")
@click.option("--id", "agent_id", type=int, required=True, help="The agent's id.")
def agent_deactivate(agent_id: int) -> None:
    """Take an agent out of service: their API token and browser sessions stop working,
    and callbacks they held go back to the queue."""
    from hotline.agents.auth import deactivate_agent

    with command_session() as session:
        agent = _agent(session, agent_id)
        if not agent.active:
            click.echo(f"agent {agent_id} was already deactivated")
            return
        released = deactivate_agent(session, agent)
        shown = f"agent {agent.id} ({agent.name})"
    back = f"; {len(released)} held callback(s) back in the queue" if released else ""
    click.echo(f"{shown} deactivated: API token and browser sessions no longer work{back}")
