"""The `hotline` command: run the web app and workers, migrate, add agents, simulate.

Domains add their own commands in `hotline/<domain>/cli.py` through `register(main,
simulate)`, so that this file stays the table of contents.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from hotline.config import ConfigError, Settings, load_settings

DOMAIN_CLIS = (
    "hotline.voice.cli",
    "hotline.sms.cli",
    "hotline.sms.inbound_cli",
    "hotline.callbacks.cli",
    "hotline.translation.cli",
    "hotline.agents.cli",
    "hotline.demo",
    "hotline.web.cli",
    "hotline.directory.cli",
    "hotline.privacy.cli",
    "hotline.encryption.cli",
    "hotline.posters.cli",
    "hotline.review.cli",
    "hotline.training.cli",
)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc


class HotlineGroup(click.Group):
    """Turns an unreachable database or Redis, or a configuration error found after start
    (such as a missing data key), into one line naming the setting to check."""

    def invoke(self, ctx: click.Context) -> Any:
        from hotline.unreachable import UNREACHABLE_ERRORS, describe

        try:
            return super().invoke(ctx)
        except UNREACHABLE_ERRORS as exc:
            raise click.ClickException(describe(exc)) from None
        except ConfigError as exc:  # e.g. a data key missing for stored data
            raise click.ClickException(f"configuration error: {exc}") from None


def public_url_or(base_url: str) -> Settings:
    """The settings, with `base_url` as the public URL unless HOTLINE_PUBLIC_URL is set.

    On a laptop the hotline is reached where it listens: `serve --port 5001` must put
    5001 in its `<Play>` and callback URLs, and `simulate --url` must sign for it.
    """
    settings = settings_or_exit()
    if os.environ.get("HOTLINE_PUBLIC_URL", "").strip():
        return settings
    return settings.with_overrides(public_url=base_url.rstrip("/"))


def local_url(host: str, port: int) -> str:
    """The URL a browser on this machine uses for a server bound to `host`:`port`."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


@click.group(cls=HotlineGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Hotline: a multilingual voice and SMS hotline for migrant workers.

    Configuration comes from environment variables (see README). With none set, the
    hotline runs on an embedded SQLite file and an embedded Redis in ./instance.
    """
    from hotline.handlers import register_handlers
    from hotline.jobs import REGISTRY

    register_handlers(REGISTRY)  # commands that record jobs (demo data, sends) need them


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=int, help="Web processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per process.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the web app (webhooks, agent API and UI) under gunicorn.

    Without HOTLINE_PUBLIC_URL, the public URL follows --host and --port.
    """
    from hotline.server import run_gunicorn

    settings = public_url_or(local_url(host, port))
    claim_port(host, port, "`hotline serve --port {port}`")
    run_gunicorn(
        settings,
        bind=f"{host}:{port}",
        workers=workers,
        threads=threads,
        banner=f"Hotline serving on {local_url(host, port)}",
    )


def claim_port(host: str, port: int, how: str) -> None:
    """Stop with a one-line hint when the port is taken; `how` shows how to choose
    another, with `{port}` standing for a suggestion."""
    from hotline.server import PortUnavailable, check_port

    try:
        check_port(host, port)
    except PortUnavailable as exc:
        hint = how.format(port=port + 1)
        raise click.ClickException(f"{exc}: choose another port, e.g. {hint}") from None


@main.command()
@click.option("--burst", is_flag=True, help="Run the jobs that are due, then exit.")
@click.option(
    "--relay-interval",
    default=2.0,
    show_default=True,
    type=float,
    help="Seconds between outbox relay passes.",
)
def worker(burst: bool, relay_interval: float) -> None:
    """Run background jobs (SMS, calls, transcription, translation) from Redis."""
    from hotline.worker import run_worker

    run_worker(settings_or_exit(), burst=burst, relay_interval=relay_interval)


@main.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations up to REVISION (the latest by default)."""
    from hotline.encryption import Keyring
    from hotline.migrate import upgrade

    settings = settings_or_exit()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, revision, keyring=Keyring.from_settings(settings))
    click.echo("database is up to date")


@main.group()
def agent() -> None:
    """Advisers and supervisors."""


@agent.command("add")
@click.option("--name", required=True, help="The adviser's name as colleagues know it.")
@click.option("--languages", required=True, help="Comma-separated codes, e.g. vi,en.")
@click.option("--phone", default=None, help="Phone number dialled for callbacks (+81...).")
@click.option(
    "--role",
    default="agent",
    show_default=True,
    type=click.Choice(["agent", "adviser", "supervisor", "admin"]),
    help="agent (= adviser): their languages; supervisor: every language, reports and the "
    "audit log; admin: a supervisor who also manages agents, keys and retention.",
)
def agent_add(name: str, languages: str, phone: str | None, role: str) -> None:
    """Add an agent and print their API token (shown only this once)."""
    from hotline.agents.auth import create_agent
    from hotline.crypto import InvalidPhoneNumber
    from hotline.runtime import Runtime

    runtime = Runtime(settings_or_exit())
    try:
        with runtime.db.session() as session:
            agent_row, token = create_agent(
                session,
                runtime.settings.secret_key,
                name=name,
                languages=languages,
                phone=phone,
                role=role,
            )
            agent_id, role = agent_row.id, agent_row.role
    except (ValueError, InvalidPhoneNumber) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"agent {agent_id} added: {name} ({languages}, {role})")
    click.echo("API token (store it now; it cannot be shown again):")
    click.echo(token)


@main.command("config")
def show_config() -> None:
    """Print the effective configuration, without secrets."""
    for key, value in settings_or_exit().public_dict().items():
        click.echo(f"{key} = {value}")


@main.group()
def simulate() -> None:
    """Drive the hotline from a terminal the way Twilio would: no phone needed."""


def _register_domains() -> None:
    for name in DOMAIN_CLIS:
        try:
            module: Any = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(main, simulate)


_register_domains()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
