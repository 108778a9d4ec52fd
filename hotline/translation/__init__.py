"""Transcription and machine translation between workers and advisers."""
