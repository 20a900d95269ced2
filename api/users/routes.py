"""`GET /users`: the caller's organization's users (admins and managers; a MANAGER limited to a
department sees its members); `GET /auth/me`: who am I."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.auth.access import READER, SIGNED_IN
from api.auth.roles import OrganizationQuery, current_organization_id, current_user_id
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import Succeeded, ok
from api.teams.scope import caller_team
from shared.db import session_scope
from shared.models import User

bp = Blueprint("users", __name__)


def user_as_dict(user: User) -> dict[str, object]:
    return {"id": user.id, "email": user.email, "role": user.role, "organizationId": user.organization_id,
            "extCode": user.ext_code, "fullName": user.full_name, "firstName": user.first_name,
            "lastName": user.last_name, "isActive": user.is_active, "departmentId": user.department_id,
            "managedDepartmentId": user.managed_department_id}


class UserView(BaseModel):
    """A user as the API shows one (never the password hash)."""

    id: int
    email: str
    role: str
    organizationId: int | None  # noqa: N815 - the API's JSON is camelCase
    extCode: str | None  # noqa: N815
    fullName: str | None  # noqa: N815
    firstName: str | None  # noqa: N815
    lastName: str | None  # noqa: N815
    isActive: bool  # noqa: N815
    departmentId: int | None = None  # noqa: N815
    managedDepartmentId: int | None = Field(  # noqa: N815
        None, description="A MANAGER limited to this department sees only its calls, figures and users")


class MeResponse(Succeeded):
    user: UserView


class UsersResponse(Succeeded):
    users: list[UserView]


@bp.get("/auth/me")
@endpoint(auth=SIGNED_IN, responses={200: ok(MeResponse)})
def me() -> ResponseReturnValue:
    """The caller's own user."""
    with session_scope(services().session_factory) as session:
        user = session.get(User, current_user_id())
        if user is None:
            raise ApiError(401, "User not found")
        return jsonify({"success": True, "user": user_as_dict(user)})


@bp.get("/users")
@endpoint(auth=READER, query=OrganizationQuery, responses={200: ok(UsersResponse)})
def list_users(query: OrganizationQuery) -> ResponseReturnValue:
    """The users of the organization (a MANAGER limited to a department: that department's)."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        statement = select(User).where(User.organization_id == organization_id)
        team = caller_team(session, organization_id)  # a MANAGER limited to a department: its people
        if team is not None:
            statement = statement.where(User.department_id.in_(team.department_ids))
        users = session.scalars(statement.order_by(User.id))
        return jsonify({"success": True, "users": [user_as_dict(user) for user in users]})
