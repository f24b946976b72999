"""The JSON problem (RFC 9457) every API error is answered with, as a schema for the OpenAPI
document (``custody.errors.problem`` builds the bodies)."""

from __future__ import annotations

import marshmallow as ma

PROBLEM_CONTENT_TYPE = "application/problem+json"


class HttpProblemSchema(ma.Schema):
    """``type``, ``title``, ``status`` and ``detail`` as RFC 9457 names them, plus ``code`` (a
    stable dotted name to branch on, e.g. ``policy.approve_checkout``) and ``errors`` (per field).
    Extension members may follow (a bulk import's ``rows``)."""

    class Meta:
        unknown = ma.INCLUDE  # extension members are allowed (additionalProperties)
        ordered = True

    type = ma.fields.Str(metadata={"description": "A URI naming the problem type (about:blank)"})
    title = ma.fields.Str(metadata={"description": "Short summary, in the user's language"})
    status = ma.fields.Int(metadata={"description": "The HTTP status code", "minimum": 400, "maximum": 599})
    detail = ma.fields.Str(metadata={"description": "What went wrong here, in the user's language"})
    code = ma.fields.Str(
        metadata={"description": "Stable machine-readable code, e.g. policy.approve_checkout"}
    )
    errors = ma.fields.Raw(metadata={"description": "Messages per field (an object; a list for a list body)"})


PAGINATION_HEADER = {
    "description": "Pagination metadata as a JSON object in a string: total, total_exact, total_pages, "
    "first_page, last_page, page, previous_page, next_page. Rows are counted up to a limit (1,000 by "
    "default, and at least to the end of the page asked for): past it, total_exact is false, total "
    "means 'more than total', and total_pages and last_page are left out.",
    "schema": {
        "type": "string",
        "example": '{"total": 42, "total_pages": 5, "first_page": 1, "last_page": 5, "page": 1, '
        '"next_page": 2, "total_exact": true}',
    },
}
