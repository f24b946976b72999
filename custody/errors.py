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
from custody.domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from custody.domain.i18n import N_
from custody.extensions import db

log = logging.getLogger(__name__)


# Parameters that are themselves msgids (a policy rule's description) and are translated too.
TRANSLATED_PARAMS = frozenset({"rule", "record", "holds", "category"})


def translate(message: str, params: dict[str, Any] | None = None) -> str:
    params = {
        key: gettext(value) if key in TRANSLATED_PARAMS and isinstance(value, str) else value
        for key, value in (params or {}).items()
    }
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


# The API's words for HTTP errors that reach it without a message of ours (werkzeug's are English):
# an unknown address or an id too large for the database (404), a wrong method (405), a body that is
# not JSON (400)... Titles reuse the HTML side's; details speak of the API, not of pages.
API_TITLES: dict[int, str] = {
    **{status: title for status, (title, _) in HTTP_PAGES.items()},
    409: N_("Conflict"),
    422: N_("Unprocessable input"),
    500: N_("Internal server error"),
}
API_DETAILS: dict[int, str] = {
    400: N_("The request could not be understood."),
    404: N_("Nothing was found at this address, or it is not visible to your agency."),
    405: N_("This method is not allowed for this address."),
    413: HTTP_PAGES[413][1],
    429: HTTP_PAGES[429][1],
}

# The standard messages of marshmallow and webargs (and the API schemas' own), English as they
# come, marked for extraction. marshmallow fills in the {placeholders} before we see the text, so
# a message with placeholders is recognised by pattern and its translation filled in the same way.
VALIDATION_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid naive datetime."),
    N_("Not a valid time."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Invalid input."),
    N_("Must be one of: {choices}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be between {min} and {max}."),  # dates and times in range (custody.api.common)
    N_("Invalid JSON body."),  # webargs
    N_("Nested more than {max} levels deep."),
    N_("Send a file part, not a text field."),
    N_("A name, or an object."),
)


def _message_pattern(msgid: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", msgid)  # literal, name, literal, name, ..., literal
    return re.compile(
        "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)), re.S
    )


_EXACT = frozenset(m for m in VALIDATION_MESSAGES if "{" not in m)
# Most literal text first, so "Must be ≥ {min} and ≤ {max}." is tried before "Must be ≥ {min}.".
_PATTERNS = sorted(
    ((_message_pattern(m), m) for m in VALIDATION_MESSAGES if "{" in m),
    key=lambda pair: -len(re.sub(r"\{\w+\}", "", pair[1])),
)


def validation_msgid(message: str) -> tuple[str, dict[str, str]] | None:
    """The standard msgid a request-parsing message was made from, and its filled-in placeholders."""
    if message in _EXACT:
        return message, {}
    for pattern, msgid in _PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return msgid, match.groupdict()
    return None


def translate_validation_message(message: str) -> str:
    """One message of a request-parsing error, in the request's language (placeholder values kept)."""
    known = validation_msgid(message)
    if known is None:
        return gettext(message)  # one of the app's own msgids, or left as it is
    msgid, params = known
    try:
        return gettext(msgid).format(**params)
    except (KeyError, IndexError, ValueError):  # a broken translation: keep the English
        return message


def translate_validation(messages: Any) -> Any:
    """marshmallow/webargs error messages, nested as they come (fields, list indexes, ``_schema``)."""
    if isinstance(messages, dict):
        return {key: translate_validation(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [translate_validation(value) for value in messages]
    if isinstance(messages, str):
        return translate_validation_message(messages)
    return messages


def translate_fields(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [translate(m) for m in messages] for name, messages in fields.items()}


def translate_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """Per-row reports (bulk import) carry msgids too: translate them the same way."""
    if "lines" in extra:  # a refused batch: each line's refusal (services/storage.check_in_batch)
        lines = [
            {key: value for key, value in line.items() if key != "params"}
            | {"message": translate(line["message"], line.get("params"))}
            for line in extra["lines"]
        ]
        extra = {**extra, "lines": lines}
    if "rows" not in extra:
        return extra
    rows = [
        {
            "row": row["row"],
            "message": translate(row["message"], row.get("params")),
            "errors": translate_fields(row["errors"]),
        }
        for row in extra["rows"]
    ]
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
    actor = (
        actor_for(current_user, request_origin()) if current_user and current_user.is_authenticated else None
    )
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


def record_denial(error: DomainError) -> None:
    """Record a permission refusal as ``permission.denied``, whichever front door refused it
    (API, error page or a page form showing it on the form); other refusals are not security events."""
    if isinstance(error, PermissionDenied):
        record_refusal("permission.denied", code=error.code)


def problem_code(error: DomainError) -> str:
    """The problem's ``code``: the one the service gave, else a dotted name for the class's default
    (``InvalidInput`` → ``invalid_input``), like every other code (``transfer.line_decided``, ``http.422``)."""
    name = type(error).__name__
    if error.code != name:
        return error.code
    if isinstance(error, InvalidInput):
        return "invalid_input"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def handle_domain_error(error: DomainError):
    db.session.rollback()
    record_denial(error)
    detail = translate(error.message, error.params)
    if _is_api():
        return problem(
            error.status,
            gettext(error.title),
            detail,
            code=problem_code(error),
            errors=translate_fields(error.fields) or None,
            extra=translate_extra(error.extra),
        )
    return _page(error.status, gettext(error.title), detail)


def _keep_allow(error: HTTPException, response: Any) -> Any:
    """A 405 names the methods the address does allow (RFC 9110 §15.5.6), on both sides."""
    valid = getattr(error, "valid_methods", None)
    if error.code == 405 and valid:
        if isinstance(response, tuple):
            body, status = response
            return body, status, {"Allow": ", ".join(valid)}
        response.headers["Allow"] = ", ".join(valid)
    return response


def handle_http_exception(error: HTTPException):
    return _keep_allow(error, _http_exception_response(error))


def _http_exception_response(error: HTTPException):
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
            errors = translate_validation(errors)
        detail = data.get("message")
        if not detail and status == 422:
            detail = gettext("The request has invalid or missing fields.")
        elif not detail and status in API_DETAILS and error.description == type(error).description:
            detail = gettext(
                API_DETAILS[status]
            )  # werkzeug's own English text: say it in the user's language
        elif not detail:
            detail = error.description
        title = gettext(API_TITLES[status]) if status in API_TITLES else error.name
        return problem(status, title, detail, code=f"http.{status}", errors=errors)
    if isinstance(error, CSRFError):
        return _page(
            400,
            gettext("Form expired"),
            gettext(
                "The form was missing its security token or it expired. Go back, reload the page and try again."
            ),
        )
    if status in HTTP_PAGES:
        title, description = HTTP_PAGES[status]
        return _page(status, gettext(title), gettext(description))
    return _page(status, error.name, error.description)


def handle_csrf_error(error: CSRFError):
    record_refusal("csrf.refused", reason=error.description)
    if _is_api():
        return problem(
            400,
            gettext("Bad request"),
            gettext("Missing or invalid CSRF token (send X-CSRFToken)."),
            code="csrf.invalid",
        )
    return handle_http_exception(error)


def handle_conflict(error: Exception):
    """Another request changed the same rows first (optimistic version or lock failure)."""
    db.session.rollback()
    log.info("concurrent modification: %s", error)
    message = gettext("Someone else changed this record at the same time. Reload and try again.")
    if _is_api():
        return problem(409, gettext("Conflict"), message, code="concurrent_modification")
    return _page(409, gettext("Conflict"), message)


def handle_operational_error(error: OperationalError):
    if "locked" in str(error.orig).lower() or "busy" in str(error.orig).lower():
        return handle_conflict(error)
    return handle_unexpected(error)


def handle_statement_error(error: StatementError):
    """A value the driver could not even bind (e.g. a date before year 1 after a time-zone shift)."""
    if isinstance(error.orig, OverflowError | ValueError):
        return handle_out_of_range(error)
    return handle_unexpected(error)


INTEGER_KEY_MAX = 2**31 - 1  # most keys are INTEGER on PostgreSQL (64-bit on SQLite)


def handle_out_of_range(error: Exception):
    """A number too large for the database column (e.g. an id of 10^30): bad input, not a crash.
    A URL that names a record by a number its key column cannot hold names no record: 404."""
    db.session.rollback()
    if any(isinstance(v, int) and v > INTEGER_KEY_MAX for v in (request.view_args or {}).values()):
        return handle_domain_error(
            NotFound(N_("Record not found, or not visible to your agency."), code="not_found.record")
        )
    message = gettext("A number in the request is out of range.")
    if _is_api():
        return problem(422, gettext("Unprocessable input"), message, code="number_out_of_range")
    return _page(422, gettext("Unprocessable input"), message)


def handle_recursion(error: RecursionError):
    """A request body nested thousands of levels deep exhausts the parser's stack: bad input."""
    if not _is_api():
        return handle_unexpected(error)
    db.session.rollback()
    log.info("request body nested too deeply on %s %s", request.method, request.path)
    return problem(
        400,
        gettext("Bad request"),
        gettext("The request body is nested too deeply."),
        code="request.too_deep",
    )


def handle_unexpected(error: Exception):
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    message = gettext("An unexpected error occurred; nothing was changed. The error has been logged.")
    if _is_api():
        return problem(500, gettext("Internal server error"), message, code="internal")
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
