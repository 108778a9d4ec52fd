"""What `hotline prompts check` and `hotline prompts export` do for the review: the
coverage with the database's versions and phone recordings, and the export of texts."""

from __future__ import annotations

import os
from pathlib import Path

from hotline.review.coverage import coverage, render_table
from hotline.review.packs import Packs, load_packs
from hotline.voice.scripts import audio_dir, ivr_scripts_dir


def coverage_lines() -> list[str]:
    """The coverage table; with DATABASE_URL set, with reviewers' versions and phone
    recordings over the files (the live state), else the files alone (said so)."""
    p = load_packs(ivr_scripts_dir(), audio_dir())
    if not os.environ.get("DATABASE_URL"):
        return ["(no DATABASE_URL: coverage of the pack files only)", *render_table(coverage(p))]
    from hotline.commands import command_session
    from hotline.review.live import latest_versions
    from hotline.review.packs import overlay
    from hotline.voice.turn import recorded_prompts

    with command_session() as session:
        versions = {k: (v.text, v.reviewed) for k, v in latest_versions(session).items()}
        recorded = recorded_prompts(session)
    return render_table(coverage(overlay(p, versions), recorded))


def export_texts(languages: list[str], out: Path | None) -> list[str]:
    """Write reviewed and edited versions into the pack files (or copies under `out`)."""
    from hotline.commands import command_session
    from hotline.review.export import export, pending_changes

    root = ivr_scripts_dir()
    p: Packs = load_packs(root, audio_dir())
    with command_session() as session:
        changes = pending_changes(session, p, languages)
    written = export(changes, root, out)
    lines = [f"{c.item.language} {c.item.channel} {c.item.key}" for c in changes]
    return [*(f"exported {line}" for line in lines), *(f"wrote {w}" for w in written)]
