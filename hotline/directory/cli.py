"""`hotline directory ...`: supervisors and operators keep the referral directory.

Every change is audited; `--agent` names the supervisor who makes it (required for
`verify`, which records who checked the entry against its official source).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy.orm import Session

from hotline.commands import command_session
from hotline.directory.models import ORGANISATION_KINDS

UNVERIFIED = "UNVERIFIED"

_FIELD_OPTIONS: list[tuple[str, str]] = [
    ("--name-ja", "Name in Japanese."),
    ("--name-en", "Name in English."),
    ("--known-as", "The short name a worker would recognise (used in the SMS)."),
    ("--kind", f"One of: {', '.join(ORGANISATION_KINDS)}."),
    ("--prefecture", "Prefecture code such as tokyo or osaka; empty: nationwide."),
    ("--country", "Embassies and consulates: the ISO region, e.g. VN."),
    ("--phone", "The number as dialled, e.g. 0120-558-815."),
    ("--hours", "Japan time, e.g. 'mon-fri 09:00-17:00; sat,sun 09:00-21:00' (see docs)."),
    ("--languages", "Comma-separated language codes spoken there, e.g. vi,en."),
    ("--url", "Web address."),
    ("--source", "Where the facts come from, with its date."),
]


def _field_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for flag, help_text in reversed(_FIELD_OPTIONS):
        command = click.option(flag, default=None, help=help_text)(command)
    return command


def _values(options: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in options.items() if value is not None}


def _organisation(session: Session, organisation_id: int) -> Any:
    from hotline.directory.models import Organisation

    org = session.get(Organisation, organisation_id)
    if org is None:
        raise click.ClickException(f"no organisation {organisation_id}")
    return org


def _check_agent(session: Session, agent_id: int | None, *, required: bool) -> int | None:
    """The acting agent must exist and be a supervisor: the directory is theirs to keep."""
    from hotline.agents.models import Agent

    if agent_id is None:
        if required:
            raise click.ClickException("--agent is required: who checked the entry")
        return None
    agent = session.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise click.ClickException(f"no active agent {agent_id}")
    if not agent.is_supervisor:
        raise click.ClickException(f"agent {agent_id} is not a supervisor")
    return agent_id


def _line(org: Any) -> str:
    from hotline.directory.hours import render

    mark = "verified " + org.verified_at.date().isoformat() if org.verified_at else UNVERIFIED
    where = org.prefecture or "nationwide"
    languages = ",".join(org.languages) or "-"
    inactive = "  (inactive)" if not org.active else ""
    return (
        f"{org.id:>4}  {mark:<19} {org.kind:<16} {org.known_as or org.name_en}\n"
        f"      {org.phone}  {render(org.hours, 'en')}  [{languages}]  {where}{inactive}"
    )


def register(main: click.Group, simulate: click.Group) -> None:
    @main.group()
    def directory() -> None:
        """The referral directory: organisations workers are pointed to."""

    @directory.command("list")
    @click.option("--language", default=None, help="Only entries for this language.")
    @click.option("--prefecture", default=None, help="Only this prefecture and nationwide.")
    @click.option("--kind", default=None, type=click.Choice(ORGANISATION_KINDS))
    @click.option("--all", "show_all", is_flag=True, help="Include deactivated entries.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    def list_(
        language: str | None,
        prefecture: str | None,
        kind: str | None,
        show_all: bool,
        as_json: bool,
    ) -> None:
        """List entries; unverified ones are marked UNVERIFIED."""
        from sqlalchemy import select

        from hotline.directory import service
        from hotline.directory.models import Organisation
        from hotline.languages import LANGUAGES

        if language is not None and language not in LANGUAGES:
            raise click.BadParameter(f"unknown language code {language!r}", param_hint="--language")
        if prefecture is not None and prefecture not in service.prefectures():
            raise click.BadParameter(
                f"unknown prefecture {prefecture!r}", param_hint="--prefecture"
            )
        with command_session() as session:
            if show_all:
                rows = list(session.scalars(select(Organisation).order_by(Organisation.id)))
            else:
                rows = service.search(session, language, prefecture, kind)
            if as_json:
                click.echo(
                    json.dumps([service.organisation_json(o) for o in rows], ensure_ascii=False)
                )
                return
            for org in rows:
                click.echo(_line(org))
            unverified = sum(1 for org in rows if org.verified_at is None)
            click.echo(f"{len(rows)} organisation(s), {unverified} unverified")

    @directory.command("seed")
    @click.option("--agent", "agent_id", type=int, default=None, help="Supervisor's agent id.")
    def seed(agent_id: int | None) -> None:
        """Add the entries of hotline/data/directory.yaml not yet in the database (unverified)."""
        from hotline.directory import service

        with command_session() as session:
            added = service.seed(session, agent_id=_check_agent(session, agent_id, required=False))
            click.echo(f"{len(added)} organisation(s) added, all unverified")

    @directory.command("add")
    @_field_options
    @click.option("--agent", "agent_id", type=int, default=None, help="Supervisor's agent id.")
    def add(agent_id: int | None, **options: Any) -> None:
        """Add an organisation (unverified until someone runs `verify`)."""
        from hotline.directory import service

        with command_session() as session:
            acting = _check_agent(session, agent_id, required=False)
            try:
                org = service.add(session, _values(options), agent_id=acting)
            except service.DirectoryError as exc:
                raise click.ClickException(str(exc)) from exc
            click.echo(f"organisation {org.id} added (unverified)")

    @directory.command("edit")
    @click.argument("organisation_id", type=int)
    @_field_options
    @click.option("--agent", "agent_id", type=int, default=None, help="Supervisor's agent id.")
    def edit(organisation_id: int, agent_id: int | None, **options: Any) -> None:
        """Change fields; a new phone, hours, name or languages needs verifying again."""
        from hotline.directory import service

        with command_session() as session:
            acting = _check_agent(session, agent_id, required=False)
            org = _organisation(session, organisation_id)
            try:
                changed = service.edit(session, org, _values(options), agent_id=acting)
            except service.DirectoryError as exc:
                raise click.ClickException(str(exc)) from exc
            state = "verified" if org.verified_at else "unverified"
            click.echo(f"organisation {org.id}: {', '.join(changed) or 'nothing'} changed; {state}")

    @directory.command("verify")
    @click.argument("organisation_id", type=int)
    @click.option("--agent", "agent_id", type=int, required=True, help="Supervisor's agent id.")
    def verify(organisation_id: int, agent_id: int) -> None:
        """Record that a supervisor checked the entry against its official source today."""
        from hotline.directory import service

        with command_session() as session:
            acting = _check_agent(session, agent_id, required=True)
            assert acting is not None
            org = _organisation(session, organisation_id)
            service.verify(session, org, agent_id=acting)
            click.echo(f"organisation {org.id} verified by agent {acting}")

    @directory.command("deactivate")
    @click.argument("organisation_id", type=int)
    @click.option("--agent", "agent_id", type=int, default=None, help="Supervisor's agent id.")
    @click.option("--undo", is_flag=True, help="Make the entry active again.")
    def deactivate(organisation_id: int, agent_id: int | None, undo: bool) -> None:
        """Hide an entry from advisers' searches (its referrals stay on their cases)."""
        from hotline.directory import service

        with command_session() as session:
            acting = _check_agent(session, agent_id, required=False)
            org = _organisation(session, organisation_id)
            service.set_active(session, org, undo, agent_id=acting)
            click.echo(f"organisation {org.id} {'active' if undo else 'deactivated'}")
