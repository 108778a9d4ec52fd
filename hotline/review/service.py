"""Reviewing a language pack: who may, marking a text reviewed, editing it, and letting
a phone recording go live. Every change is audited (hotline.audit, the /audit page)."""

from __future__ import annotations

import string

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.agents.models import Agent
from hotline.languages import LANGUAGES
from hotline.review import live
from hotline.review.coverage import SYNTHETIC_SOURCES
from hotline.review.models import PromptReviewer, PromptVersion
from hotline.review.packs import REPLY, Packs, PackText, pack_texts
from hotline.sms.scripts import MAX_HELP_SEGMENTS, MAX_REPLY_SEGMENTS, WORST_CASE_VALUES
from hotline.sms.segments import count_segments
from hotline.voice import sms_form
from hotline.voice.models import PromptRecording, replace_kept_recording
from hotline.voice.scripts import Scripts

MAX_TEXT_CHARS = 1000
PENDING = "pending"  # a phone recording waiting for review before it goes live


class ReviewRefused(Exception):
    """The agent may not review this language (a 403 on the web)."""


class BadEdit(ValueError):
    """The edited text cannot be used; the message says why (a 400 on the web)."""


def reviewer_languages(session: Session, agent: Agent) -> list[str]:
    """The languages this agent reviews."""
    rows = session.scalars(
        select(PromptReviewer.language).where(PromptReviewer.agent_id == agent.id)
    )
    return sorted(set(rows))


def may_review(session: Session, agent: Agent, language: str) -> bool:
    """Only reviewers of the language; no role implies it (a supervisor may not speak it)."""
    if not agent.active or language not in LANGUAGES:
        return False
    return language in reviewer_languages(session, agent)


def grant(session: Session, agent: Agent, languages: list[str], *, by: int | None) -> list[str]:
    """Make `agent` a reviewer of `languages`; returns the ones newly granted."""
    have = set(reviewer_languages(session, agent))
    added = [code for code in languages if code not in have]
    for code in added:
        session.add(PromptReviewer(agent_id=agent.id, language=code, granted_by=by))
    if added:
        audit.record(session, "reviewer.granted", "agent", agent.id, agent_id=by, languages=added)
    return added


def revoke(session: Session, agent: Agent, languages: list[str], *, by: int | None) -> list[str]:
    rows = session.scalars(
        select(PromptReviewer).where(
            PromptReviewer.agent_id == agent.id, PromptReviewer.language.in_(languages)
        )
    ).all()
    for row in rows:
        session.delete(row)
    removed = sorted(r.language for r in rows)
    if removed:
        audit.record(session, "reviewer.revoked", "agent", agent.id, agent_id=by, languages=removed)
    return removed


def find_text(p: Packs, language: str, channel: str, key: str) -> PackText | None:
    for item in pack_texts(p, language):
        if item.channel == channel and item.key == key:
            return item
    return None


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError as exc:
        raise BadEdit(f"the text has an unmatched brace: {exc}") from exc


def check_edit(current: PackText, text: str) -> str:
    """The edited text, trimmed; BadEdit when it cannot replace `current`."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise BadEdit("the text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise BadEdit(f"the text is longer than {MAX_TEXT_CHARS} characters")
    wanted, found = _fields(current.text), _fields(text)
    if found != wanted:
        names = ", ".join("{" + n + "}" for n in sorted(wanted)) or "none"
        raise BadEdit(f"the text must keep exactly these placeholders: {names}")
    if current.channel == "sms":
        values = {name: WORST_CASE_VALUES.get(name, "xxxxxxxxxx") for name in found}
        budget = MAX_REPLY_SEGMENTS
        if current.key in (REPLY + "help", REPLY + "privacy"):
            budget = MAX_HELP_SEGMENTS
        segments = count_segments(text.format(**values)).segments
        if segments > budget:
            raise BadEdit(f"the SMS needs {segments} segments; at most {budget} fit")
    return text


def _require(session: Session, agent: Agent, language: str) -> None:
    if not may_review(session, agent, language):
        raise ReviewRefused(f"you are not a reviewer of {language}")


def mark_reviewed(
    session: Session, agent: Agent, p: Packs, language: str, channel: str, key: str
) -> PromptVersion:
    """The reviewer signs off the current text (and its pending or kept recording)."""
    _require(session, agent, language)
    current = find_text(p, language, channel, key)
    if current is None:
        raise LookupError(f"no text {channel}/{key} in {language}")
    version = PromptVersion(
        language=language,
        channel=channel,
        key=key,
        text=current.text,
        reviewed=True,
        action="reviewed",
        agent_id=agent.id,
    )
    session.add(version)
    session.flush()
    recording = approve_recording(session, language, key) if channel == "voice" else None
    audit.record(
        session,
        "prompt.reviewed",
        "prompt_version",
        version.id,
        agent_id=agent.id,
        language=language,
        channel=channel,
        key=key,
        recording=recording,
    )
    live.invalidate()
    return version


def edit(
    session: Session, agent: Agent, p: Packs, language: str, channel: str, key: str, text: str
) -> PromptVersion:
    """A new wording by the reviewer: stored as a new, reviewed version, live at once."""
    _require(session, agent, language)
    current = find_text(p, language, channel, key)
    if current is None:
        raise LookupError(f"no text {channel}/{key} in {language}")
    text = check_edit(current, text)
    prompt = p.voice.languages[language].prompts.get(key) if channel == "voice" else None
    if prompt is not None and prompt.sms is not None:  # an INFO topic, also sent by SMS
        why = sms_form.too_long(text, prompt.sms)
        if why is not None:
            raise BadEdit(why)
    version = PromptVersion(
        language=language,
        channel=channel,
        key=key,
        text=text,
        reviewed=True,
        action="edited",
        agent_id=agent.id,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        "prompt.edited",
        "prompt_version",
        version.id,
        agent_id=agent.id,
        language=language,
        channel=channel,
        key=key,
        changed=text != current.text,
    )
    live.invalidate()
    return version


def history(session: Session, language: str) -> dict[tuple[str, str], list[PromptVersion]]:
    """Every version of the language's texts, newest first, by (channel, key)."""
    rows = session.scalars(
        select(PromptVersion)
        .where(PromptVersion.language == language)
        .order_by(PromptVersion.id.desc())
    )
    out: dict[tuple[str, str], list[PromptVersion]] = {}
    for row in rows:
        out.setdefault((row.channel, row.key), []).append(row)
    return out


# --- recordings made by phone -----------------------------------------------------------


def recordings(session: Session, language: str) -> dict[str, PromptRecording]:
    """prompt -> the recording a reviewer should hear: a pending one, else the kept one."""
    rows = session.scalars(
        select(PromptRecording)
        .where(
            PromptRecording.language == language,
            PromptRecording.status.in_(("kept", PENDING)),
        )
        .order_by(PromptRecording.id)
    )
    out: dict[str, PromptRecording] = {}
    for row in rows:
        if row.prompt not in out or row.status == PENDING:
            out[row.prompt] = row
    return out


def has_reviewed_voice(session: Session, scripts: Scripts, language: str, prompt: str) -> bool:
    """A reviewed recording of the prompt exists: by phone, or a file marked reviewed."""
    kept = session.scalar(
        select(PromptRecording.id).where(
            PromptRecording.language == language,
            PromptRecording.prompt == prompt,
            PromptRecording.status == "kept",
            PromptRecording.reviewed.is_(True),
        )
    )
    if kept is not None:
        return True
    audio = scripts.audio(language, prompt)
    return audio is not None and audio.reviewed and audio.source not in SYNTHETIC_SOURCES


def approve_recording(session: Session, language: str, prompt: str) -> int | None:
    """The newest pending or unreviewed kept recording becomes the reviewed live one."""
    row = recordings(session, language).get(prompt)
    if row is None or (row.status == "kept" and row.reviewed):
        return None
    if row.status == PENDING:
        replace_kept_recording(session, language, prompt)
        row.status = "kept"
    row.reviewed = True
    return row.id
