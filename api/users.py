"""`GET /users`: the caller's organization's users (admins and managers); `GET /auth/me`: who am I."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import jwt_required
from sqlalchemy import select

from api.errors import ApiError
from api.openapi import documented
from api.openapi.common import Succeeded, ok
from api.roles import current_organization_id, current_user_id, reader_required
from api.services import services
from shared.db import session_scope
from shared.models import User

bp = Blueprint("users", __name__)


def user_as_dict(user: User) -> dict[str, object]:
    return {"id": user.id, "email": user.email, "role": user.role, "organizationId": user.organization_id,
            "extCode": user.ext_code, "fullName": user.full_name, "firstName": user.first_name,
            "lastName": user.last_name, "isActive": user.is_active}


class MeResponse(Succeeded):
    user: dict[str, Any]


class UsersResponse(Succeeded):
    users: list[dict[str, Any]]


@bp.get("/auth/me")
@documented(responses={200: ok(MeResponse)})
@jwt_required()
def me() -> ResponseReturnValue:
    with session_scope(services().session_factory) as session:
        user = session.get(User, current_user_id())
        if user is None:
            raise ApiError(401, "User not found")
        return jsonify({"success": True, "user": user_as_dict(user)})


@bp.get("/users")
@documented(responses={200: ok(UsersResponse)})
@reader_required
def list_users() -> ResponseReturnValue:
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        users = session.scalars(select(User).where(User.organization_id == organization_id).order_by(User.id))
        return jsonify({"success": True, "users": [user_as_dict(user) for user in users]})
