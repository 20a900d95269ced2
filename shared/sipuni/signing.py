"""Sipuni request signatures, and what Sipuni answers to a wrong one.

Every parameter but `hash`, sorted by name; their values joined with `+`, then `+secret`; the MD5
of that, in lowercase hex. Empty values still count (they make `++`). Values are hashed as sent,
never lower-cased, and `user` stays a string (leading zeros are part of the account number).

Here, in `shared`, because both sides sign: the workers' client (`workers.sipuni.client`) and the
API's connection test (`shared.sipuni.probe`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

# The text of the HTML page Sipuni answers a request whose signature it refuses (a wrong account
# number or secret), usually with HTTP 500.
BAD_HASH_MARKER = "Неправильный хеш"


def signature_base(params: Mapping[str, str], secret: str) -> str:
    values = [str(params[name]) for name in sorted(params) if name != "hash"]
    return "+".join([*values, secret])


def sign(params: Mapping[str, str], secret: str) -> str:
    return hashlib.md5(signature_base(params, secret).encode("utf-8")).hexdigest()


def signed(params: Mapping[str, str], secret: str) -> dict[str, str]:
    """The parameters with their `hash` added, ready to send."""
    plain = {name: str(value) for name, value in params.items() if name != "hash"}
    return {**plain, "hash": sign(plain, secret)}
