"""`hotline keys ...`: the keys that encrypt stored data, and moving data to a new one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hotline.runtime import Runtime


def register(main: click.Group, simulate: click.Group) -> None:
    @main.group()
    def keys() -> None:
        """Keys for data at rest (HOTLINE_DATA_KEYS): status, rotation, new keys."""

    @keys.command("new")
    @click.option("--id", "key_id", required=True, help="Id for the key, e.g. 2027a.")
    def new(key_id: str) -> None:
        """Print a fresh random key, to put first in HOTLINE_DATA_KEYS."""
        from hotline.encryption import KEY_ID, new_key_text

        if not KEY_ID.match(key_id):
            raise click.BadParameter("letters, digits, - or _ (at most 32)", param_hint="--id")
        click.echo(new_key_text(key_id))

    @keys.command("status")
    def status() -> None:
        """How many stored values each key encrypts, per column."""
        from hotline.encryption.rotation import key_counts

        runtime = _checked_runtime()
        try:
            counts = key_counts(runtime.db)
        finally:
            runtime.close()
        current = runtime.db.keyring.current.key_id
        click.echo(f"current key: {current}")
        totals: dict[str, int] = {}
        for column, tally in counts.items():
            shown = ", ".join(f"{key}={n}" for key, n in sorted(tally.items())) or "empty"
            click.echo(f"{column}: {shown}")
            for key, n in tally.items():
                totals[key] = totals.get(key, 0) + n
        others = {key: n for key, n in totals.items() if key != current}
        if others:
            waiting = ", ".join(f"{key}={n}" for key, n in sorted(others.items()))
            click.echo(f"not yet on the current key: {waiting} (run `hotline keys rotate`)")
        else:
            click.echo("every value is encrypted with the current key")

    @keys.command("rotate")
    @click.option(
        "--batch-size",
        default=1000,
        show_default=True,
        type=click.IntRange(1, 100_000),
        help="Rows re-encrypted per committed batch (audio: at most 20).",
    )
    @click.option(
        "--max-batches",
        type=click.IntRange(1),
        help="Stop after this many batches (e.g. to spread the work); run again to resume.",
    )
    def rotate(batch_size: int, max_batches: int | None) -> None:
        """Re-encrypt stored data with the current key; stop any time and run again."""
        from hotline.encryption.rotation import rotate as run_rotation

        runtime = _checked_runtime()
        try:
            report = run_rotation(runtime.db, batch_size=batch_size, max_batches=max_batches)
        finally:
            runtime.close()
        for column, n in sorted(report.rewritten.items()):
            click.echo(f"{column}: {n} re-encrypted")
        if not report.finished:
            click.echo(f"stopped after {report.batches} batches: run again to continue")
            return
        click.echo(f"done: everything is encrypted with {runtime.db.keyring.current.key_id}")
        for key_id in report.retired:
            click.echo(f"key {key_id} no longer encrypts anything: it may leave HOTLINE_DATA_KEYS")


def _checked_runtime() -> Runtime:
    from hotline.cli import settings_or_exit
    from hotline.encryption.rotation import verify_data_keys
    from hotline.runtime import Runtime

    runtime = Runtime(settings_or_exit())
    try:
        verify_data_keys(runtime.db)
    except BaseException:
        runtime.close()
        raise
    return runtime
