"""`hotline translation ...`: what the language pipeline costs, and recording clean-up."""

from __future__ import annotations

import json

import click


def register(main: click.Group, simulate: click.Group) -> None:
    @main.group()
    def translation() -> None:
        """Machine translation and transcription."""

    @translation.command("usage")
    @click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3660))
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    def usage(days: int, as_json: bool) -> None:
        """Characters sent to Google per day and language, and cache hits."""
        from hotline.cli import settings_or_exit
        from hotline.runtime import Runtime
        from hotline.translation.usage import usage_summary

        runtime = Runtime(settings_or_exit())
        try:
            with runtime.db.session() as session:
                summary = usage_summary(session, days=days)
        finally:
            runtime.close()
        if as_json:
            click.echo(json.dumps(summary.as_dict(), indent=2))
            return
        click.echo(f"since {summary.since.isoformat()}")
        click.echo(
            f"{'day':<12}{'language':<10}{'characters':>12}{'requests':>10}"
            f"{'cache hits':>12}{'audio s':>9}"
        )
        for row in summary.rows:
            click.echo(
                f"{row.day.isoformat():<12}{row.language:<10}"
                f"{row.characters + row.detect_characters:>12}{row.requests:>10}"
                f"{row.cache_hits:>12}{row.audio_seconds:>9}"
            )
        click.echo(
            f"total: {summary.characters} characters billed, {summary.requests} requests, "
            f"{summary.cache_hits} cache hits ({summary.hit_rate:.0%}), "
            f"{summary.audio_seconds} s of audio"
        )

    @translation.command("purge-recordings")
    def purge_recordings() -> None:
        """Delete Twilio's copy of recordings past HOTLINE_RECORDING_RETENTION_HOURS."""
        from hotline.cli import settings_or_exit
        from hotline.runtime import Runtime
        from hotline.translation.voicemail_jobs import delete_expired_recordings

        runtime = Runtime(settings_or_exit())
        try:
            count = delete_expired_recordings(runtime)
        finally:
            runtime.close()
        click.echo(f"{count} recording(s) deleted at Twilio")
