"""`hotline inbound`: texts the worker could not process, and replaying them.

Only ids, times, attempts and the error are printed: never a number or a text.
"""

from __future__ import annotations

from typing import Any

import click


def register(main: click.Group, simulate: click.Group) -> None:
    @main.group()
    def inbound() -> None:
        """Stored texts that could not be processed (see docs/architecture.md)."""

    @inbound.command("failed")
    def failed() -> None:
        """List texts whose processing gave up after its retries."""
        from hotline.sms.processor import failed_deliveries

        rows = _with_runtime(failed_deliveries)
        if not rows:
            click.echo("no failed texts")
            return
        for row in rows:
            click.echo(
                f"#{row.id} received {row.received_at:%Y-%m-%d %H:%M:%S}Z "
                f"failed {row.failed_at:%Y-%m-%d %H:%M:%S}Z "
                f"attempts={row.attempts} error={row.last_error or '-'}"
            )
        click.echo(f"{len(rows)} failed: `hotline inbound replay ID` or `--all` to try again")

    @inbound.command("replay")
    @click.argument("ids", nargs=-1, type=int)
    @click.option("--all", "everything", is_flag=True, help="Replay every failed text.")
    def replay(ids: tuple[int, ...], everything: bool) -> None:
        """Process failed texts again (by id, or --all), in their arrival order."""
        from hotline.sms import processor

        if bool(ids) == everything:
            raise click.UsageError("give the ids of failed texts, or --all")
        count = _with_runtime(
            lambda runtime: processor.replay(runtime, None if everything else list(ids))
        )
        missing = "" if everything or count == len(ids) else " (the others are not failed texts)"
        click.echo(f"{count} text(s) queued again for the worker{missing}")


def _with_runtime(action: Any) -> Any:
    from hotline.cli import settings_or_exit
    from hotline.runtime import Runtime

    runtime = Runtime(settings_or_exit())
    try:
        return action(runtime)
    finally:
        runtime.close()
