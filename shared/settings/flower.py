"""Flower's two settings, read by `flowerconfig.py` and checked by `make run` before it starts anything."""

from __future__ import annotations

from pydantic import field_validator

from shared.settings.defaults import DEFAULT_FLOWER_ADDRESS
from shared.settings.loading import EnvSettingsBase

# --- Flower ------------------------------------------------------------------------------------

_FLOWER_AUTH_MISSING = ("Flower refuses to start without authentication: set FLOWER_BASIC_AUTH=user:password "
                        "(e.g. in .env). Flower shows every task's arguments.")
_FLOWER_AUTH_MALFORMED = "FLOWER_BASIC_AUTH must be user:password (several separated by commas)"


class FlowerSettings(EnvSettingsBase):
    """Flower's security options, read by `flowerconfig.py` (which Flower loads from its working
    directory) and checked by `make run` before it starts anything.

    Flower shows every task's name, state and arguments: it never runs without basic auth, and it
    listens where `FLOWER_ADDRESS` says (default 127.0.0.1, this host only).
    """

    flower_basic_auth: str = ""  # user:password[,user:password...]
    flower_address: str = DEFAULT_FLOWER_ADDRESS

    @field_validator("flower_basic_auth")
    @classmethod
    def _credentials_required(cls, value: str) -> str:
        credentials = _credentials(value)
        if not credentials:
            raise ValueError(_FLOWER_AUTH_MISSING)
        if any(not user or not password for user, _, password in (item.partition(":") for item in credentials)):
            raise ValueError(_FLOWER_AUTH_MALFORMED)
        return value

    @property
    def basic_auth(self) -> list[str]:
        """Flower's `basic_auth` option: one `user:password` per entry."""
        return _credentials(self.flower_basic_auth)


def _credentials(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]
