"""Shared fields of the lifecycle and money forms, and the lifecycle lists' filters: shape only.

The rules (who may, in which state, legal periods, separation of duties) live in the domain and
are checked by the services; these forms only turn what was typed into typed values and say,
next to the field and in the user's language, when that is impossible. Money is typed in 元 and
becomes integer fen here, exactly (``YuanField``).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from custody.domain.clock import LOCAL_TZ
from custody.domain.lifecycle import (
    CheckoutPurpose,
)

from .forms import options

# The largest amount accepted anywhere (10¹³ 元): far above any real case, far below BIGINT.
MAX_FEN = 10**15
_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def parse_yuan(text: str | None) -> int | None:
    """``'1,234.5'`` → ``123450`` fen, exactly. ``None`` for empty input; ``ValueError`` (with a
    translatable message) for anything that is not an amount of yuan with at most two decimals."""
    cleaned = unicodedata.normalize("NFKC", text or "")  # full-width digits, ￥ and ． too
    for junk in ("¥", "元", "RMB", ",", " "):
        cleaned = cleaned.replace(junk, "")
    if not cleaned:
        return None
    if cleaned.startswith("-"):
        raise ValueError(_l("The amount cannot be negative."))
    if not _AMOUNT.fullmatch(cleaned):
        raise ValueError(_l("Enter an amount in yuan, for example 1234.50."))
    amount = Decimal(cleaned)
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(_l("At most two decimal places (fen)."))
    fen = int(amount * 100)
    if fen > MAX_FEN:
        raise ValueError(_l("The amount is too large."))
    return fen


def fen_to_input(fen: int | None) -> str:
    """Integer fen → the plain ``1234.50`` an amount field shows (no separators: it re-parses)."""
    if fen is None:
        return ""
    yuan, cents = divmod(int(fen), 100)
    return f"{yuan}.{cents:02d}"


class YuanField(StringField):
    """An amount typed in 元; ``data`` is integer fen (or ``None`` when left empty)."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return fen_to_input(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        self.data = parse_yuan(valuelist[0])


_PAIR = re.compile(r"(\d+(?:\.\d+)?)\s*[×xX*:：]\s*(\d+)")


def parse_denominations(text: str | None) -> dict[str, int] | None:
    """``'100×12、0.5×4'`` (face value in 元 × count) → ``{"10000": 12, "50": 4}`` (keys in fen)."""
    cleaned = unicodedata.normalize("NFKC", text or "").replace("元", "").replace("张", "")
    parts = [p for p in re.split(r"[、,;\s]+", cleaned) if p]
    if not parts:
        return None
    result: dict[str, int] = {}
    for part in parts:
        match = _PAIR.fullmatch(part)
        if not match:
            raise ValueError(_l("Write each denomination as face value × count, e.g. 100×12、50×3."))
        fen = parse_yuan(match.group(1)) or 0
        result[str(fen)] = result.get(str(fen), 0) + int(match.group(2))
    return result


def format_denominations(value: dict[str, int] | None) -> str:
    if not value:
        return ""
    return "、".join(f"{fen_to_input(int(k)).removesuffix('.00')}×{n}" for k, n in value.items())


class DenominationsField(StringField):
    """Cash denominations typed as ``100×12、50×3``; ``data`` is ``{fen: count}``."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_denominations(self.data) if isinstance(self.data, dict) else (self.data or "")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        self.data = parse_denominations(valuelist[0])


def _no_nul(value: Any) -> Any:
    """NUL characters: PostgreSQL refuses them in text, and no one types them."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


class LifecycleForm(FlaskForm):
    """Base of these forms: every field drops NUL characters before validation."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            filters = [*unbound_field.kwargs.get("filters", ()), _no_nul]
            return unbound_field.bind(form=form, filters=filters, **options)


def LocalDateTimeField(label: Any, validators: Any = None, **kwargs: Any) -> DateTimeLocalField:
    """A ``datetime-local`` input read as local (China) time: ``data`` is an aware datetime."""
    return DateTimeLocalField(
        label,
        validators,
        tz=LOCAL_TZ,
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        **kwargs,
    )


def choose(label: Any) -> tuple[str, Any]:
    return ("", label)


def purpose_choices() -> list[Any]:
    return options([choose(_l("— choose the purpose —")), *((p.value, _l(p.label)) for p in CheckoutPurpose)])


class FilterForm(LifecycleForm):
    """List filters: a GET form, so no CSRF token."""

    class Meta:
        csrf = False


class CheckoutFilterForm(FilterForm):
    status = SelectField(_l("Status"), validate_choice=False)
    overdue = BooleanField(_l("Overdue only"))
    submit = SubmitField(_l("Filter"))


class DispositionFilterForm(FilterForm):
    status = SelectField(_l("Status"), validate_choice=False)
    kind = SelectField(_l("Kind"), validate_choice=False)
    submit = SubmitField(_l("Filter"))


class FreezeFilterForm(FilterForm):
    status = SelectField(_l("Status"), validate_choice=False)
    expiring = BooleanField(_l("Expiring within 30 days"))
    submit = SubmitField(_l("Filter"))


class CorrectionFilterForm(FilterForm):
    status = SelectField(_l("Status"), validate_choice=False)
    submit = SubmitField(_l("Filter"))


class LabelCodesForm(FilterForm):
    """Pick items by label code (typed or scanned, one per line) for a new check-out or disposal."""

    codes = TextAreaField(
        _l("Label codes"),
        validators=[DataRequired(), Length(max=20_000)],
        render_kw={"rows": 6, "autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    submit = SubmitField(_l("Continue"))
