"""Advisers and supervisors: accounts, tokens, and the agent JSON API."""
