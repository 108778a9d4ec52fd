"""`hotline training seed|reset|list`: trainees' spaces (see docs/training.md)."""

from __future__ import annotations

import click

from hotline.config import Settings


def register(main: click.Group, simulate: click.Group) -> None:
    @main.group()
    def training() -> None:
        """Training spaces for new advisers and lawyers (TRAINING — not real workers)."""

    @training.command("seed")
    @click.option("--trainee", default="trainee", show_default=True, help="The trainee's name.")
    @click.option("--password", default=None, help="Their sign-in password [default: generated].")
    def training_seed(trainee: str, password: str | None) -> None:
        """Create the trainee's space and load the sample cases (once)."""
        from hotline.cli import settings_or_exit
        from hotline.training.seed import seed
        from hotline.web.security import PasswordTooWeak

        settings = settings_or_exit()
        try:
            done = seed(settings, trainee, password=password)
        except (ValueError, PasswordTooWeak) as exc:
            raise click.UsageError(str(exc)) from exc
        _audit(settings, "training.seeded", done.slug)
        click.echo(f"training space of {done.slug}: {done.cases} cases, at {done.url}")
        if done.password:
            click.echo(f"sign in as {done.slug} with password {done.password} (shown only now)")

    @training.command("reset")
    @click.option("--trainee", required=True, help="The trainee whose space is emptied.")
    @click.option("--empty", is_flag=True, help="Leave it empty (no sample cases).")
    def training_reset(trainee: str, empty: bool) -> None:
        """Empty the trainee's space (their sign-in is kept), then load the samples again."""
        from hotline.cli import settings_or_exit
        from hotline.training.seed import reset
        from hotline.training.space import NoSuchSpace

        settings = settings_or_exit()
        try:
            done = reset(settings, trainee, empty=empty)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        except NoSuchSpace as exc:
            raise click.ClickException(f"no training space for {trainee}") from exc
        _audit(settings, "training.reset", done.slug)
        click.echo(f"training space of {done.slug} reset: {done.cases} cases")

    @training.command("list")
    def training_list() -> None:
        """The trainees' spaces and where they are."""
        from hotline.cli import settings_or_exit
        from hotline.training.space import describe, list_spaces

        settings = settings_or_exit()
        for slug in list_spaces(settings):
            info = describe(settings, slug)
            click.echo(f"{slug}\t{info['where']}\t{info['url']}")


def _audit(settings: Settings, action: str, slug: str) -> None:
    """Recorded in the real audit log: who trains is not training data."""
    from hotline.audit import record
    from hotline.encryption import Keyring
    from hotline.migrate import upgrade
    from hotline.runtime import Runtime

    upgrade(settings.database_url, keyring=Keyring.from_settings(settings))
    runtime = Runtime(settings)
    try:
        with runtime.db.session() as session:
            record(session, action, "training_space", None, trainee=slug, via="cli")
    finally:
        runtime.close()
