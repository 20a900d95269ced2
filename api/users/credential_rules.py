"""Who may change a user's credentials (password, email), and how.

- One's own: only with the current password (`currentPassword`), so that a stolen token alone
  cannot take the account over for good. A wrong one counts as a failed login from the caller's
  address for that account (the login throttle's bucket), so it cannot be guessed here instead.
- An ADMIN's: the ADMIN themselves or a SUPERADMIN, never a peer ADMIN (who would otherwise
  take the account over by resetting its password).
"""

from __future__ import annotations

from werkzeug.security import check_password_hash

from api.auth.roles import current_role, current_user_id
from api.auth.throttle import login_throttle
from api.http.errors import ApiError
from shared.models import Role, User

CURRENT_PASSWORD_REQUIRED = "Changing your own password or email needs your current password (currentPassword)"
CURRENT_PASSWORD_WRONG = "currentPassword is not your current password"
PEER_ADMIN = "Only a SUPERADMIN or the ADMIN themselves can change an ADMIN's password or email"


def changes_credentials(user: User, password: str | None, email: str | None) -> bool:
    return password is not None or (email is not None and email != user.email)


def check_credential_change(user: User, current_password: str | None) -> None:
    """Raise unless the caller may change `user`'s password or email with this request."""
    if user.id == current_user_id():
        _require_current_password(user, current_password)
    elif user.role == Role.ADMIN.value and current_role() != Role.SUPERADMIN.value:
        raise ApiError(403, PEER_ADMIN)


def _require_current_password(user: User, current_password: str | None) -> None:
    if not current_password:
        raise ApiError(400, CURRENT_PASSWORD_REQUIRED, {"currentPassword": "required"})
    throttle = login_throttle()
    throttle.check(user.email)
    if not check_password_hash(user.password_hash, current_password):
        throttle.failed(user.email)
        raise ApiError(403, CURRENT_PASSWORD_WRONG, {"currentPassword": "wrong"})
