"""`hotline retention report` and `hotline worker-data export|erase`: what is due for
deletion, and access and erasure requests. No command prints a phone number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from hotline.runtime import Runtime


def register(main: click.Group, simulate: click.Group) -> None:
    main.add_command(retention)
    main.add_command(worker_data)


@contextmanager
def _runtime() -> Iterator[Runtime]:
    from hotline.cli import settings_or_exit

    runtime = Runtime(settings_or_exit())
    try:
        yield runtime
    finally:
        runtime.close()


@click.group()
def retention() -> None:
    """How long personal data is kept, and what falls due for deletion."""


@retention.command("report")
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(0, 3650),
    help="Also count what falls due within this many days.",
)
def retention_report(days: int) -> None:
    """Show the retention periods and what the next run would delete (counts only)."""
    from hotline.db import utcnow
    from hotline.privacy.retention import RULES, Policy, due_counts

    with _runtime() as runtime:
        settings = runtime.settings
        policy = Policy.from_settings(settings)
        now = utcnow()
        with runtime.db.session() as session:
            due_now = due_counts(session, policy, now)
            due_later = due_counts(session, policy, now + dt.timedelta(days=days))
    click.echo("retention periods:")
    click.echo(
        f"  voicemail audio: {settings.retain_voicemail_audio_days} days after the case closes"
    )
    click.echo(
        f"  texts, transcripts, translations, notes: {settings.retain_content_days} days"
        " after the case closes"
    )
    click.echo(f"  audit log: {settings.retain_audit_days} days")
    click.echo("  cases (language, topics, outcome, dates): kept for statistics")
    click.echo(f"{'due':<20} {'now':>8} {f'in {days} days':>14}")
    for rule in RULES:
        click.echo(f"{rule.name:<20} {due_now[rule.name]:>8} {due_later[rule.name]:>14}")


@retention.command("run")
def retention_run() -> None:
    """Delete what is due now (the worker does this every hour)."""
    from hotline.privacy.retention import purge

    with _runtime() as runtime:
        counts = purge(runtime)
    total = sum(counts.values())
    click.echo(f"deleted {total}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@click.group("worker-data")
def worker_data() -> None:
    """Access and erasure requests: everything held about one phone number."""


def _number(raw: str) -> str:
    from hotline.crypto import InvalidPhoneNumber, normalise_phone

    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber as exc:
        raise click.BadParameter("give the number in E.164 form, e.g. +819012345678") from exc


NUMBER = click.option("--number", required=True, help="The worker's number (+81...).")
YES = click.option("--yes", is_flag=True, help="Do not ask for confirmation.")


@worker_data.command("export")
@NUMBER
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: ./worker-data-<date>).",
)
@YES
def worker_data_export(number: str, out: Path | None, yes: bool) -> None:
    """Write everything held about a number (JSON plus audio files) into a folder, for a
    supervisor to hand over to the worker. The files are decrypted: keep them safe."""
    from hotline.privacy.worker_data import NoSuchWorker, export

    e164 = _number(number)
    folder = out or Path.cwd() / f"worker-data-{dt.date.today().isoformat()}"
    if folder.exists() and any(folder.iterdir()):
        raise click.ClickException(f"{folder} is not empty: choose another --out folder")
    if not yes:
        click.confirm(
            f"Write everything held about this number, readable, into {folder}?", abort=True
        )
    with _runtime() as runtime:
        try:
            result = export(runtime, e164, folder)
        except NoSuchWorker as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(
        f"wrote {folder / 'worker-data.json'}: {result.cases} cases, {result.messages}"
        f" messages, {result.voicemails} voicemails, {len(result.audio_files)} audio files"
    )


@worker_data.command("erase")
@NUMBER
@YES
def worker_data_erase(number: str, yes: bool) -> None:
    """Delete everything held about a number, Twilio's copies included; only anonymised
    statistics (case language, topics, outcome, dates) remain. Cannot be undone."""
    from hotline.privacy.worker_data import NoSuchWorker, erase, held
    from hotline.telephony import TelephonyError

    e164 = _number(number)
    with _runtime() as runtime:
        try:
            found = held(runtime, e164)
        except NoSuchWorker as exc:
            raise click.ClickException(str(exc)) from None
        if not yes:
            click.confirm(
                f"Erase {found.cases} cases' content, {found.messages} messages and"
                f" {found.voicemails} voicemails held about this number, and Twilio's copies?"
                " This cannot be undone.",
                abort=True,
            )
        try:
            done = erase(runtime, e164)
        except TelephonyError as exc:
            raise click.ClickException(
                f"Twilio's copies could not all be deleted ({exc}); nothing of ours was"
                " erased yet: run the command again"
            ) from None
    click.echo(
        f"erased: {done.cases} cases kept as anonymised statistics, {done.messages} messages,"
        f" {done.voicemails} voicemails; at Twilio {len(done.recording_sids)} recordings,"
        f" {len(done.message_sids)} messages, {len(done.call_sids)} calls"
    )
