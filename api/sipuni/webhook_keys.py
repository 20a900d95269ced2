"""Per-organization webhook keys: made random, shown once, stored only as a SHA-256 hash.

A key is a 256-bit random token, so a plain (unsalted, fast) hash is as good as a slow one here
and lets the webhook find the key's organization with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import Organization
from shared.settings import MIN_WEBHOOK_KEY_LENGTH

NEW_KEY_BYTES = 32


class WebhookKeyTooShort(ValueError):
    """A chosen key shorter than MIN_WEBHOOK_KEY_LENGTH."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def set_key(session: Session, organization: Organization, key: str | None = None) -> str:
    """Give `organization` a new webhook key (random unless `key` is chosen) and return it in clear;
    the previous key stops working."""
    key = key if key is not None else secrets.token_urlsafe(NEW_KEY_BYTES)
    if len(key) < MIN_WEBHOOK_KEY_LENGTH:
        raise WebhookKeyTooShort(f"a webhook key must be at least {MIN_WEBHOOK_KEY_LENGTH} characters long")
    organization.webhook_key_hash = hash_key(key)
    session.flush()
    return key


def organization_for_key(session: Session, key: str) -> int | None:
    """The id of the organization whose webhook key this is, or None."""
    if len(key) < MIN_WEBHOOK_KEY_LENGTH:
        return None
    return session.scalar(select(Organization.id).where(Organization.webhook_key_hash == hash_key(key)))
