"""The agent API's blueprint with every route of `/api/*` on it: importing a views
module adds its routes, so this is the one place that lists them."""

from __future__ import annotations

from hotline.api import agents, directory, handover, reports, voicemails, waiting  # noqa: F401
from hotline.api.common import bp

__all__ = ["bp"]
