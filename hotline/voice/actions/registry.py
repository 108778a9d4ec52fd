"""The registry of call-flow actions: what `action:` in `ivr_scripts/menu.yaml` may name.

Each action is a function registered with a decorator that also declares the menu nodes
it may send a caller to (`requires_nodes`). The menu engine dispatches through
`KEY_ACTIONS` / `INPUT_ACTIONS`, and the validator (`hotline prompts check`) reads
`ACTIONS`: an action named in menu.yaml must exist here, and every node an action needs
must exist in menu.yaml, so renaming `callback_number` in the menu fails the check
instead of a call.

Actions see the call through `Turn`, the menu engine's face towards them (implemented by
`hotline.voice.engine.MenuEngine`): this module imports neither the engine nor the
scripts loader, so action modules never import them either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.config import Settings
from hotline.languages import Language
from hotline.voice.models import Call

if TYPE_CHECKING:
    from hotline.voice.twiml import Speaker

Kind = Literal["key", "input", "step"]


@dataclass(frozen=True)
class Recording:
    """A node's `record:` settings and prompts, as the voicemail action needs them."""

    node: str
    prompts: tuple[str, ...]
    max_length: int
    finish_on_key: str
    min_seconds: int
    retries: int


class Turn(Protocol):
    """One webhook of a call, as an action sees it."""

    session: Session
    settings: Settings
    form: Mapping[str, str]
    response: VoiceResponse

    @property
    def call(self) -> Call: ...  # read from the database on first use

    @property
    def caller(self) -> Caller | None: ...  # None: a withheld number

    @caller.setter
    def caller(self, caller: Caller | None) -> None: ...

    @property
    def language(self) -> Language | None: ...

    @property
    def answers(self) -> dict[str, Any]: ...

    @property
    def state(self) -> dict[str, Any]: ...

    def set_answers(self, **changes: Any) -> None: ...

    def update_state(self, **changes: Any) -> None: ...

    def set_resume(self, node: str | None) -> None: ...

    def url(self, path: str, **params: object) -> str: ...

    def say(self, parent: VoiceResponse | Gather, *prompts: str) -> bool: ...

    def say_in(self, code: str, parent: VoiceResponse | Gather, *prompts: str) -> bool: ...

    def speaker_for(self, code: str) -> Speaker: ...

    def say_digits(self, parent: VoiceResponse | Gather, digits: str) -> None: ...

    def sms_text(self, template: str, **values: str) -> str: ...

    def recording(self, node: str) -> Recording: ...

    def open_case(self) -> Case: ...

    def read_reference(self, case: Case) -> None: ...

    def render_node(
        self, name: str, failures: int = 0, cue: list[str] | None = None
    ) -> VoiceResponse: ...

    def render_language(
        self, page: int, failures: int, cue: str | None = None
    ) -> VoiceResponse: ...

    def enter_language(self) -> VoiceResponse: ...


KeyHandler = Callable[[Turn, list[str]], VoiceResponse]
InputHandler = Callable[[Turn, str], bool]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ActionSpec:
    """An action: its name in menu.yaml, how it is reached and the nodes it needs."""

    name: str
    kind: Kind
    requires_nodes: frozenset[str]
    handler: Callable[..., Any]

    @property
    def where(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


ACTIONS: dict[str, ActionSpec] = {}
KEY_ACTIONS: dict[str, KeyHandler] = {}
INPUT_ACTIONS: dict[str, InputHandler] = {}


def _register(name: str, kind: Kind, requires_nodes: tuple[str, ...], handler: Any) -> None:
    if name in ACTIONS:
        raise ValueError(f"action {name!r} is registered twice")
    ACTIONS[name] = ActionSpec(name, kind, frozenset(requires_nodes), handler)


def key_action(name: str, *, requires_nodes: tuple[str, ...] = ()) -> Callable[[F], F]:
    """A key's `action: <name>`: `handler(turn, play)` answers the key press."""

    def decorate(handler: F) -> F:
        _register(name, "key", requires_nodes, handler)
        KEY_ACTIONS[name] = handler
        return handler

    return decorate


def input_action(name: str, *, requires_nodes: tuple[str, ...] = ()) -> Callable[[F], F]:
    """An input node's `action: <name>`: `handler(turn, digits)` says whether the
    digits were accepted (the node's `next` follows) or not (a re-prompt)."""

    def decorate(handler: F) -> F:
        _register(name, "input", requires_nodes, handler)
        INPUT_ACTIONS[name] = handler
        return handler

    return decorate


def step(name: str, *, requires_nodes: tuple[str, ...] = ()) -> Callable[[F], F]:
    """A step a webhook runs outside the menu keys (the queue, a recording), registered
    for the nodes it sends callers to; menu.yaml cannot name it as an action."""

    def decorate(handler: F) -> F:
        _register(name, "step", requires_nodes, handler)
        return handler

    return decorate


def is_action(name: str, kind: Kind) -> bool:
    """Whether menu.yaml may name `name` as a key's (`key`) or an input's action."""
    action = ACTIONS.get(name)
    return action is not None and action.kind == kind


def nodes_missing_for_actions(nodes: set[str]) -> list[str]:
    """What is wrong with a menu that lacks a node some action sends callers to."""
    return [
        f"node {needed!r} is required by action {action.name!r} ({action.where})"
        for action in ACTIONS.values()
        for needed in sorted(action.requires_nodes - nodes)
    ]
