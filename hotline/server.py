"""Running the web app under gunicorn from `hotline serve`."""

from __future__ import annotations

import errno
import os
import shutil
import socket
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from hotline.config import Settings
from hotline.instance import private_folder
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


class PortUnavailable(Exception):
    """The address to serve on is taken or not ours to bind; the message says which."""


def check_port(host: str, port: int) -> None:
    """Fail at once when the port is taken, where gunicorn would retry for five seconds
    and give up without a hint. Binds as gunicorn does (SO_REUSEADDR), then lets go."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
            raise PortUnavailable(f"port {port} on {host} {why}") from None


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
    banner: str | None = None,
) -> None:
    """Serve until stopped; `banner` is printed once the port is bound."""
    from hotline.encryption import Keyring
    from hotline.encryption.rotation import verify_data_keys
    from hotline.migrate import upgrade
    from hotline.preflight import require_ready

    # Production runs `hotline db upgrade` as its release step, so this is a no-op there;
    # a laptop or a fresh database gets its schema before the first request, not a 500.
    private_folder(settings.instance_path)
    upgrade(settings.database_url, keyring=Keyring.from_settings(settings))
    runtime = runtime or Runtime(settings)
    require_ready(settings, runtime.db)  # broken scripts or a wrong key: refuse to start
    verify_data_keys(runtime.db)  # before gunicorn: a missing data key is one clear line
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
    if banner:
        options["when_ready"] = lambda _server: print(banner, flush=True)
    _Gunicorn(runtime, options).run()
