"""The call flow's actions, one module each; importing the package registers them all
(`hotline.voice.actions.registry.ACTIONS`)."""

from hotline.voice.actions import callback, emergency, language, live_queue, voicemail

__all__ = ["callback", "emergency", "language", "live_queue", "voicemail"]
