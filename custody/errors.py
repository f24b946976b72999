"""Error handling: JSON problems (RFC 9457) under /api/, readable HTML pages elsewhere.

flask-smorest registers a JSON handler for every ``HTTPException`` app-wide; this module
replaces it so the HTML side keeps proper error pages.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from custody.audit.recorder import record_event
from custody.domain.enums import EventCategory, Outcome
from custody.domain.errors import DomainError, InvalidInput, PermissionDenied
from custody.domain.i18n import N_
from custody.extensions import db

log = logging.getLogger(__name__)


# Parameters that are themselves msgids (a policy rule's description) and are translated too.
TRANSLATED_PARAMS = frozenset({"rule"})


def translate(message: str, params: dict[str, Any] | None = None) -> str:
    params = {key: gettext(value) if key in TRANSLATED_PARAMS and isinstance(value, str) else value
              for key, value in (params or {}).items()}
    return gettext(message, **params)


# The HTML side's words for HTTP errors (werkzeug's names and descriptions are English only).
HTTP_PAGES: dict[int, tuple[str, str]] = {
    400: (N_("Bad request"), N_("The request could not be understood. Go back and try again.")),
    401: (N_("Authentication required"), N_("Please log in to continue.")),
    403: (N_("Forbidden"), N_("You may not open this page.")),
    404: (N_("Not found"), N_("This page does not exist, or it is not visible to your agency.")),
    405: (N_("Not allowed"), N_("This page cannot be used that way.")),
    413: (N_("File too large"), N_("The upload is larger than the system accepts.")),
    429: (N_("Too many requests"), N_("Too many attempts. Wait a while and try again.")),
}


def translate_fields(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [translate(m) for m in messages] for name, messages in fields.items()}


def translate_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """Per-row reports (bulk import) carry msgids too: translate them the same way."""
    if "rows" not in extra:
        return extra
    rows = [{"row": row["row"], "message": translate(row["message"], row.get("params")),
             "errors": translate_fields(row["errors"])} for row in extra["rows"]]
    return {**extra, "rows": rows}


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    code: str | None = None,
    errors: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {**(extra or {}), "type": "about:blank", "status": status, "title": title}
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _page(status: int, title: str, detail: str | None) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, detail=detail), status


def _is_api() -> bool:
    return request.path.startswith("/api/")


def record_refusal(action: str, **data: Any) -> None:
    """Record a refused request in its own transaction (the request's work is rolled back)."""
    from flask_login import current_user

    from custody.access import request_origin
    from custody.services.context import actor_for

    db.session.rollback()
    actor = actor_for(current_user, request_origin()) if current_user and current_user.is_authenticated else None
    for attempt in range(3):  # a busy embedded database must not turn a refusal into a 500
        try:
            record_event(
                db.session,
                category=EventCategory.SECURITY,
                action=action,
                outcome=Outcome.DENIED,
                actor=actor,
                origin=request_origin(),
                data={"method": request.method, "path": request.path, **data},
            )
            db.session.commit()
            return
        except OperationalError:
            db.session.rollback()
            if attempt == 2:
                log.exception("could not record security event %s", action)


def problem_code(error: DomainError) -> str:
    """The problem's ``code``: the one the service gave, else a dotted name for the class's default
    (``InvalidInput`` → ``invalid_input``), like every other code (``transfer.line_decided``, ``http.422``)."""
    name = type(error).__name__
    if error.code != name:
        return error.code
    if isinstance(error, InvalidInput):
        return "invalid_input"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def handle_domain_error(error: DomainError):  # noqa: ANN201
    db.session.rollback()
    if isinstance(error, PermissionDenied):
        record_refusal("permission.denied", code=error.code)
    detail = translate(error.message, error.params)
    if _is_api():
        return problem(error.status, gettext(error.title), detail, code=problem_code(error),
                       errors=translate_fields(error.fields) or None, extra=translate_extra(error.extra))
    return _page(error.status, gettext(error.title), detail)


def handle_http_exception(error: HTTPException):  # noqa: ANN201
    db.session.rollback()
    status = error.code or 500
    if _is_api():
        errors = None
        data = getattr(error, "data", None) or {}
        if "messages" in data:  # webargs/marshmallow validation errors from flask-smorest
            errors = data["messages"]
            # Locations are "json", "query", "files"...: flatten single-location answers.
            if isinstance(errors, dict) and len(errors) == 1:
                errors = next(iter(errors.values()))
        detail = data.get("message") or (error.description if status != 422 else None)
        if status == 422 and not detail:
            detail = gettext("The request has invalid or missing fields.")
        return problem(status, error.name, detail, code=f"http.{status}", errors=errors)
    if isinstance(error, CSRFError):
        return _page(400, gettext("Form expired"), gettext(
            "The form was missing its security token or it expired. Go back, reload the page and try again."))
    if status in HTTP_PAGES:
        title, description = HTTP_PAGES[status]
        return _page(status, gettext(title), gettext(description))
    return _page(status, error.name, error.description)


def handle_csrf_error(error: CSRFError):  # noqa: ANN201
    record_refusal("csrf.refused", reason=error.description)
    if _is_api():
        return problem(400, "Bad request", gettext("Missing or invalid CSRF token (send X-CSRFToken)."),
                       code="csrf.invalid")
    return handle_http_exception(error)


def handle_conflict(error: Exception):  # noqa: ANN201
    """Another request changed the same rows first (optimistic version or lock failure)."""
    db.session.rollback()
    log.info("concurrent modification: %s", error)
    message = gettext("Someone else changed this record at the same time. Reload and try again.")
    if _is_api():
        return problem(409, "Conflict", message, code="concurrent_modification")
    return _page(409, gettext("Conflict"), message)


def handle_operational_error(error: OperationalError):  # noqa: ANN201
    if "locked" in str(error.orig).lower() or "busy" in str(error.orig).lower():
        return handle_conflict(error)
    return handle_unexpected(error)


def handle_statement_error(error: StatementError):  # noqa: ANN201
    """A value the driver could not even bind (e.g. a date before year 1 after a time-zone shift)."""
    if isinstance(error.orig, OverflowError | ValueError):
        return handle_out_of_range(error)
    return handle_unexpected(error)


def handle_out_of_range(error: Exception):  # noqa: ANN201
    """A number too large for the database column (e.g. an id of 10^30): bad input, not a crash."""
    db.session.rollback()
    message = gettext("A number in the request is out of range.")
    if _is_api():
        return problem(422, "Unprocessable input", message, code="number_out_of_range")
    return _page(422, gettext("Unprocessable input"), message)


def handle_recursion(error: RecursionError):  # noqa: ANN201
    """A request body nested thousands of levels deep exhausts the parser's stack: bad input."""
    if not _is_api():
        return handle_unexpected(error)
    db.session.rollback()
    log.info("request body nested too deeply on %s %s", request.method, request.path)
    return problem(400, "Bad request", gettext("The request body is nested too deeply."), code="request.too_deep")


def handle_unexpected(error: Exception):  # noqa: ANN201
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    message = gettext("An unexpected error occurred; nothing was changed. The error has been logged.")
    if _is_api():
        return problem(500, "Internal server error", message, code="internal")
    return _page(500, gettext("Error"), message)


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(StaleDataError, handle_conflict)
    app.register_error_handler(IntegrityError, handle_conflict)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(OverflowError, handle_out_of_range)
    app.register_error_handler(DataError, handle_out_of_range)
    app.register_error_handler(StatementError, handle_statement_error)
    app.register_error_handler(RecursionError, handle_recursion)
    app.register_error_handler(Exception, handle_unexpected)


N_("Bad request")  # titles of DomainError subclasses, for extraction
N_("Unprocessable input")
N_("Authentication required")
N_("Forbidden")
N_("Not found")
N_("Conflict")
