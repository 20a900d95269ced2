"""A user's standing: what their tokens depend on, before and after a change.

A change of any of these (login name, role, organization, activity), or a new password, ends
every token the user holds (`api.auth.credentials.bump_credential_version`), and a standing that
leaves an organization without an active ADMIN is refused (`api.users.last_admin`).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.models import Role, User


@dataclass(frozen=True)
class Standing:
    email: str
    role: str
    organization_id: int | None
    is_active: bool

    @classmethod
    def of(cls, user: User) -> Standing:
        return cls(email=user.email, role=user.role, organization_id=user.organization_id, is_active=user.is_active)

    def is_active_admin_of(self, organization_id: int | None) -> bool:
        return (organization_id is not None and self.is_active and self.role == Role.ADMIN.value
                and self.organization_id == organization_id)

    def apply_to(self, user: User) -> None:
        user.email = self.email
        user.role = self.role
        user.organization_id = self.organization_id
        user.is_active = self.is_active
