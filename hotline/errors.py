"""The one shape of a refusal the agent API and web app show: a status and a code."""

from __future__ import annotations


class Refused(Exception):
    """An agent's request the service will not carry out now; the message says why.

    `status` and `code` become the API answer (`{"error": code, "message": ...}`).
    """

    status = 409
    code = "conflict"
