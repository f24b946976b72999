"""Small helpers shared by the HTML views."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as BaseResponse

from custody.domain.clock import LOCAL_TZ
from custody.domain.errors import DomainError
from custody.errors import record_denial, translate
from custody.extensions import db

PAGE_SIZE = 50


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths are followed after login (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def enum_or_none(enum_cls: type, value: Any) -> Any:
    """A member of ``enum_cls`` for a submitted value, or None when blank or not a member."""
    text = (value or "").strip() if isinstance(value, str) else value
    try:
        return enum_cls(text) if text else None
    except ValueError:
        return None


def submit_form(form: FlaskForm, action: Callable[[], tuple[str, str]]) -> tuple[BaseResponse | None, int]:
    """The usual round trip of a page's form.

    When ``form`` validates, ``action`` calls one service and returns (success message, next URL):
    the request commits, flashes the message and redirects. A refusal (``DomainError``) rolls back
    and is shown on the form; returns (None, its status). Shape errors: (None, 422). Not submitted:
    (None, 200) — render the form.
    """
    if form.validate_on_submit():
        try:
            message, target = action()
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            return None, error.status
        flash(message, "success")
        return redirect(target), 302
    return None, 422 if form.is_submitted() else 200


def show_domain_error(
    form: FlaskForm | None, error: DomainError, rename: Mapping[str, str] | None = None
) -> None:
    """Put a service's refusal next to the fields it concerns, or at the top of the page.

    ``rename`` maps the service's field names to the form's where they differ
    (e.g. ``details.imei`` → ``phone-imei``). The overall message is flashed as well when some
    of the errors have no field on the form, so nothing the service said is lost.
    A permission refusal is recorded here (``permission.denied``), as the API and the error pages do:
    every page form that shows a refusal passes through this function.
    """
    record_denial(error)
    placed = False
    unplaced = False
    if form is not None:
        for name, messages in error.fields.items():
            field = getattr(form, (rename or {}).get(name, name), None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, *(translate(m) for m in messages)]
                placed = True
            else:
                unplaced = True
    overall = translate(error.message, error.params)
    # Said once: not again at the top when it is already the message of a field shown with it.
    said_at_field = (
        placed
        and not unplaced
        and any(overall == translate(m) for messages in error.fields.values() for m in messages)
    )
    if (not placed or unplaced) and not said_at_field:
        flash(overall, "error")


# -- the error summary at the top of a page whose form failed ----------------------------------


def note_field_error(field_id: str, label: str, errors: Any) -> str:
    """Remember a field's errors while the page renders (called by the ``field`` macro), so the
    base template can list them at the top of the page, each linked to its field."""
    from flask import g

    noted = g.setdefault("form_errors", [])
    for message in errors or ():
        if isinstance(message, dict):  # a FormField's errors: one list per subfield
            continue
        entry = (field_id, str(label), str(message))
        if entry not in noted:
            noted.append(entry)
    return ""


def noted_field_errors() -> list[tuple[str, str, str]]:
    from flask import g

    return list(g.get("form_errors", []))


# -- links to pages that may not exist (yet) ------------------------------------------------------


def endpoint_exists(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def link_to(endpoint: str, **values: Any) -> str | None:
    """``url_for`` that answers None when ``endpoint`` is not registered (or cannot be built).

    Pages link to other engineers' pages (check-out, disposal, freeze, correction) by endpoint
    name; until those exist the link is simply left out instead of failing the whole page.
    """
    if not endpoint_exists(endpoint):
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


# -- input conversion ----------------------------------------------------------------------------


def aware_local(value: datetime | None) -> datetime | None:
    """A ``datetime-local`` input (naive, the user's wall clock in China) → an aware datetime."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)


def yuan_to_fen(value: Decimal | None) -> int | None:
    """An amount typed in yuan (at most two decimals, checked by the form) → integer fen."""
    if value is None:
        return None
    try:
        return int((Decimal(value) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        return None


def int_list(values: list[str]) -> list[int]:
    """Ids from a multi-valued query or form field; anything not a positive integer is dropped."""
    result: list[int] = []
    for value in values:
        for part in str(value).replace(",", " ").split():
            if part.isdecimal() and int(part) > 0:
                result.append(int(part))
    return list(dict.fromkeys(result))


# -- pagination ----------------------------------------------------------------------------------


@dataclass
class Pagination:
    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)

    def url(self, page: int) -> str:
        """This page's URL with the same query, at ``page``."""
        args: dict[str, Any] = request.args.to_dict(flat=False)
        args["page"] = [str(page)]
        return url_for(request.endpoint or "main.home", **(request.view_args or {}), **args)


def paginate(stmt: Select[Any], per_page: int = PAGE_SIZE) -> Pagination:
    page = request.args.get("page", "1")
    page_no = int(page) if page.isdecimal() and int(page) > 0 else 1
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page_no = min(page_no, pages)
    rows = list(db.session.scalars(stmt.limit(per_page).offset((page_no - 1) * per_page)))
    return Pagination(rows, total, page_no, per_page)


# -- printing ------------------------------------------------------------------------------------


def printed(label: str) -> str:
    """A label for a printed form: forms are Chinese documents whatever the UI language."""
    from flask_babel import force_locale, gettext

    with force_locale("zh_CN"):
        return gettext(label)


def pdf_response(content: bytes, filename: str, *, download: bool = False) -> Any:
    """Send a PDF inline (the browser's viewer prints it) under a UTF-8 file name."""
    from custody.downloads import file_response

    return file_response(content, filename, fmt="pdf", inline=not download)


def confirmation_redirect() -> Any:
    """Exports of personal data need a recent proof of identity [DESIGN, issue 14]: if this
    session has none, the redirect to the confirmation page (which comes back here); else None."""
    from flask import redirect, request, url_for

    from custody.access import recently_confirmed

    if recently_confirmed():
        return None
    return redirect(url_for("auth.confirm_identity", next=request.full_path.rstrip("?")))


def send_document(
    content: bytes,
    filename: str,
    *,
    document: str,
    object_id: object | None,
    download: bool = False,
    **details: Any,
) -> Any:
    """Record that the current user printed ``document`` (a security event), commit, then send the
    PDF. The view must be marked ``writes_on_get`` (custody/database.py)."""
    from custody.access import current_actor
    from custody.extensions import db
    from custody.services.documents import record_document

    record_document(db.session, current_actor(), document, object_id, **details)
    db.session.commit()
    return pdf_response(content, filename, download=download)


# -- enum labels ---------------------------------------------------------------------------------


def label_msgid(member: Any) -> str:
    """The English msgid naming ``member`` (an enum member; labels are kept per enum class)."""
    if member is None:
        return ""
    return getattr(member, "label", str(member))


def enum_label(member: Any) -> str:
    """``member``'s label in the user's language."""
    from flask_babel import gettext

    msgid = label_msgid(member)
    return gettext(msgid) if msgid else "—"


# -- the viewer's own case number ----------------------------------------------------------------


def own_case_number(case: Any) -> str:
    """The case's number as the viewer's agency knows it (each authority numbers the case itself);
    for an agency that gave it none, the number of the latest authority to hold it."""
    if case is None:
        return ""
    from custody.access import current_actor
    from custody.domain.errors import AuthenticationRequired

    try:
        agency_id: int | None = current_actor().agency_id
    except AuthenticationRequired:  # no logged-in viewer: the latest number
        agency_id = None
    return case.number_of(agency_id) or case.latest_number
