"""`hotline poster --lang vi [--format a4|card] --out FILE.pdf`: a printable poster or
wallet card for one language (DESIGN.md)."""

from __future__ import annotations

from pathlib import Path

import click

from hotline.posters.poster import FORMATS


def register(main: click.Group, simulate: click.Group) -> None:
    @main.command("poster")
    @click.option("--lang", "code", required=True, help="Language code, e.g. vi, my, ne.")
    @click.option(
        "--format",
        "page_format",
        type=click.Choice(FORMATS),
        default="a4",
        show_default=True,
        help="a4: one-page poster; card: 85.6 x 54 mm wallet card, front and back.",
    )
    @click.option(
        "--out",
        required=True,
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="Where to write the PDF.",
    )
    def poster(code: str, page_format: str, out: Path) -> None:
        """Print a poster or wallet card: the number, `<calling code>#`, the menu keys and
        the SMS keywords in the language, with Japanese and English beside."""
        from hotline.cli import settings_or_exit
        from hotline.posters.poster import UnknownLanguage, render_pdf

        settings = settings_or_exit()
        try:
            pdf = render_pdf(settings, code.strip(), page_format)
        except UnknownLanguage as exc:
            raise click.ClickException(str(exc)) from None
        try:
            out.write_bytes(pdf)
        except OSError as exc:
            raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
        if settings.twilio_number is None:
            click.echo("warning: TWILIO_NUMBER is not set; the number is a placeholder", err=True)
        click.echo(f"wrote {out} ({page_format}, {code.strip()})")
