"""The one place that knows the language-pack loaders (an adapter the lead can re-point).

Everything in hotline.review reads packs through here: the voice loader
(hotline.voice.scripts: Scripts, LanguagePrompts, Prompt) and the SMS loader
(hotline.sms.scripts). A text of a pack is named by (channel, key):

- ("voice", "<prompt>")           a voice prompt, `prompts:` in prompts/<lang>.yaml
- ("sms", "reply.<name>")         an SMS reply, `replies:` in sms/<lang>.yaml
- ("sms", "template.<name>")      an SMS sent from a call, `sms:` in prompts/<lang>.yaml
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.config import Settings
from hotline.sms import scripts as sms_loader
from hotline.sms.scripts import SmsScripts
from hotline.voice.scripts import Scripts, get_scripts, load_scripts

REPLY, TEMPLATE = "reply.", "template."


@dataclass(frozen=True)
class PackText:
    """One text of a language pack, as the files have it."""

    language: str
    channel: str  # voice | sms
    key: str
    text: str
    reviewed: bool
    file: Path
    line: int | None
    # The file section and entry name where the text lives (for the export).
    section: str
    name: str


@dataclass(frozen=True)
class Packs:
    voice: Scripts
    sms: SmsScripts


def packs(settings: Settings | None = None) -> Packs:
    """The configured packs, loaded and validated once per process."""
    return Packs(get_scripts(settings), sms_loader.default_scripts(settings))


def load_packs(root: Path, audio_root: Path) -> Packs:
    """Packs read afresh from a folder (the export and the tests)."""
    return Packs(load_scripts(root, audio_root), sms_loader.load(root / "sms"))


def pack_texts(p: Packs, language: str) -> list[PackText]:
    """Every reviewable text of a language, voice prompts first, in menu order."""
    lang = p.voice.languages[language]
    out: list[PackText] = []
    for name in p.voice.menu.prompt_names():
        prompt = lang.prompts[name]
        out.append(
            PackText(
                language,
                "voice",
                name,
                prompt.text,
                prompt.reviewed,
                lang.path,
                prompt.line,
                "prompts",
                name,
            )
        )
    script = p.sms.languages[language]
    for name, reply in script.replies.items():
        out.append(
            PackText(
                language,
                "sms",
                REPLY + name,
                reply.text,
                reply.reviewed,
                script.path,
                reply.line,
                "replies",
                name,
            )
        )
    for name, prompt in lang.sms.items():
        out.append(
            PackText(
                language,
                "sms",
                TEMPLATE + name,
                prompt.text,
                prompt.reviewed,
                lang.path,
                prompt.line,
                "sms",
                name,
            )
        )
    return out


def overlay(p: Packs, versions: Mapping[tuple[str, str, str], tuple[str, bool]]) -> Packs:
    """The packs with these (language, channel, key) -> (text, reviewed) laid over them.

    The loaders' objects are frozen or shared, so changed languages are copied; the
    menu, the keyword index and the audio cache are shared with the originals.
    """
    if not versions:
        return p
    voice_langs = dict(p.voice.languages)
    sms_langs = dict(p.sms.languages)
    by_language: dict[str, dict[tuple[str, str], tuple[str, bool]]] = {}
    for (language, channel, key), value in versions.items():
        by_language.setdefault(language, {})[(channel, key)] = value
    for language, changes in by_language.items():
        lang = voice_langs.get(language)
        script = sms_langs.get(language)
        if lang is None or script is None:
            continue
        prompts, templates, replies = dict(lang.prompts), dict(lang.sms), dict(script.replies)
        for (channel, key), (text, reviewed) in changes.items():
            if channel == "voice":
                _replace(prompts, key, text, reviewed)
            elif key.startswith(TEMPLATE):
                _replace(templates, key.removeprefix(TEMPLATE), text, reviewed)
            else:
                _replace(replies, key.removeprefix(REPLY), text, reviewed)
        voice_langs[language] = dataclasses.replace(lang, prompts=prompts, sms=templates)
        sms_langs[language] = dataclasses.replace(script, replies=replies)
    voice = Scripts(
        root=p.voice.root,
        audio_root=p.voice.audio_root,
        menu=p.voice.menu,
        languages=voice_langs,
        _audio_cache=p.voice._audio_cache,
    )
    return Packs(voice, dataclasses.replace(p.sms, languages=sms_langs))


def _replace(table: dict[str, Any], name: str, text: str, reviewed: bool) -> None:
    if name in table:
        table[name] = dataclasses.replace(table[name], text=text, reviewed=reviewed)
