"""Shared API pieces: base schema, small reference schemas, pagination of SELECTs."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from custody.domain.enums import AgencyKind


class Schema(ma.Schema):
    """Unknown fields are refused (422), so a misspelt field is never silently ignored."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class Int(ma.fields.Int):
    """An integer the database can store (64-bit); larger input is a field error, not a crash."""

    def __init__(self, **kwargs: Any) -> None:
        bounds = ma.validate.Range(min=-(2**63), max=2**63 - 1)
        validate = kwargs.pop("validate", None)
        validators = [bounds] + ([validate] if callable(validate) else list(validate or []))
        super().__init__(validate=validators, **kwargs)


class AgencyRefSchema(Schema):
    id = ma.fields.Int()
    code = ma.fields.Str()
    name = ma.fields.Str()
    kind = ma.fields.Enum(AgencyKind, by_value=True)


def paginate(session: Session, stmt: Select[Any], pagination: PaginationParameters) -> list[Any]:
    """Run ``stmt`` for one page and tell flask-smorest the total (for X-Pagination)."""
    pagination.item_count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return list(session.scalars(stmt.limit(pagination.page_size).offset(pagination.first_item)))
