"""Menu steps answered without Flask when they need no database (hotline.fast_path).

A key that moves to another menu, a repeat, an invalid key, silence, the next page of
languages: the step's signed URL says all it needs (`hotline.voice.state`). Here the
menu engine answers such a step in a session that has no database at all; a step that
would read or write (an action with an effect, a language chosen, the reviewed texts'
overlay due for its check) raises, and the Flask view answers it as it always has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.datastructures import MultiDict

from hotline.runtime import Runtime
from hotline.twiml_xml import to_xml
from hotline.voice.engine import MenuEngine
from hotline.voice.language_choice import SHARED_CODE_PARAM
from hotline.voice.state import int_arg

NODE_PREFIX = "/voice/node/"
LANGUAGE = "/voice/language"


class NeedsDatabase(Exception):
    """This step reads or writes: the Flask view's to answer."""


class NoDatabase(Session):
    """A session with no database behind it."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        raise NeedsDatabase("this step reads or writes the database")


def node(
    runtime: Runtime, path: str, form: MultiDict[str, str], args: MultiDict[str, str]
) -> str | None:
    """`/voice/node/<name>`: the key pressed (or digits keyed) in answer to a menu node."""
    name = path.rpartition("/")[2]
    return _answered(
        runtime,
        path,
        form,
        args,
        lambda engine: engine.answer_node(name, int_arg(args, "f"), form.get("Digits", "")),
    )


def language(
    runtime: Runtime, path: str, form: MultiDict[str, str], args: MultiDict[str, str]
) -> str | None:
    """`/voice/language`: silence (the next page of languages), or a code to ask about."""
    return _answered(
        runtime,
        path,
        form,
        args,
        lambda engine: engine.choose_language(
            int_arg(args, "p"),
            int_arg(args, "f"),
            form.get("Digits", ""),
            shared=args.get(SHARED_CODE_PARAM),
        ),
    )


def _answered(
    runtime: Runtime,
    path: str,
    form: MultiDict[str, str],
    args: MultiDict[str, str],
    step: Callable[[MenuEngine], VoiceResponse],
) -> str | None:
    if not form.get("CallSid"):
        return None
    with NoDatabase() as session:
        response = step(MenuEngine(session, runtime.settings, form, args, path))
        if session.new or session.dirty or session.deleted:
            return None
    return to_xml(response)
