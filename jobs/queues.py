"""The one place that builds Redis connections and RQ queues.

REDIS_URL is a plain redis-py URL (redis://, rediss://, unix://) or names a Redis Sentinel
service in the `redis+sentinel://` form that rq-dashboard's URL parser (Redis-Sentinel-Url)
defines, so one URL serves the workers, the scheduler, the web and the dashboard:

    redis+sentinel://[[user]:password@]host:port[,host2:port2...]/service_name[/db]
        [?sentinel_username=...&sentinel_password=...]

The user and password are the master's; the sentinels' own ones go in `sentinel_`
options, as that package names every option meant for the sentinels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from redis import Redis
from redis.sentinel import Sentinel, SentinelManagedConnection
from rq import Queue

DISCOVERY_MAIN = "discovery_main"
RUN_EXECUTION = "jobs.runner.run_execution"  # enqueued by dotted path: the web never imports it
SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379

# RQ needs raw bytes (no decode_responses); a lost connection fails fast, and the callers
# (the scheduler's loop, RQ's worker loop, the reaper) try again on their own period.
_OPTIONS = dict(
    socket_connect_timeout=3,
    socket_timeout=10,
    health_check_interval=30,
    retry_on_timeout=False,
)
_SENTINEL_OPTIONS = dict(socket_connect_timeout=3, socket_timeout=3)
_SENTINEL_QUERY = {"sentinel_username", "sentinel_password"}

_clients: dict[tuple[str, int], Redis] = {}


@dataclass(frozen=True)
class SentinelUrl:
    """A parsed redis+sentinel:// URL (passwords kept out of its repr)."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_username: str | None = None
    sentinel_password: str | None = None

    def __repr__(self) -> str:
        return f"SentinelUrl(sentinels={self.sentinels!r}, service={self.service!r}, db={self.db})"


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or host.endswith(":"):  # no port, or a bare IPv6 address
        host, port = text, str(SENTINEL_PORT)
    if not host or not port.isdigit():
        raise ValueError(f"bad sentinel address {text!r}")
    return host.strip("[]"), int(port)


def parse_sentinel_url(url: str) -> SentinelUrl:
    """Parse a redis+sentinel:// URL; ValueError (without its passwords) if it is not one."""
    # Hand-written rather than Redis-Sentinel-Url's parse_sentinel_url: that one drops ACL
    # user names and has no way to give the sentinels a password of their own.
    parts = urlsplit(url)
    shown = redis_describe(url)
    if parts.scheme != SENTINEL_SCHEME:
        raise ValueError(f"not a {SENTINEL_SCHEME}:// URL: {shown}")
    auth, _, hosts = parts.netloc.rpartition("@")
    user, _, password = auth.partition(":")
    path = [p for p in parts.path.split("/") if p]
    if not hosts or not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError(f"expected {SENTINEL_SCHEME}://host:port[,...]/service[/db]: {shown}")
    query = dict(parse_qsl(parts.query))
    unknown = set(query) - _SENTINEL_QUERY
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))} in {shown}")
    return SentinelUrl(
        sentinels=tuple(_host_port(h) for h in hosts.split(",")),
        service=unquote(path[0]),
        db=int(path[1]) if len(path) == 2 else 0,
        username=unquote(user) or None,
        password=unquote(password) or None,
        sentinel_username=query.get("sentinel_username") or None,
        sentinel_password=query.get("sentinel_password") or None,
    )


class _SentinelConnection(SentinelManagedConnection):
    """redis-py's Sentinel connection, dropped when a read is interrupted, as a plain one is.

    redis-py 8.1's SentinelManagedConnection.read_response defaults disconnect_on_error to
    False (the base Connection's is True): a read cut short by an exception (RQ's warm
    shutdown raised from its signal handler in the middle of a BLMOVE, a job timeout) left
    the reply unread on a pooled connection, and the next command read it as its own
    ("Wrong number of response items from pipeline execution", a worker that never stops).
    """

    def read_response(self, disable_decoding=False, *, disconnect_on_error=True, **kwargs):
        return super().read_response(
            disable_decoding, disconnect_on_error=disconnect_on_error, **kwargs
        )


def _sentinel_master(url: str) -> Redis:
    """A client of the service's current master: it asks the sentinels on every reconnect."""
    s = parse_sentinel_url(url)
    sentinel = Sentinel(
        list(s.sentinels),
        sentinel_kwargs=dict(
            _SENTINEL_OPTIONS, username=s.sentinel_username, password=s.sentinel_password
        ),
        **_OPTIONS,
    )
    return sentinel.master_for(
        s.service,
        connection_class=_SentinelConnection,
        db=s.db,
        username=s.username,
        password=s.password,
    )


def get_redis(url: str) -> Redis:
    """Return a Redis client for url, one per process (RQ needs raw bytes, not decoded text)."""
    key = (url, os.getpid())
    client = _clients.get(key)
    if client is None:
        if urlsplit(url).scheme == SENTINEL_SCHEME:
            client = _sentinel_master(url)
        else:
            client = Redis.from_url(url, **_OPTIONS)
        _clients[key] = client
    return client


def get_queue(url: str, name: str = DISCOVERY_MAIN) -> Queue:
    """Return the RQ queue called name on the Redis at url."""
    return Queue(name, connection=get_redis(url))


def rq_job_id(execution_id: int, attempt: int = 0) -> str:
    """RQ job id of an execution; RQ ids allow letters, digits, '-' and '_' only."""
    return f"execution-{execution_id}" if attempt == 0 else f"execution-{execution_id}-r{attempt}"


def redis_describe(url: str) -> str:
    """Return url without its secrets (the user part and every option's value), for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    # every option value: a password option with a typo in its name is still a password
    query = "&".join(f"{k}=***" for k, _v in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
