"""The menu engine: walks the graph of `ivr_scripts/menu.yaml` and answers with TwiML.

One `MenuEngine` answers one webhook of a call. A key that goes to another node, a
repeat, an invalid key or silence is answered from the step's signed URL alone
(`hotline.voice.state`): no database round trip. A key whose `action:` has an effect
runs the action registered under that name (`hotline.voice.actions`), which reads and
writes the call in the step's one transaction.

Every answer carries its next URLs with a step counter `s` one higher than the
request's, so each step of a call has its own URL: a step with effects delivered again
(same CallSid, same URL) is replayed by `@twilio_webhook` without running again, and a
step without any gives the same answer by construction.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.callers.consent import notice_heard
from hotline.voice import language_choice
from hotline.voice.actions import voicemail
from hotline.voice.actions.registry import INPUT_ACTIONS, KEY_ACTIONS
from hotline.voice.case_status import status_prompt
from hotline.voice.scripts import Node
from hotline.voice.state import BadStep
from hotline.voice.turn import Turn


class MenuEngine(Turn):
    """Answers the steps of an inbound call's menu."""

    # --- entry and language --------------------------------------------------------

    def incoming(self) -> VoiceResponse:
        """The first step: greet a known caller in their language, or ask for one."""
        self.update_state(phase="menu")
        if self.language is not None:
            self.call.language = self.language.code
            return self.enter_language()
        return self.render_language(page=0, failures=0)

    def render_language(self, page: int, failures: int, cue: str | None = None) -> VoiceResponse:
        return language_choice.render_language(self, page, failures, cue)

    def choose_language(
        self, page: int, failures: int, digits: str, shared: str | None = None
    ) -> VoiceResponse:
        return language_choice.choose_language(self, page, failures, digits, shared)

    def enter_language(self) -> VoiceResponse:
        """Greet in the caller's language, or take the no-voice path if it cannot be spoken."""
        speaker = self.speaker
        needed = [p for node in self.scripts.menu.nodes.values() for p in node.prompts]
        if speaker.missing(needed):
            return language_choice.no_voice(self)
        speaker.add(self.response, "greeting")
        if self.case_status is not None:
            # Skipped in a language with no audio for it yet (`prompts check` shows it).
            speaker.add(self.response, status_prompt(self.case_status))
        caller = self.caller
        first_time = caller is not None and caller.privacy_notice_at is None
        if first_time and caller is not None and speaker.add(self.response, "privacy_notice"):
            notice_heard(self.session, caller)
        return self.render_node(self.scripts.menu.start)

    # --- menu nodes ----------------------------------------------------------------

    def node(self, name: str) -> Node:
        node = self.scripts.menu.nodes.get(name)
        if node is None:
            raise BadStep("no such menu node")
        return node

    def render_node(
        self, name: str, failures: int = 0, cue: list[str] | None = None
    ) -> VoiceResponse:
        node = self.node(name)
        if not self.has_caller and node.without_caller_id is not None:
            return self.render_node(node.without_caller_id, failures, cue)
        if node.ask_once is not None and node.skip_to is not None and self.knows(node.ask_once):
            return self.render_node(node.skip_to, failures, cue)
        if node.record is not None:
            return voicemail.render_record(self, name, attempt=0, cue=cue)
        prompts = [*(cue or []), *node.prompts]
        if node.hangup:
            self.say(self.response, *prompts)
            self.response.hangup()
            if self._loaded:
                self.update_state(phase=self.state.get("phase") or "goodbye")
            return self.done()
        gather: Gather
        if node.input is not None:
            gather = self.response.gather(
                action=self.url(f"/voice/node/{name}", f=failures),
                method="POST",
                finish_on_key=node.input.finish_on_key,
                timeout=self.scripts.menu.gather_timeout * 2,
                action_on_empty_result=True,
            )
        else:
            gather = self.response.gather(
                action=self.url(f"/voice/node/{name}", f=failures),
                method="POST",
                num_digits=1,
                finish_on_key="",
                timeout=self.scripts.menu.gather_timeout,
                action_on_empty_result=True,
            )
        self.say(gather, *prompts)
        return self.done()

    def answer_node(self, name: str, failures: int, digits: str) -> VoiceResponse:
        """The key pressed (or the digits keyed) in answer to node `name`."""
        if self.language is None:
            return self.render_language(0, 0)
        node = self.node(name)
        if node.input is None and self.resume is not None:
            self.set_resume(None)  # the caller went elsewhere instead
        if node.input is not None:
            if digits and len(digits) <= node.input.max_digits:
                accepted = INPUT_ACTIONS[node.input.action](self, digits)
                if accepted:
                    resume = self.resume
                    if resume is not None:
                        self.set_resume(None)
                        return self.render_node(resume)
                    assert node.next is not None
                    return self.render_node(node.next)
            return self.fail(node, failures, digits, cue=["callback_number_invalid"])
        spec = node.keys.get(digits) if len(digits) == 1 else None
        if spec is None:
            return self.fail(node, failures, digits)
        if spec.set:
            self.set_answers(**spec.set)
        if spec.action is not None:
            return KEY_ACTIONS[spec.action](self, list(spec.play))
        assert spec.goto is not None
        return self.render_node(spec.goto, cue=list(spec.play))

    def fail(
        self, node: Node, failures: int, digits: str, cue: list[str] | None = None
    ) -> VoiceResponse:
        """No input or a key the node does not offer: ask again, or give up."""
        failures += 1
        if failures >= node.max_failures:
            return self.render_node(node.on_fail)
        if cue is None:
            cue = ["invalid_choice"] if digits else ["no_input"]
        return self.render_node(node.name, failures, cue)
