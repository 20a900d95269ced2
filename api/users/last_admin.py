"""An organization keeps an active ADMIN: its last one cannot be deactivated, demoted or moved away.

The check takes a row lock on the organization (SELECT ... FOR UPDATE) before it counts, in the
transaction that writes the change, so changes that could each remove an ADMIN are serialized:
when two ADMINs deactivate each other at the same moment, the second counts after the first has
committed, finds nobody left, and answers 409. (Under SQLite, which has no row locks, writers are
serialized by the database lock instead.)
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.http.errors import ApiError
from api.users.standing import Standing
from shared.models import Organization, Role, User

LAST_ADMIN = ("The organization's last active ADMIN cannot be deactivated, demoted or moved; "
              "make another user ADMIN first")


def keep_an_active_admin(session: Session, user: User, before: Standing, after: Standing) -> None:
    """409 when `user` going from `before` to `after` would leave their organization without an
    active ADMIN. Call it before the change is applied to `user` (nothing pending to flush)."""
    organization_id = before.organization_id
    if not before.is_active_admin_of(organization_id) or after.is_active_admin_of(organization_id):
        return
    session.execute(select(Organization.id).where(Organization.id == organization_id).with_for_update())
    others = session.scalar(select(func.count()).select_from(User).where(
        User.organization_id == organization_id, User.role == Role.ADMIN.value, User.is_active.is_(True),
        User.id != user.id))
    if not others:
        raise ApiError(409, LAST_ADMIN, {"organizationId": organization_id})
