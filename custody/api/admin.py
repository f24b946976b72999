"""Accounts and reference data: users (admins), agencies, centres, storage locations.

Reading agencies, centres and locations is open to every authenticated user (they are
reference data everyone picks from); changing them, and anything about users, needs an admin.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from custody.access import current_actor, login_required_api
from custody.domain.enums import AgencyKind, Role, StorageHolds, StorageKind
from custody.extensions import db
from custody.models.agency import CustodyCentre
from custody.services import accounts, mfa, storage

from .common import AgencyRefSchema, Int, Schema

blp = Blueprint("api_admin", __name__, url_prefix="/api/v1", description="Accounts and reference data")

LOCALES = ("zh_CN", "en")


# -- schemas --------------------------------------------------------------------------------


class UserSchema(Schema):
    id = Int()
    username = ma.fields.Str()
    display_name = ma.fields.Str()
    agency = ma.fields.Nested(AgencyRefSchema)
    roles = ma.fields.Function(lambda user: sorted(r.value for r in user.roles))
    is_active = ma.fields.Bool()
    locked_until = ma.fields.AwareDateTime(allow_none=True)
    locale = ma.fields.Str(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    mfa_enrolled = ma.fields.Function(
        lambda user: user.totp_secret is not None,
        metadata={"type": "boolean", "description": "Whether a second factor is set up"},
    )
    must_change_password = ma.fields.Bool(
        metadata={"description": "An administrator set the password; the user replaces it at the next login"}
    )


class UserCreateSchema(Schema):
    username = ma.fields.Str(required=True, validate=ma.validate.Length(min=3, max=64))
    display_name = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    agency_id = Int(required=True, strict=True)
    roles = ma.fields.List(
        ma.fields.Enum(Role, by_value=True), required=True, validate=ma.validate.Length(min=1)
    )
    password = ma.fields.Str(required=True, load_only=True, validate=ma.validate.Length(max=256))
    locale = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.OneOf(LOCALES))


class UserUpdateSchema(Schema):
    display_name = ma.fields.Str(validate=ma.validate.Length(min=1, max=64))
    agency_id = Int(strict=True)
    roles = ma.fields.List(ma.fields.Enum(Role, by_value=True), validate=ma.validate.Length(min=1))
    is_active = ma.fields.Bool()
    locale = ma.fields.Str(allow_none=True, validate=ma.validate.OneOf(LOCALES))


class PasswordSchema(Schema):
    password = ma.fields.Str(required=True, load_only=True, validate=ma.validate.Length(max=256))


class AgencySchema(Schema):
    id = Int(dump_only=True)
    code = ma.fields.Str(required=True, validate=ma.validate.Length(min=2, max=32))
    name = ma.fields.Str(required=True, validate=ma.validate.Length(min=2, max=128))
    kind = ma.fields.Enum(AgencyKind, by_value=True, required=True)
    is_active = ma.fields.Bool(dump_only=True)


class AgencyUpdateSchema(Schema):
    name = ma.fields.Str(validate=ma.validate.Length(min=2, max=128))
    is_active = ma.fields.Bool()


class AgencyQuerySchema(Schema):
    kind = ma.fields.Enum(AgencyKind, by_value=True)


class CentreSchema(Schema):
    id = Int(dump_only=True)
    code = ma.fields.Str(required=True, validate=ma.validate.Length(min=2, max=32))
    name = ma.fields.Str(required=True, validate=ma.validate.Length(min=2, max=128))
    address = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=255))
    operator_agency_id = Int(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={
            "description": "The agency whose keepers run the centre for every custodian agency "
            "(三方共管 with a neutral or third-party operator); null: each custodian's own keepers."
        },
    )
    operator_agency_name = ma.fields.Str(dump_only=True, allow_none=True)


class CentreUpdateSchema(Schema):
    operator_agency_id = Int(required=True, allow_none=True, strict=True)


class LocationSchema(Schema):
    id = Int(dump_only=True)
    centre_id = Int(required=True, strict=True)
    parent_id = Int(load_default=None, allow_none=True, strict=True)
    kind = ma.fields.Enum(StorageKind, by_value=True, required=True)
    code = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    name = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=128))
    holds = ma.fields.Enum(
        StorageHolds,
        by_value=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "what it is made for (general, valuables, vehicles); default: its parent's"},
    )
    path = ma.fields.Str(dump_only=True)
    scan_code = ma.fields.Str(
        dump_only=True,
        metadata={"description": "what its QR label encodes: LOC:<centre code>:<location code>"},
    )
    is_active = ma.fields.Bool(dump_only=True)


class LocationUpdateSchema(Schema):
    name = ma.fields.Str(validate=ma.validate.Length(min=1, max=128))
    is_active = ma.fields.Bool()


class LocationScanSchema(Schema):
    code = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=200))


class LocationQuerySchema(Schema):
    centre_id = Int()
    include_inactive = ma.fields.Bool(load_default=False)


# -- users ----------------------------------------------------------------------------------


@blp.route("/users")
class Users(MethodView):
    decorators = [login_required_api]

    @blp.response(200, UserSchema(many=True))
    def get(self):
        """All user accounts (admins)."""
        return accounts.list_users(db.session, current_actor())

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user account (admins)."""
        user = accounts.create_user(db.session, current_actor(), **data)
        db.session.commit()
        return user


@blp.route("/users/<int:user_id>")
class UserById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, UserSchema)
    def get(self, user_id: int):
        return accounts.get_user(db.session, current_actor(), user_id)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id: int):
        """Change display name, agency, roles, active flag or locale. Disabling ends all sessions."""
        user = accounts.update_user(db.session, current_actor(), user_id, **data)
        db.session.commit()
        return user


@blp.route("/users/<int:user_id>/password")
class UserPassword(MethodView):
    decorators = [login_required_api]

    @blp.arguments(PasswordSchema)
    @blp.response(204)
    def post(self, data, user_id: int):
        """Set a new password; unlocks the account and ends its sessions and tokens."""
        accounts.reset_password(db.session, current_actor(), user_id, data["password"])
        db.session.commit()


@blp.route("/users/<int:user_id>/unlock")
class UserUnlock(MethodView):
    decorators = [login_required_api]

    @blp.response(200, UserSchema)
    def post(self, user_id: int):
        user = accounts.unlock_user(db.session, current_actor(), user_id)
        db.session.commit()
        return user


@blp.route("/users/<int:user_id>/mfa")
class UserMfa(MethodView):
    decorators = [login_required_api]

    @blp.response(200, UserSchema)
    def delete(self, user_id: int):
        """Remove the user's second factor (lost or new phone): they set up a new one at the next
        login when their roles need one."""
        user = mfa.remove(db.session, current_actor(), user_id)
        db.session.commit()
        return user


# -- agencies, centres, locations -------------------------------------------------------------


@blp.route("/agencies")
class Agencies(MethodView):
    decorators = [login_required_api]

    @blp.arguments(AgencyQuerySchema, location="query")
    @blp.response(200, AgencySchema(many=True))
    def get(self, query):
        """Agencies (police / procuratorate / court / neutral centre operator)."""
        return accounts.list_agencies(db.session, query.get("kind"))

    @blp.arguments(AgencySchema)
    @blp.response(201, AgencySchema)
    def post(self, data):
        agency = accounts.create_agency(db.session, current_actor(), **data)
        db.session.commit()
        return agency


@blp.route("/agencies/<int:agency_id>")
class AgencyById(MethodView):
    decorators = [login_required_api]

    @blp.arguments(AgencyUpdateSchema)
    @blp.response(200, AgencySchema)
    def patch(self, data, agency_id: int):
        agency = accounts.update_agency(db.session, current_actor(), agency_id, **data)
        db.session.commit()
        return agency


@blp.route("/centres")
class Centres(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CentreSchema(many=True))
    def get(self):
        return db.session.scalars(select(CustodyCentre).order_by(CustodyCentre.id)).all()

    @blp.arguments(CentreSchema)
    @blp.response(201, CentreSchema)
    def post(self, data):
        centre = accounts.create_centre(db.session, current_actor(), **data)
        db.session.commit()
        return centre


@blp.route("/centres/<int:centre_id>")
class CentreById(MethodView):
    decorators = [login_required_api]

    @blp.arguments(CentreUpdateSchema)
    @blp.response(200, CentreSchema)
    def patch(self, data, centre_id: int):
        """Name the centre's operator agency (admins): its keepers check in, move, release, take back
        and execute disposals there for every custodian agency, recorded as acting for the custodian.
        ``null`` leaves the keeper work to each custodian agency's own keepers."""
        centre = accounts.set_centre_operator(
            db.session, current_actor(), centre_id, operator_agency_id=data["operator_agency_id"]
        )
        db.session.commit()
        return centre


@blp.route("/locations")
class Locations(MethodView):
    decorators = [login_required_api]

    @blp.arguments(LocationQuerySchema, location="query")
    @blp.response(200, LocationSchema(many=True))
    def get(self, query):
        """Storage locations with their full path (centre › room › shelf › bin)."""
        rows = accounts.all_locations(db.session)
        if "centre_id" in query:
            rows = [loc for loc in rows if loc.centre_id == query["centre_id"]]
        if not query["include_inactive"]:
            rows = [loc for loc in rows if loc.is_active]
        return rows

    @blp.arguments(LocationSchema)
    @blp.response(201, LocationSchema)
    def post(self, data):
        location = accounts.create_location(db.session, current_actor(), **data)
        db.session.commit()
        return location


@blp.route("/locations/by-scan-code")
class LocationByScanCode(MethodView):
    decorators = [login_required_api]

    @blp.arguments(LocationScanSchema, location="query")
    @blp.response(200, LocationSchema)
    def get(self, query):
        """The location a scanned shelf or bin label names (``LOC:PDZX:R1-A-01``): 404
        ``not_found.location`` for an unknown code, 403 ``location.other_centre`` for a location of a
        centre the actor's keepers do not work in."""
        return storage.location_by_scan_code(db.session, current_actor(), query["code"])


@blp.route("/locations/<int:location_id>")
class LocationById(MethodView):
    decorators = [login_required_api]

    @blp.arguments(LocationUpdateSchema)
    @blp.response(200, LocationSchema)
    def patch(self, data, location_id: int):
        location = accounts.update_location(db.session, current_actor(), location_id, **data)
        db.session.commit()
        return location
