"""The agent web app's blueprint with every page on it: importing a views module adds
its pages, so this is the one place that lists them (the domains' pages included)."""

from __future__ import annotations

from hotline.cases import handover_views  # noqa: F401
from hotline.directory import views as directory_views  # noqa: F401
from hotline.posters import views as poster_views  # noqa: F401
from hotline.reports import views as reports_views  # noqa: F401
from hotline.review import views as review_views  # noqa: F401
from hotline.training import views as training_views  # noqa: F401
from hotline.web import casework_views, consent_views, floor, views  # noqa: F401
from hotline.web.common import bp

__all__ = ["bp"]
