"""`REDIS_URL` read once: one Redis server, or a master found through Redis Sentinel.

`redis://` and `rediss://` name one server, as redis-py reads them. A Sentinel deployment names its
sentinels instead, and the master by name (`REDIS_SENTINEL_MASTER`):

    sentinel://[[user]:password@]host1:26379,host2:26379,host3:26379[/db]
    sentinels://...                      the same over TLS (sentinels and master), like rediss://
    sentinels://...?ssl_ca_certs=/etc/ssl/redis-ca.pem   a private CA for the TLS form

The password in the URL is the master's (Redis `requirepass`); the sentinels' own password, when
they have one, is `REDIS_SENTINEL_PASSWORD`. Every client of the deployment follows the master
through the sentinels: redis-py (`shared.redis_client.make_redis`), kombu's `sentinel://` broker
transport, Celery's sentinel result backend and the `limits` storage of the login throttle. Each
wants the same facts in its own spelling, and this module is the one place that spells them.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

SENTINEL_SCHEME = "sentinel"
SENTINEL_TLS_SCHEME = "sentinels"
PLAIN_SCHEMES = ("redis", "rediss", "unix")
DEFAULT_SENTINEL_PORT = 26379
# How long a question to one sentinel may take: a sentinel that does not answer is skipped for the next.
SENTINEL_SOCKET_TIMEOUT_S = 1.0
TLS_QUERY_OPTIONS = ("ssl_ca_certs",)


@dataclass(frozen=True)
class RedisTarget:
    """Where Redis is: `url` (one server) or `sentinels` + `master_name` (whoever is master now)."""

    url: str = field(repr=False)  # may hold a password
    sentinels: tuple[tuple[str, int], ...] = ()
    master_name: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)
    tls: bool = False
    ssl_ca_certs: str | None = None

    @property
    def is_sentinel(self) -> bool:
        return bool(self.sentinels)

    def master_auth(self) -> dict[str, Any]:
        """The master's credentials (and TLS), as redis-py connection arguments."""
        return {"username": self.username, "password": self.password, "db": self.db, **self.tls_kwargs()}

    def sentinel_kwargs(self) -> dict[str, Any]:
        """How to talk to the sentinels themselves: their own password, TLS, short timeouts."""
        return {"password": self.sentinel_password, "socket_timeout": SENTINEL_SOCKET_TIMEOUT_S,
                "socket_connect_timeout": SENTINEL_SOCKET_TIMEOUT_S, **self.tls_kwargs()}

    def tls_kwargs(self) -> dict[str, Any]:
        if not self.tls:
            return {}
        options: dict[str, Any] = {"ssl": True, "ssl_cert_reqs": "required"}
        if self.ssl_ca_certs:
            options["ssl_ca_certs"] = self.ssl_ca_certs
        return options


def parse_redis_target(url: str, master_name: str = "", sentinel_password: str = "") -> RedisTarget:
    """`REDIS_URL` (with the Sentinel settings) as a `RedisTarget`; ValueError naming what is wrong.
    The messages never repeat the URL: it may hold a password."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in PLAIN_SCHEMES:
        return RedisTarget(url=url)
    if scheme not in (SENTINEL_SCHEME, SENTINEL_TLS_SCHEME):
        raise ValueError("REDIS_URL must start with redis://, rediss://, unix://, sentinel:// or sentinels:// "
                         "(e.g. redis://127.0.0.1:6379/0 or sentinel://host1:26379,host2:26379/0)")
    if not master_name:
        raise ValueError("REDIS_SENTINEL_MASTER must name the master (as in the sentinels' `sentinel monitor "
                         "<name> ...`) when REDIS_URL is a sentinel:// URL")
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    tls = scheme == SENTINEL_TLS_SCHEME
    return RedisTarget(url=url, sentinels=_sentinel_hosts(hosts), master_name=master_name, db=_db(parts.path),
                       username=unquote(username) or None, password=unquote(password) or None,
                       sentinel_password=sentinel_password or None, tls=tls,
                       ssl_ca_certs=_ca_file(parts.query, tls))


def _sentinel_hosts(hosts: str) -> tuple[tuple[str, int], ...]:
    found = tuple(_host_port(item.strip()) for item in hosts.split(",") if item.strip())
    if not found:
        raise ValueError("REDIS_URL names no sentinel: sentinel://host1:26379,host2:26379/0")
    return found


def _host_port(item: str) -> tuple[str, int]:
    if item.startswith("["):  # [IPv6]:port
        host, _, rest = item[1:].partition("]")
        port_text = rest.removeprefix(":")
    else:
        host, _, port_text = item.partition(":")
    if not host:
        raise ValueError("REDIS_URL has a sentinel without a host name: sentinel://host1:26379,host2:26379/0")
    if not port_text:
        return host, DEFAULT_SENTINEL_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError("REDIS_URL has a sentinel port that is not a port number (1..65535)")
    return host, int(port_text)


def _db(path: str) -> int:
    text = path.strip("/") or "0"
    if not text.isdigit():
        raise ValueError("REDIS_URL's database must be a number: sentinel://host1:26379,host2:26379/0 "
                         "(a password with / : @ in it must be percent-encoded)")
    return int(text)


def _ca_file(query: str, tls: bool) -> str | None:
    options = parse_qs(query)
    unknown = sorted(set(options) - set(TLS_QUERY_OPTIONS))
    if unknown or (options and not tls):
        raise ValueError("REDIS_URL has an unknown option: a sentinels:// URL (TLS) takes only "
                         "?ssl_ca_certs=/path/to/ca.pem, a sentinel:// URL none")
    return options["ssl_ca_certs"][-1] if options else None


# --- each client's spelling -------------------------------------------------------------------


def _auth_prefix(target: RedisTarget) -> str:
    if not (target.username or target.password):
        return ""
    return f"{quote(target.username or '', safe='')}:{quote(target.password or '', safe='')}@"


def _host_text(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def celery_url(target: RedisTarget) -> str:
    """kombu's broker URL and Celery's result backend URL: `sentinel://h1:p1/db;sentinel://h2:p2/db`
    (both read the master's credentials and database from the first)."""
    if not target.is_sentinel:
        return target.url
    auth = _auth_prefix(target)
    return ";".join(f"{SENTINEL_SCHEME}://{auth}{_host_text(host)}:{port}/{target.db}"
                    for host, port in target.sentinels)


def celery_transport_options(target: RedisTarget) -> dict[str, Any]:
    """What kombu's sentinel transport and Celery's sentinel backend add to their transport options."""
    if not target.is_sentinel:
        return {}
    return {"master_name": target.master_name, "sentinel_kwargs": target.sentinel_kwargs()}


def celery_ssl(target: RedisTarget) -> dict[str, Any] | None:
    """`broker_use_ssl` / `redis_backend_use_ssl` for the master's connections (TLS form only)."""
    if not (target.is_sentinel and target.tls):
        return None
    options: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if target.ssl_ca_certs:
        options["ssl_ca_certs"] = target.ssl_ca_certs
    return options


def limits_storage(target: RedisTarget, **options: Any) -> dict[str, Any]:
    """Flask-Limiter's `storage_uri` and `storage_options` (`limits`' `redis+sentinel://` storage),
    `options` (e.g. `key_prefix`) added. Replicas are never read: a count read from a replica that
    lags would let a burst through."""
    if not target.is_sentinel:
        return {"storage_uri": target.url, "storage_options": options}
    hosts = ",".join(f"{_host_text(host)}:{port}" for host, port in target.sentinels)
    # The master's credentials as options, not in the URI: `limits` would not unquote them there.
    sentinel = {"service_name": target.master_name, "use_replicas": False,
                "sentinel_kwargs": target.sentinel_kwargs(), **target.master_auth()}
    return {"storage_uri": f"redis+sentinel://{hosts}", "storage_options": {**sentinel, **options}}
