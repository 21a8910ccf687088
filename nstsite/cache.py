"""The site's cache: shared by every process, and never the reason a request fails.

Rate limits count in Django's cache. A per-process cache lets each gunicorn worker count on
its own (38 of 45 attempts got through a 20/minute limit with 3 workers), so by default the
cache lives on the Redis server every web process and worker already reaches for the queue
(`REDIS_URL`, in its next database, so that `cache.clear()` cannot wipe the queue), and
nothing has to be remembered when a deployment adds processes or machines.

`SharedCache` is Django's Redis cache that fails open: while Redis cannot be reached, it
answers like an empty cache that keeps nothing (reads miss, writes are dropped, a counter
starts again at its first step) and logs a warning. Rate limits then count nothing for the
length of the outage, instead of turning every upload into an error; creating a
stylization still answers 503 `queue_unavailable` on its own.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

# Seconds to wait for the cache server before answering as if it were empty.
OPTIONS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}

# What each operation of RedisCacheClient answers while Redis is unreachable.
_WHILE_DOWN: dict[str, Callable[..., Any]] = {
    "add": lambda key, value, timeout: True,
    "get": lambda key, default: default,
    "set": lambda key, value, timeout: None,
    "touch": lambda key, timeout: False,
    "delete": lambda key: False,
    "get_many": lambda keys: {},
    "has_key": lambda key: False,
    "incr": lambda key, delta: delta,
    "set_many": lambda data, timeout: None,
    "delete_many": lambda keys: None,
    "clear": lambda: False,
}


def url_beside(queue_url: str) -> str:
    """The Redis URL of the database after `queue_url`'s on the same server (db 0 -> db 1)."""
    parts = urlsplit(queue_url)
    if parts.scheme == "unix":  # unix:///path/redis.sock?db=0 (urlunsplit would drop a slash)
        query = dict(parse_qsl(parts.query))
        query["db"] = str(int(query.get("db", 0)) + 1)
        return f"{queue_url.partition('?')[0]}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{int(parts.path.strip('/') or 0) + 1}"))


def _failing_open(name: str, answer: Callable[..., Any]) -> Callable[..., Any]:
    operation = getattr(RedisCacheClient, name)

    @functools.wraps(operation)
    def call(self, *args):
        try:
            return operation(self, *args)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            logger.warning("The cache is unreachable (%s); %s answered as by an empty cache.", exc, name)
            return answer(*args)

    return call


class _FailOpenClient(RedisCacheClient):
    """Django's Redis client, each operation answering as `_WHILE_DOWN` says while Redis is unreachable."""


for _name, _answer in _WHILE_DOWN.items():
    setattr(_FailOpenClient, _name, _failing_open(_name, _answer))


class SharedCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _FailOpenClient
