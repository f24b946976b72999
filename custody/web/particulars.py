"""How an item is described on pages and printed lists: a cash item's amount (one source of truth,
``Item.cash_amount_fen``), the particulars that identify the thing (IMEI, plate, VIN, serial, account
tail) and where an item kept outside the centre is."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, gettext

from custody.domain.items import KEPT_OUTSIDE, identifying_details
from custody.i18n import yuan
from custody.models.item import Item
from custody.printing.pdf import format_quantity, format_yuan

from .forms import DETAIL_LABELS


def item_quantity(item: Item) -> str:
    """On pages: a cash item's amount (¥12,350.50), else its quantity and unit (2 部)."""
    amount = item.cash_amount_fen
    if amount is not None:
        return yuan(amount)
    return format_quantity(item.quantity, item.unit)


def item_value(item: Item) -> str:
    """On pages: the estimated value, or for cash without one the amount counted."""
    return yuan(item.value_fen)


def printed_quantity(item: Item) -> str:
    """On printed lists (Chinese documents): ``12,350.50 元`` for cash, else ``2 部``."""
    amount = item.cash_amount_fen
    if amount is not None:
        return format_yuan(amount)
    return format_quantity(item.quantity, item.unit)


def _zh(label: Any) -> str:
    with force_locale("zh_CN"):
        return str(label) if not isinstance(label, str) else gettext(label)


def printed_particulars(item: Item, *, features: bool = True) -> str:
    """``特征`` on printed lists: specification and features, then IMEI / plate / VIN / serial /
    account tail, then where an item kept outside the centre is (保管地点)."""
    parts = [x for x in ((item.specification, item.features) if features else ()) if x]
    parts += [
        f"{_zh(DETAIL_LABELS.get(key, key))} {value}"
        for key, value in identifying_details(item.category, item.details)
    ]
    if item.location_state in KEPT_OUTSIDE and (item.external_place or item.external_kind):
        kind = _zh(item.external_kind.label) if item.external_kind else ""
        parts.append(
            f"保管地点：{item.external_place or kind}"
            + (f"（{kind}）" if item.external_place and kind else "")
        )
    return "；".join(parts)
