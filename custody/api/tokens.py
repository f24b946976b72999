"""Bearer tokens for programs: issue with username + password, list own, revoke; and one's own
password, changed with the current one (required after an administrator set it)."""

from __future__ import annotations

from datetime import timedelta

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from custody.access import current_actor, login_required_api, request_origin
from custody.domain.errors import AccountUnavailable, AuthenticationRequired, TooManyAttempts
from custody.domain.i18n import N_
from custody.extensions import db
from custody.services import auth as auth_service
from custody.services import mfa

from .common import Int, Schema

blp = Blueprint("api_tokens", __name__, url_prefix="/api/v1/tokens", description="API tokens")
account_blp = Blueprint(
    "api_account", __name__, url_prefix="/api/v1/account", description="One's own account"
)


class TokenRequestSchema(Schema):
    username = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.Str(required=True, load_only=True, validate=ma.validate.Length(min=1, max=256))
    otp = ma.fields.Str(
        load_default=None,
        allow_none=True,
        load_only=True,
        validate=ma.validate.Length(max=32),
        metadata={
            "description": "Second-factor code (authenticator app or recovery code), for enrolled accounts"
        },
    )
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


def _authenticate(username: str, password: str) -> auth_service.User:
    """Username and password from the body, under the same lockout and throttling as the login page."""
    outcome = auth_service.authenticate(
        db.session,
        username,
        password,
        request_origin(),
        policy=auth_service.LoginPolicy.from_config(current_app.config),
    )
    if not outcome.ok:
        db.session.commit()  # keep the failure count and the security event
        if outcome.code == "auth.invalid_credentials":
            raise AuthenticationRequired(outcome.error or "", code=outcome.code)
        if outcome.code == "auth.throttled":
            raise TooManyAttempts(outcome.error or "", code=outcome.code)
        raise AccountUnavailable(outcome.error or "", code=outcome.code or "auth.locked")
    assert outcome.user is not None
    return outcome.user


def _second_factor(user: auth_service.User, otp: str | None) -> None:
    """Accounts with a second factor send its code; accounts that need one and have none set it
    up in the browser first (a program cannot show a QR code)."""
    config = current_app.config
    if mfa.is_enrolled(user):
        if not otp:
            db.session.commit()
            raise AuthenticationRequired(
                N_("This account has a second factor: send its current code as otp."),
                code="auth.otp_required",
            )
        outcome = auth_service.second_factor(
            db.session, user, otp, request_origin(), policy=auth_service.LoginPolicy.from_config(config)
        )
        if not outcome.ok:
            db.session.commit()
            if outcome.code == "auth.locked":
                raise AccountUnavailable(outcome.error or "", code=outcome.code)
            raise AuthenticationRequired(outcome.error or "", code=outcome.code or "auth.invalid_code")
    elif mfa.is_required(user, mfa.required_roles(config["CUSTODY_MFA_ROLES"])):
        db.session.commit()
        raise AccountUnavailable(
            N_("Your role needs a second factor: set it up on the account page first."),
            code="auth.mfa_enrolment_required",
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
        user = _authenticate(data["username"], data["password"])
        _second_factor(user, data["otp"])
        if user.must_change_password:
            raise AccountUnavailable(
                N_("Choose your own password first (POST /api/v1/account/password or the account page)."),
                code="auth.password_change_required",
            )
        outcome_user = user
        ttl = timedelta(hours=data["ttl_hours"] or config["CUSTODY_TOKEN_TTL_HOURS"])
        token, secret = auth_service.issue_token(
            db.session, outcome_user, request_origin(), name=data["name"], ttl=ttl
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


class PasswordChangeSchema(Schema):
    username = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.Str(
        required=True,
        load_only=True,
        validate=ma.validate.Length(min=1, max=256),
        metadata={"description": "The current password"},
    )
    new_password = ma.fields.Str(required=True, load_only=True, validate=ma.validate.Length(min=1, max=256))


@account_blp.route("/password")
class Password(MethodView):
    @account_blp.arguments(PasswordChangeSchema)
    @account_blp.response(204)
    @account_blp.alt_response(401, description="Wrong username or password")
    @account_blp.alt_response(403, description="Account locked or disabled")
    @account_blp.alt_response(422, description="The new password breaks the password rules")
    def post(self, data):
        """Change one's own password (needed before anything else after an administrator set it).

        Authenticated by the username and current password in the body (counts towards the login
        lockout); every login session and API token of the user ends."""
        user = _authenticate(data["username"], data["password"])
        auth_service.change_own_password(
            db.session, user, data["password"], data["new_password"], request_origin()
        )
        db.session.commit()
