"""Flower's security options, read by `flowerconfig.py` (which Flower loads from its working directory).

Flower shows every task's name, state and arguments: it never runs without basic auth, and it
listens where `FLOWER_ADDRESS` says (default 127.0.0.1, this host only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.settings import DEFAULT_FLOWER_ADDRESS, ConfigError


def flower_options(environ: Mapping[str, str]) -> dict[str, Any]:
    """Flower (tornado) options from the environment; `ConfigError` when basic auth is missing."""
    raw = environ.get("FLOWER_BASIC_AUTH", "").strip()
    credentials = [item.strip() for item in raw.split(",") if item.strip()]
    if not credentials:
        raise ConfigError("Flower refuses to start without authentication: set FLOWER_BASIC_AUTH=user:password "
                          "(e.g. in .env). Flower shows every task's arguments.")
    for item in credentials:
        user, _, password = item.partition(":")
        if not user or not password:
            raise ConfigError("FLOWER_BASIC_AUTH must be user:password (several separated by commas)")
    return {"basic_auth": credentials, "address": environ.get("FLOWER_ADDRESS") or DEFAULT_FLOWER_ADDRESS}
