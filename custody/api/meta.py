"""Who am I."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from custody.access import login_required_api

from .common import AgencyRefSchema, Schema

blp = Blueprint("api_meta", __name__, url_prefix="/api/v1", description="The authenticated user")


class MeSchema(Schema):
    id = ma.fields.Int()
    username = ma.fields.Str()
    display_name = ma.fields.Str()
    agency = ma.fields.Nested(AgencyRefSchema)
    roles = ma.fields.Function(
        lambda user: sorted(r.value for r in user.roles), metadata={"description": "role names"}
    )
    locale = ma.fields.Str(allow_none=True)


@blp.route("/me")
class Me(MethodView):
    decorators = [login_required_api]

    @blp.response(200, MeSchema)
    def get(self):
        return current_user
