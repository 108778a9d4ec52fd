"""Callback requests and the language-routed queue advisers work from."""
