"""The local `.env`: written once with development defaults, then read on every start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from dotenv import dotenv_values

ENV_FILE_NAME = ".env"


def default_env_lines() -> list[str]:
    """Development defaults; every secret is random and local to this checkout."""
    return [
        "# Written by `make run` on first start. Edit to point at real upstreams; see .env.example.",
        "NAVAI_ENV=development",
        f"JWT_SECRET_KEY={secrets.token_urlsafe(48)}",
        f"WEBHOOK_API_KEY={secrets.token_urlsafe(24)}",
        f"FLOWER_BASIC_AUTH=admin:{secrets.token_urlsafe(12)}",
        "DATA_DIR=.data/files",
    ]


def load_env(workdir: Path) -> dict[str, str]:
    """Create `.env` if missing; return it merged under the process environment (which wins)."""
    path = workdir / ENV_FILE_NAME
    if not path.exists():
        path.write_text("\n".join(default_env_lines()) + "\n")
        path.chmod(0o600)
    values = {key: value for key, value in dotenv_values(path).items() if value is not None}
    return {**values, **os.environ}
