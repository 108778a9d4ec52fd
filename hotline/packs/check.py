"""Every problem of every pack at once, for `hotline prompts check` and start-up."""

from __future__ import annotations

from pathlib import Path

from hotline.packs.problems import Problem


def pack_problems(root: Path, audio_root: Path) -> list[Problem]:
    """languages.csv, menu.yaml, prompts, pack texts, audio files and SMS scripts."""
    from hotline.sms import scripts as sms_scripts
    from hotline.voice.scripts import audio_problems, read_scripts

    problems: list[Problem] = []
    scripts = read_scripts(root, audio_root, problems)
    if scripts is None and not problems:
        problems.append(Problem(str(root), None, "menu.yaml", "no usable menu.yaml"))
    if scripts is not None:
        problems.extend(audio_problems(scripts))
    try:
        sms_scripts.load(root / "sms")
    except sms_scripts.ScriptError as exc:
        problems.extend(exc.problems or [Problem(str(root / "sms"), None, "", str(exc))])
    return problems
