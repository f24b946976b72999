"""Bearer tokens for programs: issue with username + password, list own, revoke."""

from __future__ import annotations

from datetime import timedelta

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from custody.access import current_actor, login_required_api, request_origin
from custody.domain.errors import AccountUnavailable, AuthenticationRequired
from custody.extensions import db
from custody.services import auth as auth_service

from .common import Int, Schema

blp = Blueprint("api_tokens", __name__, url_prefix="/api/v1/tokens", description="API tokens")


class TokenRequestSchema(Schema):
    username = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.Str(required=True, load_only=True, validate=ma.validate.Length(min=1, max=256))
    name = ma.fields.Str(load_default="api", validate=ma.validate.Length(max=64))
    ttl_hours = Int(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Range(min=1, max=24 * 366),
        metadata={"description": "Lifetime in hours; default CUSTODY_TOKEN_TTL_HOURS (30 days)"},
    )


class TokenSchema(Schema):
    id = Int()
    name = ma.fields.Str()
    prefix = ma.fields.Str(metadata={"description": "First characters of the token, to tell tokens apart"})
    created_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime()
    revoked_at = ma.fields.AwareDateTime(allow_none=True)


class TokenIssuedSchema(TokenSchema):
    token = ma.fields.Str(
        metadata={"description": "The secret; shown only once. Send as 'Authorization: Bearer <token>'"}
    )


@blp.route("")
class Tokens(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenIssuedSchema)
    @blp.alt_response(401, description="Wrong username or password")
    @blp.alt_response(403, description="Account locked or disabled")
    def post(self, data):
        """Issue a token for a username and password (counts towards the login lockout)."""
        config = current_app.config
        outcome = auth_service.authenticate(
            db.session,
            data["username"],
            data["password"],
            request_origin(),
            policy=auth_service.LoginPolicy(
                max_failures=config["CUSTODY_LOGIN_MAX_FAILURES"],
                lockout=timedelta(minutes=config["CUSTODY_LOCKOUT_MINUTES"]),
            ),
        )
        if not outcome.ok:
            db.session.commit()  # keep the failure count and the security event
            error_cls = (
                AuthenticationRequired if outcome.code == "auth.invalid_credentials" else AccountUnavailable
            )
            raise error_cls(outcome.error, code=outcome.code)
        ttl = timedelta(hours=data["ttl_hours"] or config["CUSTODY_TOKEN_TTL_HOURS"])
        token, secret = auth_service.issue_token(
            db.session, outcome.user, request_origin(), name=data["name"], ttl=ttl
        )
        db.session.commit()
        token.token = secret
        return token

    @login_required_api
    @blp.response(200, TokenSchema(many=True))
    def get(self):
        """The current user's tokens (never their secrets)."""
        return auth_service.list_tokens(db.session, current_actor())


@blp.route("/<int:token_id>")
class TokenById(MethodView):
    decorators = [login_required_api]

    @blp.response(204)
    def delete(self, token_id: int):
        """Revoke a token (its owner, or an administrator)."""
        auth_service.revoke_token(db.session, current_actor(), token_id)
        db.session.commit()
