"""Key 9: choose another language (the list is in hotline/voice/language_choice.py)."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from hotline.voice.actions.registry import Turn, key_action


@key_action("change_language")
def change_language(turn: Turn, play: list[str]) -> VoiceResponse:
    """Back to the list of languages, from its first page."""
    return turn.render_language(page=0, failures=0)
