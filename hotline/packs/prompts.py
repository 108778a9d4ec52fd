"""One language's voice prompts, SMS templates and poster texts
(`ivr_scripts/prompts/<lang>.yaml`), validated against the menu graph."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hotline.languages import Language
from hotline.packs.menu import Menu
from hotline.packs.problems import Problem, read_yaml, rel
from hotline.privacy.notice import RETENTION_PLACEHOLDERS, placeholders_in
from hotline.voice import sms_form
from hotline.voice.sms_form import SmsForm

# The short texts a poster prints (`poster:` in each prompts file; hotline/posters).
POSTER_TEXTS = (
    "headline",
    "call",
    "choose_language",
    "key_1",
    "key_2",
    "key_3",
    "key_4",
    "key_9",
    "key_0",
    "key_star",
    "text_us",
)
_PROMPT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    reviewed: bool
    line: int | None
    sms: SmsForm | None = None


@dataclass(frozen=True)
class LanguagePrompts:
    code: str
    path: Path
    prompts: dict[str, Prompt]
    sms: dict[str, Prompt]
    poster: dict[str, Prompt] = field(default_factory=dict)


def load_prompts(
    root: Path, language: Language, menu: Menu, problems: list[Problem]
) -> LanguagePrompts | None:
    path = root / "prompts" / f"{language.code}.yaml"
    data, lines = read_yaml(path, problems)
    if data is None:
        return None
    fname = rel(root, path)

    def bad(entry_path: tuple[str, ...], message: str) -> None:
        problems.append(Problem(fname, lines.get(*entry_path), ".".join(entry_path), message))

    if not isinstance(data, dict):
        bad(("prompts",), "a prompts file must be a mapping")
        return None
    if data.get("language") != language.code:
        bad(("language",), f"must be {language.code!r}")

    def section(name: str) -> dict[str, Prompt]:
        out: dict[str, Prompt] = {}
        for key, entry in (data.get(name) or {}).items():
            where = (name, str(key))
            if not _PROMPT_NAME.match(str(key)):
                bad(where, "prompt names are lower_snake_case")
                continue
            if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                bad(where, "needs a `text`")
                continue
            if not entry["text"].strip():
                bad(where, "text is empty")
                continue
            if not isinstance(entry.get("reviewed"), bool):
                bad(where, "needs `reviewed: true|false`")
                continue
            form = sms_form.parse(entry.get("sms"), _at(bad, (*where, "sms")))
            out[str(key)] = Prompt(
                str(key), entry["text"].strip(), entry["reviewed"], lines.get(*where), form
            )
        return out

    prompts = section("prompts")
    sms = section("sms")
    for name, prompt in prompts.items():
        unknown = placeholders_in(prompt.text) - RETENTION_PLACEHOLDERS
        if unknown:
            bad(("prompts", name), f"unknown placeholder {{{sorted(unknown)[0]}}}")
    notice = prompts.get("privacy_notice")
    if notice is not None and placeholders_in(notice.text) != RETENTION_PLACEHOLDERS:
        bad(
            ("prompts", "privacy_notice"),
            "must state both retention periods: {voicemail_days} and {content_days}",
        )
    poster = section("poster")
    for name in POSTER_TEXTS:
        if name not in poster:
            bad(("poster",), f"poster text {name!r} is missing")
    for name in set(poster) - set(POSTER_TEXTS):
        bad(("poster", name), "not a poster text (see POSTER_TEXTS)")
    wanted = menu.prompt_names()
    for name in wanted:
        if name not in prompts:
            bad(("prompts",), f"prompt {name!r} is missing")
    for name in set(prompts) - set(wanted):
        bad(("prompts", name), "prompt is not used by menu.yaml")
    for _, name in menu.sms_topics:
        topic = prompts.get(name)
        if topic is not None and topic.sms is None:
            bad(("prompts", name), "an INFO topic needs an `sms` block with its `title`")
        elif topic is not None and topic.sms is not None:
            why = sms_form.too_long(topic.text, topic.sms)
            if why is not None:
                bad(("prompts", name, "sms"), why)
    for template, fields in menu.sms_templates.items():
        if template not in sms:
            bad(("sms",), f"SMS template {template!r} is missing")
            continue
        found = {f for _, f, _, _ in string.Formatter().parse(sms[template].text) if f}
        if found != set(fields):
            bad(("sms", template), f"placeholders must be exactly {{{', '.join(fields)}}}")
    return LanguagePrompts(language.code, path, prompts, sms, poster)


def _at(
    bad: Callable[[tuple[str, ...], str], None], where: tuple[str, ...]
) -> Callable[[str], None]:
    """`bad` with the entry's place filled in."""
    return lambda message: bad(where, message)
