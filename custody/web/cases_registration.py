"""Registration pages of a case: one item with its photo (登记), or a seizure list's items in bulk
from the template. Routes of the ``cases`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from custody.access import current_actor
from custody.database import outside_transaction
from custody.domain.actor import Actor
from custody.domain.enums import AttachmentKind, ExternalKind, HolderSignature, ItemCategory, Measure
from custody.domain.errors import DomainError
from custody.domain.items import detail_warnings
from custody.domain.policy import Action, require
from custody.errors import translate_extra
from custody.extensions import db
from custody.models.case import Case
from custody.models.item import Item
from custody.orm import utcnow
from custody.services import imports, items
from custody.services.imports import ImportRejected
from custody.services.items import ItemInput, SeizureListInput
from custody.services.visibility import get_case

from .cases import _handler, bp, upload_dir
from .forms import MONEY_KEYS, ImportForm, ItemForm, detail_field_name, detail_fields, options
from .helpers import aware_local, refuse, submit, yuan_to_fen

# -- registration ----------------------------------------------------------------------------


def _list_choices(case: Case, actor: Actor) -> list[Any]:
    """A new list, or one of the lists the user's agency drew up (only it may add to them)."""
    lists = items.lists_to_add_to(db.session, actor, case)
    from custody.i18n import local_time

    no_holder = _("no holder recorded")
    return options(
        [(0, _("A new seizure list (fill in below)"))]
        + [
            (sl.id, f"{sl.list_no} · {sl.holder_name or no_holder} · {local_time(sl.seized_at, 'short')}")
            for sl in lists
        ]
    )


def _details(form: ItemForm, category: ItemCategory) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for cat, keys in detail_fields():
        if cat is not category:
            continue
        for key, _required in keys:
            value = getattr(form, detail_field_name(cat.value, key)).data
            if key in MONEY_KEYS:
                value = yuan_to_fen(value)
            elif isinstance(value, str):
                value = value.strip() or None
            if value is not None:
                result[key] = value
    return result


def _renames(category: str) -> dict[str, str]:
    names = {"estimated_value_fen": "estimated_value", "file": "photo"}
    for cat, keys in detail_fields():
        if cat.value == category:
            names.update({f"details.{key}": detail_field_name(category, key) for key, _required in keys})
    return names


def item_input(form: ItemForm) -> ItemInput:
    category = ItemCategory(form.category.data)
    seized_at = aware_local(form.seized_at.data)
    new_list = None
    if not form.seizure_list_id.data:
        new_list = SeizureListInput(
            seized_at=seized_at or utcnow(),
            place=form.seized_place.data or None,
            holder_name=form.holder_name.data or None,
            holder_id_no=form.holder_id_no.data or None,
            holder_contact=form.holder_contact.data or None,
            holder_signature=HolderSignature(form.holder_signature.data),
            holder_signature_note=form.holder_signature_note.data or None,
            witness=form.witness.data or None,
            witness_note=form.witness_note.data or None,
            second_officer=form.second_officer.data or None,
        )
    return ItemInput(
        name=form.name.data,
        category=category,
        quantity=form.quantity.data,
        unit=form.unit.data,
        measure=Measure(form.measure.data),
        measure_doc_no=form.measure_doc_no.data or None,
        measure_date=form.measure_date.data,
        seized_at=seized_at,
        seizure_list_id=form.seizure_list_id.data or None,
        features=form.features.data or None,
        specification=form.specification.data or None,
        condition_at_seizure=form.condition_at_seizure.data or None,
        source=form.source.data or None,
        is_perishable=form.is_perishable.data,
        estimated_value_fen=yuan_to_fen(form.estimated_value.data),
        details=_details(form, category) or None,
        owner_name=form.owner_name.data or None,
        owner_id_no=form.owner_id_no.data or None,
        owner_contact=form.owner_contact.data or None,
        ownership_clear=form.ownership_clear.data,
        external_kind=ExternalKind(form.external_kind.data) if form.external_kind.data else None,
        external_place=form.external_place.data or None,
        external_contact=form.external_contact.data or None,
        seizure_list=new_list,
    )


@bp.route("/<int:case_id>/items/new", methods=["GET", "POST"])
def register_item(case_id: int):
    """登记 — one item with its category's own fields, and optionally its photo, in one step."""
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    require(actor, Action.REGISTER_ITEM, _handler(actor, case))
    form = ItemForm()
    form.seizure_list_id.choices = _list_choices(case, actor)
    if not form.is_submitted():
        wanted = request.args.get("seizure_list_id", "")
        form.seizure_list_id.data = int(wanted) if wanted.isdecimal() else 0

    def register() -> Item:
        item = items.register_item(db.session, actor, case.id, item_input(form))
        upload: Any = form.photo.data
        if upload is not None and upload.filename:
            items.add_attachment(
                db.session,
                actor,
                item.id,
                filename=upload.filename,
                content=upload.read(),
                declared_type=upload.mimetype,
                kind=AttachmentKind.PHOTO,
                upload_dir=upload_dir(),
            )
        return item

    def then(item: Item) -> str:
        """Where to go next; the IMEI warnings are said after the success message."""
        for _key, imei in detail_warnings(item.category, item.details):
            flash(
                _(
                    "IMEI %(imei)s fails its check digit: check the number typed against the phone; "
                    "a counterfeit phone may carry such a number.",
                    imei=imei,
                ),
                "warn",
            )
        if form.submit_another.data:
            return url_for("cases.register_item", case_id=case.id, seizure_list_id=item.seizure_list_id)
        return url_for("items.detail", item_id=item.id)

    outcome = submit(
        form,
        register,
        done=lambda item: _(
            "Registered %(name)s with label %(label)s.", name=item.name, label=item.label_code
        ),
        to=then,
        aliases=_renames(form.category.data or ""),
    )
    if outcome.response is not None:
        return outcome.response
    status = outcome.status
    if form.photo.errors or (form.is_submitted() and status != 200 and form.photo.data):
        form.photo.errors = [
            *form.photo.errors,
            _("Choose the photo again: browsers do not keep a chosen file."),
        ]
    return render_template(
        "cases/register_item.html",
        case=case,
        form=form,
        detail_fields=detail_fields(),
        detail_field_name=detail_field_name,
    ), status


@bp.route("/<int:case_id>/import", methods=["GET", "POST"])
def import_items(case_id: int):
    """Bulk registration from the seizure-list template: every row, or none with a report per row."""
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    require(actor, Action.REGISTER_ITEM, _handler(actor, case))
    form = ImportForm()
    form.seizure_list_id.choices = _list_choices(case, actor)
    status, report = 200, None
    if form.validate_on_submit():
        upload = form.file.data
        seizure_list = None
        if not form.seizure_list_id.data and (
            form.seized_at.data or form.holder_name.data or form.seized_place.data
        ):
            seizure_list = SeizureListInput(
                seized_at=aware_local(form.seized_at.data) or utcnow(),
                place=form.seized_place.data or None,
                holder_name=form.holder_name.data or None,
                holder_id_no=form.holder_id_no.data or None,
                witness=form.witness.data or None,
            )
        try:
            table = outside_transaction(
                db.session, lambda: imports.read_table(upload.filename or "", upload.stream)
            )
            result = imports.import_items(
                db.session,
                actor,
                case_id,
                table=table,
                seizure_list_id=form.seizure_list_id.data or None,
                seizure_list=seizure_list,
            )
            db.session.commit()
        except DomainError as error:
            # Not ``submit``: a rejected file's report (each row's errors) is drawn on the page.
            status = refuse(form, error)
            if isinstance(error, ImportRejected):
                report = translate_extra(error.extra)["rows"]
        else:
            flash(
                _(
                    "%(count)s items registered on seizure list %(list)s.",
                    count=len(result.items),
                    list=result.seizure_list.list_no,
                ),
                "success",
            )
            return redirect(url_for("cases.detail", case_id=case.id))
    elif form.is_submitted():
        status = 422
    columns = [(header, required) for header, (_field, required) in imports.COLUMNS.items()]
    return render_template(
        "cases/import.html",
        case=case,
        form=form,
        report=report,
        columns=columns,
        notes=imports.TEMPLATE_NOTES,
    ), status
