"""Running the web app under gunicorn from `hotline serve`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from hotline.config import Settings
from hotline.runtime import Runtime, set_current

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


class _Gunicorn(BaseApplication):
    def __init__(self, runtime: Runtime, options: dict[str, Any]) -> None:
        self.runtime = runtime
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from hotline import create_app

        return create_app(runtime=self.runtime)


def _post_fork(_server: Any, _worker: Any) -> None:
    # Connections opened in the master must not be shared with forked workers.
    from hotline.runtime import current

    runtime = current()
    runtime.db.engine.dispose(close=False)


def _prepare_metrics_dir(instance_path: Path) -> None:
    """An empty folder for this run's per-process metric files (hotline.metrics), named
    before anything imports prometheus-client, which reads the variable then."""
    folder = Path(os.environ.get(METRICS_DIR_ENV) or instance_path / "prometheus")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[METRICS_DIR_ENV] = str(folder)


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client.multiprocess import mark_process_dead

    mark_process_dead(worker.pid)  # its live gauges stop counting


def run_gunicorn(
    settings: Settings,
    *,
    bind: str,
    workers: int,
    threads: int,
    runtime: Runtime | None = None,
) -> None:
    from hotline.migrate import upgrade
    from hotline.preflight import require_ready

    # Production runs `hotline db upgrade` as its release step, so this is a no-op there;
    # a laptop or a fresh database gets its schema before the first request, not a 500.
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    runtime = runtime or Runtime(settings)
    require_ready(settings, runtime.db)  # broken scripts or a wrong key: refuse to start
    set_current(runtime)
    runtime.redis.ping()  # start (or find) the embedded Redis before forking
    _prepare_metrics_dir(settings.instance_path)
    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "preload_app": True,
        "post_fork": _post_fork,
        "child_exit": _child_exit,
        "accesslog": "-",
        # Paths and status only: never the query string or the body.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "timeout": 30,
    }
    _Gunicorn(runtime, options).run()
