"""Login and JWT setup: tokens carry the user's role and organization, and expire."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import JWTManager, create_access_token
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from api.errors import ApiError, error_body
from api.services import services
from api.validation import parse_json
from shared.db import session_scope
from shared.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")

# A fixed hash to compare against when the email is unknown, so both failures take equal time.
_DUMMY_HASH = generate_password_hash("no-such-user-password")


class LoginBody(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def init_jwt(app: Flask) -> None:
    settings = app.extensions["navai"].settings
    app.config["JWT_SECRET_KEY"] = settings.jwt_secret_key
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=settings.jwt_expires_s)
    app.config["JWT_TOKEN_LOCATION"] = ["headers"]
    jwt = JWTManager(app)

    def _reply(message: str, status: int) -> ResponseReturnValue:
        return jsonify(error_body(message)), status

    jwt.unauthorized_loader(lambda reason: _reply(f"Missing or malformed Authorization header: {reason}", 401))
    jwt.invalid_token_loader(lambda reason: _reply(f"Invalid token: {reason}", 401))
    jwt.expired_token_loader(lambda _header, _payload: _reply("Token has expired", 401))
    jwt.revoked_token_loader(lambda _header, _payload: _reply("Token has been revoked", 401))
    jwt.needs_fresh_token_loader(lambda _header, _payload: _reply("Fresh token required", 401))
    jwt.user_lookup_error_loader(lambda _header, _payload: _reply("User not found", 401))


@bp.post("/login")
def login() -> ResponseReturnValue:
    body = parse_json(LoginBody)
    with session_scope(services().session_factory) as session:
        user = session.scalar(select(User).where(func.lower(User.email) == body.email.strip().lower()))
        password_hash = user.password_hash if user is not None else _DUMMY_HASH
        if not check_password_hash(password_hash, body.password) or user is None or not user.is_active:
            raise ApiError(401, "Invalid email or password")
        claims = {"role": user.role, "org_id": user.organization_id, "email": user.email}
        token = create_access_token(identity=str(user.id), additional_claims=claims)
        profile = {"id": user.id, "email": user.email, "role": user.role,
                   "organizationId": user.organization_id}
    return jsonify({"success": True, "access_token": token, "token_type": "Bearer",
                    "expires_in": services().settings.jwt_expires_s, "user": profile})
