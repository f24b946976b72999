"""What the lifecycle pages share: the blueprint, asking the services what a user may do, the item
picker of a new check-out or disposal, status labels and the printed footer."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from custody.database import MAX_ID
from custody.domain.actor import Actor
from custody.domain.errors import DomainError, NotFound
from custody.domain.i18n import N_
from custody.domain.items import derive_status
from custody.domain.lifecycle import (
    CheckoutStatus,
    CorrectionStatus,
    DispositionRecordStatus,
    ExtensionStatus,
    FreezeStatus,
)
from custody.domain.policy import Action
from custody.extensions import db
from custody.models.item import Item
from custody.orm import utcnow
from custody.printing import format_datetime, format_quantity
from custody.services.checkouts import first_refusal, items_by_label_code, require_on_items
from custody.services.storage import facts
from custody.services.visibility import get_item

from ..forms import options
from ..helpers import Submission, refuse, submit
from ..lifecycle_forms import LabelCodesForm

bp = Blueprint("lifecycle", __name__)

# Refusals that concern one field of a form: said next to it.
FORM_REFUSALS = {
    "separation.witness_in_chain": "witness",
    "disposal.no_authorisation": "authorisation_ref",
    "disposal.not_owner": "recipient_name",
}


@bp.before_request
@login_required
def _require_login() -> None:
    """Every lifecycle page needs a login; each action then asks the policy."""


# -- asking the services ------------------------------------------------------------------------


def refusal_on_items(actor: Actor, action: Action, items: list[Item]) -> DomainError | None:
    """The policy's refusal of ``action`` on ``items`` — the service's first check — or None."""
    return first_refusal(lambda: require_on_items(actor, action, items))


def submit_unless(
    problem: DomainError | None,
    form: FlaskForm,
    call: Callable[[], Any],
    *,
    done: str | Callable[[Any], str],
    to: str | Callable[[Any], str],
    aliases: dict[str, str] | None = None,
    refusals: dict[str, str] | None = None,
) -> Submission:
    """``helpers.submit``, unless the service already said the step is refused (``problem``): then
    that refusal is shown before the form is even read (a forged or stale POST; a permission refusal
    is recorded)."""
    refusals = {**FORM_REFUSALS, **(refusals or {})}
    if problem is not None:
        return Submission(None, refuse(form, problem, aliases, refusals))
    return submit(form, call, done=done, to=to, aliases=aliases, refusals=refusals)


# -- choosing items -----------------------------------------------------------------------------


def enum_arg(enum: type, name: str = "status") -> Any:
    """A filter value from the query string; an unknown value is ignored (no filter)."""
    try:
        return enum(request.args.get(name, ""))
    except ValueError:
        return None


def _parse_ids(values: list[str]) -> list[int]:
    ids: list[int] = []
    for value in values:
        if not value.strip().isdecimal() or int(value) > MAX_ID:
            raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.item")
        ids.append(int(value))
    return list(dict.fromkeys(ids))


def selected_items(actor: Actor) -> list[Item]:
    """The items named by ``item_ids`` (query string, or the form's hidden fields on POST)."""
    source = request.form if request.method == "POST" else request.args
    return [get_item(db.session, actor, item_id) for item_id in _parse_ids(source.getlist("item_ids"))]


def _resolve_codes(actor: Actor, form: LabelCodesForm) -> list[int] | None:
    """Label codes typed or scanned into the picker → item ids (field error for unknown codes)."""
    codes = list(
        dict.fromkeys(
            c.strip().upper() for c in (form.codes.data or "").replace(",", "\n").split() if c.strip()
        )
    )
    ids, unknown = items_by_label_code(db.session, actor, codes)
    if unknown:
        form.codes.errors = [
            *form.codes.errors,
            _("Unknown label codes, or not visible to your agency: %(codes)s", codes="、".join(unknown)),
        ]
        return None
    if not ids:
        form.codes.errors = [*form.codes.errors, _("Choose at least one item.")]
        return None
    return ids


def picker(actor: Actor, endpoint: str) -> tuple[LabelCodesForm, BaseResponse | None, int]:
    """The label-code picker shown when a new check-out or disposal has no items yet."""
    form = LabelCodesForm(request.args if "codes" in request.args else None)
    if "codes" in request.args:
        if form.validate():
            ids = _resolve_codes(actor, form)
            if ids:
                return form, redirect(url_for(endpoint, item_ids=ids)), 302
        return form, None, 422
    return form, None, 200


# -- labels ---------------------------------------------------------------------------------------

# Shared labels that read wrongly here: "Rejected" is translated for transfer lines (拒收),
# "Active"/"Released" for accounts and check-outs. Keyed by (enum, value): members of different
# enums with the same value compare equal.
STATUS_MSGIDS: dict[tuple[type, str], str] = {
    (CheckoutStatus, "rejected"): N_("Not approved"),
    (ExtensionStatus, "rejected"): N_("Not approved"),
    (DispositionRecordStatus, "rejected"): N_("Not approved"),
    (CorrectionStatus, "rejected"): N_("Not approved"),
    (FreezeStatus, "active"): N_("In force"),
    (FreezeStatus, "released"): N_("Unfrozen"),
}


def status_label(status: Any) -> str:
    return _(STATUS_MSGIDS.get((type(status), status.value), status.label))


def status_choices(enum: type[Enum]) -> list[Any]:
    return options([("", _("All")), *((s.value, status_label(s)) for s in enum)])


def item_status(item: Item) -> Any:
    return derive_status(facts(item))


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"qty": format_quantity, "item_status": item_status, "status_label": status_label}


def print_footer(actor: Actor) -> str:
    return f"打印：{actor.display_name}（{actor.agency_name}） {format_datetime(utcnow())}"
