"""`hotline simulate call` and `hotline prompts check|render`."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hotline import yamltext
from hotline.languages import LANGUAGES

if TYPE_CHECKING:
    from hotline.voice.scripts import Scripts

LEGEND = (
    "T/t Twilio speaks the text (reviewed/unreviewed)   A/a recorded audio "
    "(reviewed/unreviewed)   p espeak-ng placeholder   - missing"
)


def register(main: click.Group, simulate: click.Group) -> None:
    simulate.add_command(simulate_call)
    main.add_command(prompts)


@click.command("call")
@click.option(
    "--from",
    "from_number",
    default=None,
    help="The caller's number (made-up numbers only) [default: a fresh made-up number].",
)
@click.option(
    "--digits",
    default=None,
    help="Keys to press, e.g. 84#2 ('.' silence, R5 speak 5 s, A adviser answers, "
    "H hang up). Without it, keys are read from the keyboard.",
)
@click.option(
    "--url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where the hotline is running (`hotline serve`).",
)
@click.option("--to", "to_number", default=None, help="The hotline number called.")
def simulate_call(
    from_number: str | None, digits: str | None, url: str, to_number: str | None
) -> None:
    """Call the hotline from the terminal, signed as Twilio signs, and hear the IVR.

    Each call comes from a fresh made-up number unless --from is given, so that keys
    like 84#2 mean a language choice and then the menu. After the call it lists what the
    call left behind: the case reference, callback requests and voicemails.
    """
    import requests

    from hotline.cli import public_url_or
    from hotline.crypto import InvalidPhoneNumber, normalise_phone
    from hotline.unreachable import no_server
    from hotline.voice.sim_report import caller_before, created_by_call, fresh_number, prompt_text
    from hotline.voice.simulator import (
        CallSimulator,
        Heard,
        HttpTransport,
        KeyScript,
        SimulationError,
        TwimlRejected,
    )

    settings = public_url_or(url)
    if not settings.twilio_auth_token:
        raise click.ClickException("no Twilio auth token: the simulator signs with it")
    try:
        requests.get(url.rstrip("/") + "/healthz", timeout=10)
    except requests.ConnectionError:
        raise click.ClickException(no_server(url)) from None
    if from_number is None:
        from_number = fresh_number(settings)
    else:
        try:
            from_number = normalise_phone(from_number)
        except InvalidPhoneNumber as exc:
            raise click.BadParameter("not a phone number", param_hint="--from") from exc
    before = caller_before(settings, from_number)
    click.echo(f"-- calling from {from_number}; {before.line()}")

    def ask(what: str) -> str:
        try:
            return click.prompt(f"  your {what}", default="", show_default=False) or "."
        except (click.Abort, EOFError):
            return "H"

    def heard(item: Heard) -> None:
        said = prompt_text(item.url) if item.kind == "play" else None
        click.echo(f'{item}  "{said}"' if said else str(item))

    try:
        keys = KeyScript(digits or "", ask=None if digits is not None else ask)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--digits") from exc
    simulator = CallSimulator(
        HttpTransport(url, settings.public_url),
        auth_token=settings.twilio_auth_token,
        public_url=settings.public_url,
        from_number=from_number,
        to_number=to_number or settings.twilio_number or "+81500000000",
        account_sid=settings.twilio_account_sid or "AC" + "0" * 32,
        keys=keys,
        on_heard=heard,
    )
    try:
        result = simulator.run()
    except requests.ConnectionError:
        raise click.ClickException(no_server(url)) from None
    except (SimulationError, TwimlRejected) as exc:
        raise click.ClickException(str(exc)) from exc
    ended = "you hung up" if result.ended_by == "caller" else "the hotline ended the call"
    click.echo(f"-- call {result.call_sid} over after ~{result.seconds}s: {ended}")
    for line in created_by_call(settings, result.call_sid, before):
        click.echo(f"-- {line}")


@click.group("prompts")
def prompts() -> None:
    """IVR prompts: coverage per language, and placeholder audio."""
    from hotline import languages
    from hotline.config import data_path

    languages.use(data_path("ivr_scripts"))  # HOTLINE_IVR_SCRIPTS, as the settings read it


@prompts.command("check")
def prompts_check() -> None:
    """Validate ivr_scripts/ and print coverage; exit 1 on a broken reference."""
    from hotline.packs.check import pack_problems
    from hotline.voice.scripts import ScriptError, audio_dir, ivr_scripts_dir, load_scripts

    problems = pack_problems(ivr_scripts_dir(), audio_dir())
    with contextlib.suppress(ScriptError):  # the problems below say why
        _print_coverage(load_scripts())
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} broken reference(s)", err=True)
        sys.exit(1)
    click.echo("all references resolve")


def _print_coverage(scripts: Scripts) -> None:
    from hotline.voice.scripts import coverage

    rows = coverage(scripts)
    codes = list(scripts.table)
    cells = {(r.language, r.prompt): r for r in rows}
    width = max(len(p) for p in scripts.menu.prompt_names()) + 1
    click.echo(" " * width + " ".join(f"{c:>3}" for c in codes))
    marks = {"tts": "t", "audio": "a", "placeholder": "p", "missing": "-"}
    for name in scripts.menu.prompt_names():
        line = []
        for code in codes:
            row = cells[(code, name)]
            mark = marks[row.how]
            line.append(f"{mark.upper() if row.reviewed else mark:>3}")
        click.echo(f"{name:<{width}}" + " ".join(line))
    click.echo(LEGEND)
    for code in codes:
        missing = sum(1 for r in rows if r.language == code and r.how == "missing")
        if missing:
            lang = scripts.table[code]
            why = "" if lang.espeak_voice else " (no synthetic voice: record them by phone)"
            click.echo(f"{code}: {missing} prompt(s) without audio{why}")
    from hotline.review.commands import coverage_lines

    for summary in coverage_lines():
        click.echo(summary)


@prompts.command("render")
@click.option("--language", "languages", multiple=True, help="Only these languages.")
@click.option("--force", is_flag=True, help="Render again even if up to date.")
@click.option(
    "--engine",
    type=click.Choice(["espeak", "google"]),
    default="espeak",
    show_default=True,
    help="google: Google Cloud Text-to-Speech where it has a voice (GOOGLE_CLOUD_PROJECT), "
    "espeak-ng for the other languages.",
)
def prompts_render(languages: tuple[str, ...], force: bool, engine: str) -> None:
    """Make placeholder audio (8 kHz mono) where Twilio has no voice."""
    from hotline.config import ConfigError
    from hotline.privacy.notice import retention_values_from_env
    from hotline.translation.google import ProviderError
    from hotline.voice.render import RenderUnavailable, render_placeholders
    from hotline.voice.scripts import ScriptError, load_scripts, reload_scripts

    try:
        tts = None
        if engine == "google":
            from hotline.cli import settings_or_exit
            from hotline.clients import NotConfigured
            from hotline.voice.google_tts import GoogleTTS

            try:
                tts = GoogleTTS(settings_or_exit())
            except NotConfigured as exc:
                raise click.ClickException(str(exc)) from exc
        scripts = load_scripts()
        done = render_placeholders(
            scripts,
            list(languages) or None,
            force=force,
            values=retention_values_from_env(),
            tts=tts,
        )
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc
    except ScriptError as exc:
        raise click.ClickException(f"broken scripts:\n{exc}") from exc
    except (RenderUnavailable, ProviderError) as exc:
        raise click.ClickException(str(exc)) from exc
    reload_scripts()
    made = [r for r in done if r.skipped is None]
    for r in made:
        click.echo(f"rendered {r.path}")
    click.echo(f"{len(made)} file(s) rendered, {len(done) - len(made)} kept")


@prompts.command("pin")
@click.argument("agent_id", type=int)
@click.option(
    "--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="6 to 12 digits."
)
def prompts_pin(agent_id: int, pin: str) -> None:
    """Let AGENT_ID record prompts by phone: calling from their registered phone, with PIN.

    Issuing a PIN again lifts the lock that wrong PINs put on the old one.
    """
    from hotline.cli import settings_or_exit
    from hotline.runtime import Runtime
    from hotline.voice.recording import set_recorder_pin

    runtime = Runtime(settings_or_exit())
    try:
        with runtime.db.session() as session:
            set_recorder_pin(session, agent_id, pin)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"agent {agent_id} can now record prompts by calling the hotline "
        "(any lock on an earlier PIN is lifted)"
    )


@prompts.command("script")
@click.option("--language", required=True, type=click.Choice(sorted(LANGUAGES)))
def prompts_script(language: str) -> None:
    """Print the texts to read out when recording LANGUAGE by phone, in call order."""
    from hotline.privacy.notice import retention_values_from_env
    from hotline.voice.scripts import load_scripts

    scripts = load_scripts()
    values = retention_values_from_env()  # a recording states the periods configured now
    names = scripts.menu.prompt_names()
    for i, name in enumerate(names, 1):
        click.echo(f"{i:>2}/{len(names)} {name}: {scripts.text(language, name, values)}")


@prompts.command("export")
@click.option(
    "--lang", "language", type=click.Choice(sorted(LANGUAGES)), help="Only this language."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write into this folder (prompts/, sms/, audio/) instead of the configured ones.",
)
def prompts_export(language: str | None, out: Path | None) -> None:
    """Write reviewed and edited texts back to the pack files (only their `text` and
    `reviewed` values change), and the prompts recorded by phone into audio/."""
    import yaml
    from sqlalchemy import select

    from hotline.cli import settings_or_exit
    from hotline.review.commands import export_texts
    from hotline.runtime import Runtime
    from hotline.voice.models import PromptRecording
    from hotline.voice.scripts import audio_dir

    settings = settings_or_exit()
    for line in export_texts([language] if language else list(LANGUAGES), out):
        click.echo(line)
    audio_root = out / "audio" if out is not None else audio_dir()
    runtime = Runtime(settings)
    written = 0
    with runtime.db.session() as session:
        query = (
            select(PromptRecording)
            .where(PromptRecording.status == "kept", PromptRecording.audio.is_not(None))
            .order_by(PromptRecording.id)
        )
        if language:
            query = query.where(PromptRecording.language == language)
        for row in session.scalars(query):
            folder = audio_root / row.language
            folder.mkdir(parents=True, exist_ok=True)
            assert row.audio is not None
            (folder / f"{row.prompt}.wav").write_bytes(row.audio)
            manifest_path = folder / "manifest.yaml"
            manifest: dict[str, object] = {}
            if manifest_path.is_file():
                manifest = yamltext.parse(manifest_path.read_text("utf-8")) or {}
            manifest[row.prompt] = {"source": "recorded-by-phone", "reviewed": row.reviewed}
            manifest_path.write_text(yaml.safe_dump(manifest, sort_keys=True), "utf-8")
            written += 1
    runtime.close()
    click.echo(f"{written} recording(s) written to {audio_root}")
