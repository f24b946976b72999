"""Chinese-first localisation (Flask-Babel): locale choice, and money/time formatting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.numbers import format_currency
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_datetime, get_locale, get_translations, to_user_timezone
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from custody.domain.personal_data import masked, shown
from custody.extensions import babel


def select_locale() -> str:
    supported = current_app.config["CUSTODY_LOCALES"]
    # An explicit ?lang= (the language switch on the login page) wins for this browser session.
    wanted = request.args.get("lang")
    if wanted is not None and wanted in supported:
        session["locale"] = wanted
        return wanted
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    if session.get("locale") in supported:
        return session["locale"]
    # Chinese-first: browsers on the intranet often report English; the default is zh_CN.
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def yuan(fen: int | None) -> str:
    """Integer fen → a locale-formatted CNY amount (¥1,234.50)."""
    if fen is None:
        return "—"
    from decimal import Decimal, InvalidOperation

    try:
        return format_currency(Decimal(fen) / 100, "CNY", locale=str(get_locale()))
    except (InvalidOperation, ValueError, TypeError, OverflowError):
        return f"{fen} 分"  # never let one odd stored value break a page


# One unambiguous form in every language (a locale's "short" form is 11/26/26 in English and
# 2026/11/26 in Chinese, its "medium" form 2026年11月26日 — mixed on one page they confused users).
TIME_PATTERNS = {"short": "yyyy-MM-dd HH:mm", "medium": "yyyy-MM-dd HH:mm:ss"}


def local_time(value: datetime | None, fmt: str = "short") -> str:
    """A moment in the local time zone, as ``2026-11-26 14:08`` (``short``, what every screen shows:
    no stray seconds, issue 18) or with seconds (``medium``, where a page asks for them)."""
    if value is None:
        return "—"
    if fmt not in TIME_PATTERNS or not isinstance(value, datetime):
        return format_datetime(value, TIME_PATTERNS.get(fmt, fmt))
    # The two patterns are digits only: written directly, as Babel would write them (a page shows
    # dozens of moments, and Babel's pattern formatter cost ~0.1 ms each, issue 15).
    local = to_user_timezone(value)
    text = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    return f"{text}:{local.second:02d}" if fmt == "medium" else text


def _page_gettext(translate: Any) -> Any:
    """Jinja's "new style" gettext (as ``install_gettext_callables(newstyle=True)`` makes it: the
    result is escaped and %-formatted with the call's keywords) over one bound catalog."""

    @pass_context
    def gettext(context: Any, message: str, /, **variables: Any) -> str:
        text = translate(message)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    return gettext


def _page_ngettext(translate: Any) -> Any:
    @pass_context
    def ngettext(context: Any, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = translate(singular, plural, num)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    return ngettext


def page_translations() -> dict[str, Any]:
    """The request's catalog, found once per rendered page. Flask-Babel's template ``gettext`` looks
    up the request context, the domain and the locale again for every string — a page of a case
    has hundreds (issue 15). The names shadow Flask-Babel's globals for this page's context; a
    macro imported without context still uses those (same catalog, found per string)."""
    if not has_request_context():
        return {}  # rendered outside a request: Flask-Babel's own functions (no locale to choose)
    translations = get_translations()
    return {
        "gettext": _page_gettext(translations.ugettext),
        "ngettext": _page_ngettext(translations.ungettext),
    }


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(page_translations)
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.filters["local_time"] = local_time
    # Personal data in templates, through the one masking function (domain/personal_data.py):
    # ``value|masked('holder_name')`` in lists; ``shown('account_no', value, full)`` on a record.
    app.jinja_env.filters["masked"] = lambda value, field: masked(field, value)
    app.jinja_env.globals["shown"] = lambda field, value, full: shown(field, value, full=full)
    app.jinja_env.globals["current_locale"] = current_locale


def current_locale() -> str:
    """The UI language as the app names it: ``zh_CN`` or ``en``.

    Babel parses ``zh_CN`` as ``zh_Hans_CN`` (hence the catalog directory's name).
    """
    locale = get_locale()
    return "zh_CN" if locale is not None and locale.language == "zh" else "en"
