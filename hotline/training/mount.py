"""Training spaces served beside the real app: `/training/<trainee>/...` is the trainee's
own copy of the web app (same pages, same code) on the space's database.

`TrainingMount` wraps the real app's WSGI callable: a path under a space that exists goes
to that space's app (built once per process), with SCRIPT_NAME set so every `url_for`
stays inside the space; any other path goes to the real app untouched. The space's
session cookie has a name and path of its own, so a real sign-in never opens a space
and a trainee's sign-in never reaches the real pages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import NotFound

from hotline.runtime import Runtime
from hotline.training import space as spaces

URL_PREFIX = spaces.URL_PREFIX
# Operations endpoints answer for the real hotline only: a space has no /metrics of its own
# that a scraper could mistake for the hotline's, and its health is the real app's.
REAL_ONLY = frozenset({"metrics", "healthz", "readyz", "health"})
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
AppFactory = Callable[..., Flask]  # hotline.create_app, passed in: no import circle


class TrainingMount:
    def __init__(self, real: WsgiApp, runtime: Runtime, factory: AppFactory) -> None:
        self.real = real
        self.runtime = runtime
        self.factory = factory
        self.apps: dict[str, Flask] = {}
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(URL_PREFIX + "/"):
            slug, _, rest = path[len(URL_PREFIX) + 1 :].partition("/")
            app = self.space_app(slug)
            if app is not None and rest.split("/", 1)[0] in REAL_ONLY:
                return NotFound()(environ, start_response)
            if app is not None:
                environ = dict(environ)
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + f"{URL_PREFIX}/{slug}"
                environ["PATH_INFO"] = "/" + rest
                return app.wsgi_app(environ, start_response)
        return self.real(environ, start_response)

    def space_app(self, slug: str) -> Flask | None:
        try:
            if slug != spaces.slug_for(slug):
                return None
        except ValueError:
            return None
        with self.lock:
            app = self.apps.get(slug)
            if app is None and spaces.exists(self.runtime.settings, slug):
                app = self.apps[slug] = space_app(self.runtime.settings, slug, self.factory)
            return app


def space_app(settings: Any, slug: str, factory: AppFactory) -> Flask:
    """The space's own copy of the web app, made by the real app's factory."""
    runtime = spaces.TrainingRuntime(spaces.space_settings(settings, slug), slug)
    app = factory(runtime=runtime)
    app.config.update(
        SESSION_COOKIE_NAME="hotline_training",
        SESSION_COOKIE_PATH=f"{URL_PREFIX}/{slug}/",
    )

    @app.context_processor
    def _training_marks() -> dict[str, Any]:
        return {"training_space": slug}

    return app


def install(app: Flask, runtime: Runtime, factory: AppFactory) -> None:
    """Serve the spaces beside `app`; `factory` (create_app) builds each space's app."""
    app.wsgi_app = TrainingMount(app.wsgi_app, runtime, factory)  # type: ignore[method-assign]
