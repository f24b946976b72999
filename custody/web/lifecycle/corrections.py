"""更正 pages: the list, proposing a correction of one registered field, and deciding it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from custody.access import current_actor
from custody.domain.enums import ItemCategory
from custody.domain.items import CATEGORY_FIELDS
from custody.domain.lifecycle import CORRECTABLE_FIELDS, CorrectionStatus
from custody.domain.personal_data import sees_personal_data, shown
from custody.domain.policy import Action
from custody.extensions import db
from custody.models.item import Item
from custody.models.lifecycle import Correction
from custody.services import corrections as correction_service
from custody.services.checkouts import users_by_id
from custody.services.visibility import get_item

from ..forms import options
from ..helpers import PageForms, paginate, refuse
from ..lifecycle_forms import CorrectionFilterForm, format_denominations
from .common import bp, enum_arg, refusal_on_items, status_choices, submit_unless
from .forms import DETAIL_LABELS, FIELD_LABELS, DecisionForm, FieldChoiceForm, correction_form_class


def _yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def display_value(field: str, value: Any, category: ItemCategory, personal: bool = True) -> str:
    """A current, old or new value of a correctable field as people read it."""
    from custody.i18n import yuan

    value = shown(field, value, full=personal)
    if value is None or value == "" or value == {}:
        return "—"
    if field == "estimated_value_fen":
        return yuan(value)
    if field in ("ownership_clear", "is_perishable"):
        return _yes_no(value)
    if field == "quantity":
        return format(Decimal(str(value)).normalize(), "f")
    if field == "measure_date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if field == "details" and isinstance(value, dict):
        parts = []
        for key, item in value.items():
            label = str(DETAIL_LABELS.get(key, key))
            if key.endswith("_fen") and isinstance(item, int):
                text = yuan(item)
            elif key == "denominations" and isinstance(item, dict):
                text = format_denominations(item)
            else:
                text = str(item)
            parts.append(f"{label}：{text}")
        return "；".join(parts)
    return str(value)


@bp.get("/corrections")
def corrections():
    actor = current_actor()
    status = enum_arg(CorrectionStatus)
    form = CorrectionFilterForm(request.args)
    form.status.choices = status_choices(CorrectionStatus)
    form.status.data = status.value if status else ""
    page = paginate(correction_service.corrections_query(actor, status=status))
    values = {
        c.id: (
            display_value(
                c.field, c.old_value, c.item.category, sees_personal_data(actor, c.item.custodian_agency_id)
            ),
            display_value(
                c.field, c.new_value, c.item.category, sees_personal_data(actor, c.item.custodian_agency_id)
            ),
        )
        for c in page.rows
    }
    return render_template(
        "lifecycle/corrections.html",
        form=form,
        page=page,
        values=values,
        labels=FIELD_LABELS,
        people=users_by_id(db.session, *(c.proposed_by_id for c in page.rows)),
    )


def _correction_input(field: str, form: Any, item: Item) -> Any:
    """The form's typed value as the service takes it (the same JSON shape as the API)."""
    if field == "details":
        details: dict[str, Any] = {}
        for key in CATEGORY_FIELDS[item.category]:
            value = getattr(form, f"details_{key}").data
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, "", {}):
                details[key] = value
        return details
    value = form.new_value.data
    if field in ("ownership_clear", "is_perishable"):
        return value == "yes"
    if field == "measure_date":
        return value.isoformat() if value else None
    return value


def _prefill_correction(field: str, form: Any, item: Item) -> None:
    current = getattr(item, field)
    if field == "details":
        for key in CATEGORY_FIELDS[item.category]:
            value = (current or {}).get(key)
            target = getattr(form, f"details_{key}")
            if value is not None:
                target.data = value
    elif field in ("ownership_clear", "is_perishable"):
        form.new_value.data = "yes" if current else "no"
    elif field == "quantity":
        form.new_value.data = format(Decimal(current).normalize(), "f")
    else:
        form.new_value.data = current


@bp.route("/corrections/new/<int:item_id>", methods=["GET", "POST"])
def correction_new(item_id: int):
    actor = current_actor()
    item = get_item(db.session, actor, item_id)
    field = request.args.get("field", "")
    personal = sees_personal_data(actor, item.custodian_agency_id)
    refusal = refusal_on_items(actor, Action.PROPOSE_CORRECTION, [item])
    chooser = FieldChoiceForm(request.args if "field" in request.args else None)
    chooser.field.choices = options(
        [("", _("— choose the field —")), *((f, FIELD_LABELS[f]) for f in CORRECTABLE_FIELDS)]
    )
    current = [
        (f, FIELD_LABELS[f], display_value(f, getattr(item, f), item.category, personal))
        for f in CORRECTABLE_FIELDS
    ]
    context = {
        "item": item,
        "case": item.case,
        "may": refusal is None,
        "chooser": chooser,
        "current": current,
        "labels": FIELD_LABELS,
    }
    if field not in CORRECTABLE_FIELDS:
        status = 200
        if request.method == "POST" and refusal is not None:
            status = refuse(None, refusal)
        elif "field" in request.args or request.method == "POST":
            chooser.validate()
            status = 422
        return render_template("lifecycle/correction_new.html", form=None, field_name=None, **context), status
    form = correction_form_class(field, item.category)()
    if not form.is_submitted():
        _prefill_correction(field, form, item)
    outcome = submit_unless(
        refusal if request.method == "POST" else None,
        form,
        lambda: correction_service.propose_correction(
            db.session,
            actor,
            item_id=item.id,
            field=field,
            new_value=_correction_input(field, form, item),
            reason=form.reason.data,
        ),
        done=_("Correction proposed: an approver of your agency decides next."),
        to=lambda c: url_for("lifecycle.correction_detail", correction_id=c.id),
        aliases={"quantity": "new_value", "field": "new_value"},
    )
    return outcome.or_render(
        lambda: render_template(
            "lifecycle/correction_new.html",
            form=form,
            field_name=field,
            current_value=display_value(field, getattr(item, field), item.category, personal),
            detail_keys=list(CATEGORY_FIELDS[item.category]) if field == "details" else [],
            **context,
        )
    )


@bp.route("/corrections/<int:correction_id>", methods=["GET", "POST"])
def correction_detail(correction_id: int):
    actor = current_actor()
    overview = correction_service.correction_overview(db.session, actor, correction_id)
    correction: Correction = overview.record
    detail = url_for("lifecycle.correction_detail", correction_id=correction.id)
    page = PageForms("decide")
    if request.method == "POST" and page.posted is None:
        return redirect(detail)
    form = page.bind(DecisionForm, "decide")
    status = 200
    if page.posted == "decide":
        approve = bool(form.approve.data)
        outcome = submit_unless(
            overview.problems["approve"],
            form,
            lambda: correction_service.decide_correction(
                db.session, actor, correction.id, approve=approve, reason=form.reason.data
            ),
            done=_("Correction approved: the item now carries the new value; its history keeps both.")
            if approve
            else _("Correction rejected."),
            to=detail,
        )
        if outcome.response is not None:
            return outcome.response
        status = outcome.status
        overview = correction_service.correction_overview(db.session, actor, correction_id)
        correction = overview.record
    personal = sees_personal_data(actor, correction.item.custodian_agency_id)
    item = correction.item
    return render_template(
        "lifecycle/correction_detail.html",
        correction=correction,
        form=form,
        item=item,
        case=item.case,
        label=FIELD_LABELS.get(correction.field, correction.field),
        old=display_value(correction.field, correction.old_value, item.category, personal),
        new=display_value(correction.field, correction.new_value, item.category, personal),
        current=display_value(
            correction.field, getattr(item, correction.field, None), item.category, personal
        ),
        can_decide="approve" in overview.actions,
        own=overview.refused_as("approve", "separation.requester_not_approver"),
        people=overview.people,
    ), status
