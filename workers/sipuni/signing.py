"""Sipuni request signatures: the recipe lives in `shared.sipuni.signing` (the API's connection
test signs too); the workers' modules and their tests keep importing it from here."""

from __future__ import annotations

from shared.sipuni.signing import sign, signature_base, signed

__all__ = ["sign", "signature_base", "signed"]
