"""What the forms of every area share: select options, money validators, GET search forms."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    SelectMultipleField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from custody.domain.items import MAX_FEN

from ..helpers import label_msgid


def options(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select options."""
    return [SelectChoice(value, label) for value, label in pairs]


class Finite:
    """Refuse NaN and infinity, which Decimal accepts from text like "nan" or "1e400"."""

    def __call__(self, form: FlaskForm, field: Any) -> None:
        if isinstance(field.data, Decimal) and not field.data.is_finite():
            raise ValidationError(_l("Not a number."))


class MaxDecimals:
    def __init__(self, places: int) -> None:
        self.places = places

    def __call__(self, form: FlaskForm, field: Any) -> None:
        exponent = field.data.as_tuple().exponent if isinstance(field.data, Decimal) else 0
        if isinstance(exponent, int) and exponent < -self.places:  # 'n'/'N'/'F': NaN and infinities
            raise ValidationError(_l("At most %(places)s decimal places.", places=self.places))


def money_validators() -> list[Any]:
    """An amount in 元: zero or more, at most two decimals (whole fen), within the per-item bound."""
    return [Optional(), Finite(), MaxDecimals(2), NumberRange(min=0, max=Decimal(MAX_FEN) / 100)]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


DATETIME_LOCAL = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def enum_choices(enum_cls, blank: str | None = None) -> list[SelectChoice]:
    """Options for a labelled enum; ``blank`` adds an empty first option with that text."""
    pairs = [("", blank)] if blank is not None else []
    return options([*pairs, *((m.value, _l(label_msgid(m))) for m in enum_cls)])


class GetForm(FlaskForm):
    """A search form sent with GET: no CSRF token (it changes nothing), values from the query."""

    class Meta:
        csrf = False
