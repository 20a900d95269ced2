"""Login, logout and JWT setup.

Tokens carry the user's id and credential version and expire (`exp` is required). Every request
loads the user from the database: an inactive or deleted user gets 401, so does a token issued
before the user's credentials last changed (`api.auth.credentials`), and role and organization
come from the database, so a demotion or a move takes effect at the next request. A logged-out
token's `jti` is in a Redis blocklist until the token would have expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import JWTManager, create_access_token, get_jwt
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from api.auth.access import SIGNED_IN
from api.auth.blocklist import is_revoked, revoke
from api.auth.credentials import require_current_version, token_claims
from api.auth.throttle import login_throttle
from api.http.access import PUBLIC
from api.http.endpoint import endpoint
from api.http.errors import ApiError, error_body
from api.http.services import services
from api.openapi.common import SUCCEEDED, Succeeded, ok
from shared.db import session_scope
from shared.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")

# A fixed hash to compare against when the email is unknown, so both failures take equal time.
_DUMMY_HASH = generate_password_hash("no-such-user-password")


@dataclass(frozen=True)
class Caller:
    """The user behind the request's token, as the database says now."""

    id: int
    email: str
    role: str
    organization_id: int | None


class LoginBody(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)

    @field_validator("email")
    @classmethod
    def _normalized(cls, value: str) -> str:
        return value.strip().lower()


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
    jwt.revoked_token_loader(lambda _header, payload: _reply(
        "Token has been revoked" if "exp" in payload else "Token has no expiry (exp); log in again", 401))
    jwt.needs_fresh_token_loader(lambda _header, _payload: _reply("Fresh token required", 401))
    jwt.user_lookup_error_loader(lambda _header, _payload: _reply("User is inactive or no longer exists", 401))
    jwt.token_in_blocklist_loader(_token_refused)
    jwt.user_lookup_loader(_load_caller)


def _token_refused(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
    """A token without `exp` would never die; one whose `jti` was logged out is revoked."""
    return "exp" not in payload or is_revoked(services().redis, payload.get("jti"))


def _load_caller(_header: dict[str, Any], payload: dict[str, Any]) -> Caller | None:
    try:
        user_id = int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        return None
    with session_scope(services().session_factory) as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        require_current_version(payload, user)
        return Caller(id=user.id, email=user.email, role=user.role, organization_id=user.organization_id)


class LoginResponse(Succeeded):
    access_token: str
    token_type: str
    expires_in: int
    user: dict[str, Any]


@bp.post("/login")
@endpoint(auth=PUBLIC, body=LoginBody,
          responses={200: ok(LoginResponse, "A bearer token for the Authorization header")})
def login(body: LoginBody) -> ResponseReturnValue:
    """Log in with email and password: a bearer token for the Authorization header."""
    throttle = login_throttle()
    throttle.check(body.email)
    with session_scope(services().session_factory) as session:
        user = session.scalar(select(User).where(func.lower(User.email) == body.email))
        password_hash = user.password_hash if user is not None else _DUMMY_HASH
        if not check_password_hash(password_hash, body.password) or user is None or not user.is_active:
            throttle.failed(body.email)
            raise ApiError(401, "Invalid email or password")
        token = create_access_token(identity=str(user.id), additional_claims=token_claims(user))
        profile = {"id": user.id, "email": user.email, "role": user.role,
                   "organizationId": user.organization_id}
    throttle.succeeded(body.email)
    return jsonify({"success": True, "access_token": token, "token_type": "Bearer",
                    "expires_in": services().settings.jwt_expires_s, "user": profile})


@bp.post("/logout")
@endpoint(auth=SIGNED_IN, responses=SUCCEEDED)
def logout() -> ResponseReturnValue:
    """Revoke the presented token: it gets 401 from now on, on every API process."""
    claims = get_jwt()
    revoke(services().redis, claims["jti"], int(claims["exp"]))
    return jsonify({"success": True, "message": "Logged out; this token is revoked"})
