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
from sqlalchemy import Select
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as BaseResponse

from custody.counting import PageKeys, count_rows, page_rows
from custody.database import MAX_ID
from custody.domain.clock import LOCAL_TZ
from custody.domain.errors import DomainError, NotFound
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


@dataclass(frozen=True)
class Submission:
    """What became of a page's form: the redirect after it succeeded, or the status to render the
    page with (200 not submitted, 422 shape errors, the refusal's status)."""

    response: BaseResponse | None
    status: int

    def or_render(self, render: Callable[[], Any]) -> Any:
        """The redirect, else the page ``render()`` draws (with the form's errors) and the status."""
        if self.response is not None:
            return self.response
        return render(), self.status


def submit(
    form: FlaskForm,
    call: Callable[[], Any],
    *,
    done: str | Callable[[Any], str],
    to: str | Callable[[Any], str],
    aliases: Mapping[str, str] | None = None,
    refusals: Mapping[str, str] | None = None,
) -> Submission:
    """The one round trip of a page's form.

    When ``form`` validates, ``call`` runs one service; the request commits, flashes ``done`` and
    redirects ``to`` (either may be a function of what the service returned). A refusal rolls back
    and is shown on the form (``refuse``). Every page form goes through here, so a permission
    refusal is recorded exactly as the API records it.
    """
    if not form.is_submitted():
        return Submission(None, 200)
    if not form.validate():
        return Submission(None, 422)
    try:
        result = call()
        db.session.commit()
    except DomainError as error:
        return Submission(None, refuse(form, error, aliases, refusals))
    flash(done(result) if callable(done) else done, "success")
    return Submission(redirect(to(result) if callable(to) else to), 302)


def refuse(
    form: FlaskForm | None,
    error: DomainError,
    aliases: Mapping[str, str] | None = None,
    refusals: Mapping[str, str] | None = None,
) -> int:
    """Roll back and show a service's refusal on the page; returns the HTTP status to render with.

    An unknown (or invisible) record is re-raised: the app answers with its 404 page. ``aliases``
    maps the service's field names to the form's (``details.imei`` → ``phone-imei``); ``refusals``
    maps a refusal's code to the field it is about (``disposal.no_owner`` → ``kind``).
    """
    db.session.rollback()
    if isinstance(error, NotFound):
        raise error
    fields: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        fields.setdefault((aliases or {}).get(name, name).replace(".", "_"), []).extend(messages)
    field = (refusals or {}).get(error.code)
    if field and form is not None and getattr(form, field, None) is not None:
        fields.setdefault(field, []).append(error.message)
    error.fields = fields
    show_domain_error(form, error)
    return error.status


def show_domain_error(
    form: FlaskForm | None, error: DomainError, rename: Mapping[str, str] | None = None
) -> None:
    """Put a service's refusal next to the fields it concerns, and say its overall message once.

    ``rename`` maps the service's field names to the form's where they differ. The overall message
    is flashed at the top of the page unless it is already the message of a field shown with it,
    so nothing the service said is lost and nothing is said twice. A permission refusal is recorded
    here (``permission.denied``), as the API and the error pages do.
    """
    record_denial(error)
    said_at_field = False
    overall = translate(error.message, error.params)
    if form is not None:
        for name, messages in error.fields.items():
            field = getattr(form, (rename or {}).get(name, name), None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, *(translate(m) for m in messages)]
                said_at_field = said_at_field or any(overall == translate(m) for m in messages)
    if not said_at_field:
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
    total_exact: bool = True  # False: more than ``total`` rows (custody/counting.py), pages unknown

    @property
    def pages(self) -> int:
        if not self.total_exact:
            return self.page + 1  # at least: the count reached past this page
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


def paginate(
    stmt: Select[Any], per_page: int = PAGE_SIZE, *, count_limit: int = 0, keys: PageKeys | None = None
) -> Pagination:
    """One page of ``stmt`` (``?page=``, past the last page: the last). ``count_limit``: count the
    rows only up to that many (or to this page's end), then say "more than" (custody/counting.py)."""
    page = request.args.get("page", "1")
    page_no = int(page) if page.isdecimal() and int(page) > 0 else 1
    page_no = min(page_no, MAX_ID // per_page)
    total = count_rows(db.session, stmt, limit=count_limit, at_least=page_no * per_page)
    if total.exact:
        page_no = min(page_no, max(1, math.ceil(total.count / per_page)))
    rows = page_rows(db.session, stmt, limit=per_page, offset=(page_no - 1) * per_page, keys=keys)
    return Pagination(rows, total.count, page_no, per_page, total.exact)


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


# -- pages with several forms --------------------------------------------------------------------


class PageForms:
    """A page with several forms, told apart by their prefixes: the one the user posted reads the
    request, the page's other forms start empty (so their fields show no errors)."""

    def __init__(self, *prefixes: str) -> None:
        self.posted: str | None = None
        if request.method == "POST":
            self.posted = next(
                (p for p in prefixes if any(key.startswith(f"{p}-") for key in request.form)), None
            )

    def bind(self, form_class: type, prefix: str, **kwargs: Any) -> Any:
        if self.posted == prefix:
            return form_class(prefix=prefix, **kwargs)
        return form_class(formdata=None, prefix=prefix, **kwargs)
