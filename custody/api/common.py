"""Shared API pieces: base schema, small reference schemas, pagination of SELECTs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import cache, wraps
from typing import Any

import flask_smorest
import marshmallow as ma
from flask import current_app
from flask_smorest.fields import Upload
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select
from sqlalchemy.orm import Session
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from custody.counting import PageKeys, count_rows, page_rows
from custody.database import answering
from custody.domain.enums import AgencyKind
from custody.domain.i18n import N_
from custody.text import clean_data, nesting_depth

# No request body of this API nests deeper than a few levels; anything deeper is refused (422).
MAX_NESTING = 32


class Schema(ma.Schema):
    """Unknown fields are refused (422), so a misspelt field is never silently ignored; strings lose
    control characters on the way in (custody.text); bodies nested absurdly deep are refused."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _clean_strings(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if nesting_depth(data, MAX_NESTING) > MAX_NESTING:  # before any recursive walk of the body
            raise ma.ValidationError(N_("Nested more than {max} levels deep.").format(max=MAX_NESTING))
        return clean_data(data)


class Int(ma.fields.Int):
    """An integer the database can store (64-bit); larger input is a field error, not a crash."""

    def __init__(self, **kwargs: Any) -> None:
        bounds = ma.validate.Range(min=-(2**63), max=2**63 - 1)
        validate = kwargs.pop("validate", None)
        validators = [bounds] + ([validate] if callable(validate) else list(validate or []))
        super().__init__(validate=validators, **kwargs)


class Between(ma.validate.Validator):
    """A date or time within bounds. Not a ``Range``: apispec documents a ``Range`` on a string as
    the non-standard ``x-minimum``/``x-maximum``; the bounds are said in the description instead."""

    error = N_("Must be between {min} and {max}.")

    def __init__(self, low: Any, high: Any) -> None:
        self.low, self.high = low, high

    def __call__(self, value: Any) -> Any:
        if not self.low <= value <= self.high:
            raise ma.ValidationError(self.error.format(min=self.low, max=self.high))
        return value


def _sane_dates(kwargs: dict[str, Any], low: Any, high: Any) -> dict[str, Any]:
    validate = kwargs.pop("validate", None)
    kwargs["validate"] = [Between(low, high)] + ([validate] if callable(validate) else list(validate or []))
    metadata = dict(kwargs.get("metadata") or {})
    bounds = f"From {getattr(low, 'date', lambda: low)()} to {getattr(high, 'date', lambda: high)()}."
    metadata["description"] = f"{metadata['description']} {bounds}" if metadata.get("description") else bounds
    kwargs["metadata"] = metadata
    return kwargs


class Date(ma.fields.Date):
    """A calendar date in the range these records can hold (1949-10-01 … 2199-12-31)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_sane_dates(kwargs, date(1949, 10, 1), date(2199, 12, 31)))


class AwareDateTime(ma.fields.AwareDateTime):
    """A time with its offset, in the range these records can hold."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            **_sane_dates(kwargs, datetime(1949, 10, 1, tzinfo=UTC), datetime(2199, 12, 31, tzinfo=UTC))
        )


class DecimalString(ma.fields.Decimal):
    """A decimal sent as a string (``"1.000"``: exact, no binary rounding), and documented so."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {
            "type": "string",
            "format": "decimal",
            "example": "1.000",
            **kwargs.get("metadata", {}),
        }
        super().__init__(as_string=True, **kwargs)


class FilePart(Upload):
    """One file part of a multipart/form-data request (documented as ``string``/``binary``)."""

    default_error_messages = {"invalid": N_("Send a file part, not a text field.")}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


class MultipartParser(FlaskParser):
    """The ``files`` location reads the whole multipart/form-data body: its file parts and its text
    fields, so one schema describes (and the OpenAPI document shows) everything an upload carries."""

    def load_files(self, req: Any, schema: ma.Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint; ``@blp.arguments(Schema, location="files")`` takes a multipart upload
    whose schema holds both the ``FilePart`` fields and the text fields."""

    ARGUMENTS_PARSER = MultipartParser()

    def response(self, status_code: Any, schema: Any = None, **kwargs: Any) -> Any:
        """flask-smorest's ``response``; once the view returns, the request only answers
        (``database.answering``): a write view's answer is read after its commit without taking
        SQLite's write lock again."""
        decorate = super().response(status_code, schema, **kwargs)

        def decorator(view: Any) -> Any:
            @wraps(view)
            def answered(*args: Any, **kw: Any) -> Any:
                result = view(*args, **kw)
                answering()
                return result

            return decorate(answered)

        return decorator

    def _set_pagination_metadata(self, page_params: Any, result: Any, headers: Any) -> Any:
        """X-Pagination says ``total_exact``; when false, ``total`` is a lower bound ("more than"),
        and neither the number of pages nor the last page is known."""
        metadata = self._make_pagination_metadata(
            page_params.page, page_params.page_size, page_params.item_count
        )
        metadata["total_exact"] = getattr(page_params, "total_exact", True)
        if not metadata["total_exact"]:
            metadata["total"] = page_params.item_count - 1
            del metadata["total_pages"], metadata["last_page"]
        headers = {} if headers is None else headers
        headers[self.PAGINATION_HEADER_NAME] = json.dumps(metadata)
        return result, headers


class Computed(ma.fields.Nested):
    """An object built by a function of the whole row, documented in OpenAPI as the ``nested`` schema.

    The JSON is exactly what ``method`` (a method of the parent schema) or ``function`` returns; the
    nested schema only describes it (apispec renders a ``$ref``, or an array of them with ``many``).
    """

    _CHECK_ATTRIBUTE = False

    def __init__(
        self, nested: Any, *, method: str | None = None, function: Any = None, **kwargs: Any
    ) -> None:
        if (method is None) == (function is None):
            raise ValueError("Computed needs exactly one of method= or function=")
        super().__init__(nested, **kwargs)
        self.method_name = method
        self.function = function

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        if self.function is not None:
            return self.function(obj)
        return getattr(self.parent, self.method_name)(obj)  # type: ignore[arg-type]


class AgencyRefSchema(Schema):
    id = ma.fields.Int()
    code = ma.fields.Str()
    name = ma.fields.Str()
    kind = ma.fields.Enum(AgencyKind, by_value=True)


@cache
def dumper(schema: type[Schema], *, many: bool = False) -> Schema:
    """One instance per schema and shape, made on first use: a schema keeps no state between dumps,
    and building one (its fields deep-copied) cost more than dumping a record with it (issue 15)."""
    return schema(many=many)


def paginate(
    session: Session, stmt: Select[Any], pagination: PaginationParameters, *, keys: PageKeys | None = None
) -> list[Any]:
    """Run ``stmt`` for one page and tell flask-smorest the total (for X-Pagination): exact up to
    ``CUSTODY_LIST_COUNT_LIMIT`` rows, else "more than" (``total_exact`` false; custody/counting.py)."""
    total = count_rows(
        session,
        stmt,
        limit=current_app.config["CUSTODY_LIST_COUNT_LIMIT"],
        at_least=pagination.first_item + pagination.page_size,
    )
    # One more than the lower bound: flask-smorest then names the next page, which does exist.
    pagination.item_count = total.count if total.exact else total.count + 1
    pagination.total_exact = total.exact
    return page_rows(session, stmt, limit=pagination.page_size, offset=pagination.first_item, keys=keys)
