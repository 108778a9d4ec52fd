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

from hotline.runtime import Runtime
from hotline.training import space as spaces

URL_PREFIX = spaces.URL_PREFIX
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TrainingMount:
    def __init__(self, real: WsgiApp, runtime: Runtime) -> None:
        self.real = real
        self.runtime = runtime
        self.apps: dict[str, Flask] = {}
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(URL_PREFIX + "/"):
            slug, _, rest = path[len(URL_PREFIX) + 1 :].partition("/")
            app = self.space_app(slug)
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
                app = self.apps[slug] = space_app(self.runtime.settings, slug)
            return app

    def forget(self, slug: str) -> None:
        """Close the space's app (before it is reset or dropped)."""
        with self.lock:
            app = self.apps.pop(slug, None)
        if app is not None:
            app.extensions["hotline"].close()


def space_app(settings: Any, slug: str) -> Flask:
    from hotline import create_app

    runtime = spaces.TrainingRuntime(spaces.space_settings(settings, slug), slug)
    app = create_app(runtime=runtime)
    app.config.update(
        SESSION_COOKIE_NAME="hotline_training",
        SESSION_COOKIE_PATH=f"{URL_PREFIX}/{slug}/",
    )

    @app.context_processor
    def _training_marks() -> dict[str, Any]:
        return {"training_space": slug}

    return app


def mount_of(app: Flask) -> TrainingMount | None:
    mount = app.extensions.get("hotline.training_mount")
    return mount if isinstance(mount, TrainingMount) else None


def install(app: Flask, runtime: Runtime) -> None:
    mount = TrainingMount(app.wsgi_app, runtime)
    app.extensions["hotline.training_mount"] = mount
    app.wsgi_app = mount  # type: ignore[method-assign]
