"""`hotline agent passwd`: set an agent's password for the web app."""

from __future__ import annotations

import click


def register(main: click.Group, simulate: click.Group) -> None:
    agent_group = main.commands.get("agent")
    if not isinstance(agent_group, click.Group):  # pragma: no cover - hotline.cli defines it
        raise RuntimeError("the `hotline agent` command group is missing")

    @agent_group.command("passwd")
    @click.option("--id", "agent_id", type=int, default=None, help="The agent's id.")
    @click.option("--name", default=None, help="The agent's name (when it is unique).")
    @click.password_option(
        "--password",
        prompt="New password",
        help="At least 12 characters; prompted for (twice) when not given.",
    )
    def agent_passwd(agent_id: int | None, name: str | None, password: str) -> None:
        """Set the password an agent signs in to the web app with.

        Signs that agent out of every browser. Give --id, or --name when only one
        active agent has that name.
        """
        from sqlalchemy import func, select

        from hotline.agents.models import Agent
        from hotline.cli import settings_or_exit
        from hotline.runtime import Runtime
        from hotline.web.security import PasswordTooWeak, set_password

        if (agent_id is None) == (name is None):
            raise click.UsageError("give exactly one of --id and --name")
        runtime = Runtime(settings_or_exit())
        try:
            with runtime.db.session() as session:
                if agent_id is not None:
                    found = [a for a in [session.get(Agent, agent_id)] if a is not None]
                else:
                    assert name is not None
                    found = list(
                        session.scalars(
                            select(Agent).where(
                                func.lower(Agent.name) == name.strip().lower(),
                                Agent.active.is_(True),
                            )
                        )
                    )
                if not found:
                    raise click.ClickException("no such agent")
                if len(found) > 1:
                    raise click.ClickException(
                        "several agents have that name: use --id "
                        + ", ".join(str(a.id) for a in found)
                    )
                try:
                    set_password(session, found[0], password)
                except PasswordTooWeak as exc:
                    raise click.ClickException(str(exc)) from exc
                shown = f"agent {found[0].id} ({found[0].name})"
        finally:
            runtime.close()
        click.echo(f"password set for {shown}; their browser sessions were signed out")
