"""Run a WSGI app on a loopback port in a thread, for fakes at the network edge."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server


class ThreadedServer:
    def __init__(self, app: Any) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> ThreadedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


class ServedFake:
    """For a fake's dataclass: the URL of its running `ThreadedServer`."""

    server: ThreadedServer | None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url
