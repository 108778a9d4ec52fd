"""The voice channel: the IVR, voicemails and live hand-off to advisers."""
