"""Spot checks (双随机): drawing, recording each result, the printed record."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from custody.access import current_actor
from custody.database import writes_on_get
from custody.domain.enums import ItemCategory
from custody.domain.i18n import N_
from custody.domain.policy import Action
from custody.domain.spot_checks import SpotCheckResult
from custody.extensions import db
from custody.printing import SpotCheckLine, SpotCheckRecord
from custody.printing import spot_check_record_pdf as spot_check_record
from custody.services import spot_checks

from ..forms import options
from ..forms.oversight import ResultForm, SpotCheckForm, optional_int
from ..helpers import enum_or_none, paginate, send_document, submit
from .common import agency_names, bp, can_do, location_choices, pairs_as_text


def _spot_check_form() -> SpotCheckForm:
    form = SpotCheckForm()
    form.custodian_agency_id.choices = options(
        [("", _("Any agency"))] + pairs_as_text(sorted(agency_names().items()))
    )
    form.category.choices = options([("", _("Any category"))] + [(c.value, _(c.label)) for c in ItemCategory])
    form.location_id.choices = options([("", _("Anywhere"))] + pairs_as_text(location_choices()))
    return form


@bp.route("/spot-checks", methods=["GET", "POST"], endpoint="spot_checks")
def spot_checks_page():
    actor = current_actor()
    form = _spot_check_form()

    def draw() -> Any:
        scope = spot_checks.Scope(
            custodian_agency_id=optional_int(form.custodian_agency_id.data),
            category=enum_or_none(ItemCategory, form.category.data),
            location_id=optional_int(form.location_id.data),
            case_id=spot_checks.case_id_for_number(db.session, form.case_no.data),
        )
        return spot_checks.draw_spot_check(
            db.session, actor, size=form.size.data, scope=scope, note=form.note.data
        )

    outcome = submit(
        form,
        draw,
        done=lambda check: _(
            "Spot check %(no)s drawn: %(count)s items.", no=check.check_no, count=len(check.items)
        ),
        to=lambda check: url_for("oversight.spot_check", check_id=check.id),
    )
    can_draw = can_do(Action.DRAW_SPOT_CHECK)
    return outcome.or_render(
        lambda: render_template(
            "oversight/spot_checks.html",
            page=paginate(spot_checks.spot_checks_query(actor)),
            form=form,
            can_draw=can_draw,
            case_numbers=spot_checks.case_numbers(db.session) if can_draw else [],
        )
    )


# The words for a draw's recorded scope.
SCOPE_LABELS = {
    "custodian_agency_id": N_("Custodian agency"),
    "category": N_("Category"),
    "location_id": N_("Storage location"),
    "case_id": N_("Case"),
}


def _scope_rows(scope: dict[str, Any]) -> list[tuple[str, str]]:
    """The recorded scope of a draw in words: names and numbers instead of internal ids."""
    return [
        (
            _(SCOPE_LABELS[key]) if key in SCOPE_LABELS else key,
            _(value.label) if isinstance(value, ItemCategory) else value,
        )
        for key, value in spot_checks.scope_in_words(db.session, scope).items()
    ]


@bp.route("/spot-checks/<int:check_id>", methods=["GET", "POST"])
def spot_check(check_id: int):
    actor = current_actor()
    check = spot_checks.get_spot_check(db.session, actor, check_id)
    form = ResultForm()
    form.result.choices = options(
        [(r.value, _(r.label)) for r in SpotCheckResult if r is not SpotCheckResult.PENDING]
    )

    outcome = submit(
        form,
        lambda: spot_checks.record_result(
            db.session,
            actor,
            check.id,
            form.item_id.data,
            result=SpotCheckResult(form.result.data),
            finding=form.finding.data,
        ),
        done=_("Result recorded."),
        to=url_for("oversight.spot_check", check_id=check.id),
    )
    if outcome.response is not None:
        return outcome.response
    verification = (
        spot_checks.verify_draw(db.session, actor, check.id) if request.args.get("verify") else None
    )
    tree_paths = {}
    for line in check.items:
        if line.item.storage_location is not None:
            tree_paths[line.item_id] = line.item.storage_location.path
    submitted_item = optional_int(request.form.get("item_id")) if form.is_submitted() else None
    scope_rows = _scope_rows(check.scope or {})
    lines = spot_checks.assigned_items(db.session, actor, check)
    if outcome.status >= 400 and (form.csrf_token.errors or form.item_id.errors):
        # Not tied to a line the user can see: say it at the top of the page.
        for message in [*form.csrf_token.errors, *form.item_id.errors]:
            flash(message, "error")
    return render_template(
        "oversight/spot_check.html",
        check=check,
        form=form,
        submitted_item=submitted_item,
        scope_rows=scope_rows,
        lines=lines,
        recordable={line.id for line in lines if spot_checks.may_record(actor, line)},
        paths=tree_paths,
        verification=verification,
        pending=SpotCheckResult.PENDING,
    ), outcome.status


@bp.get("/spot-checks/<int:check_id>/record.pdf")
@writes_on_get
def spot_check_record_pdf(check_id: int):
    """抽查记录: how the sample was drawn (seed, digest), each item the viewer may see with its place,
    inspector, result and finding, and a signature line for each inspector and the keeper."""
    actor = current_actor()
    check = spot_checks.get_spot_check(db.session, actor, check_id)
    lines = spot_checks.assigned_items(db.session, actor, check)
    with force_locale("zh_CN"):
        scope = (
            "；".join(f"{label}：{value}" for label, value in _scope_rows(check.scope or {}))
            or "全部在管财物"
        )
        status = _(check.status.label)
        results = {line.id: _(line.result.label) for line in lines}
    data = SpotCheckRecord(
        check_no=check.check_no,
        drawn_at=check.drawn_at,
        drawn_by=check.drawn_by.display_name,
        agency=check.drawn_by.agency.name,
        scope=scope,
        sample=f"抽取 {len(check.items)} 项 / 候选 {check.candidate_count} 项",
        seed=check.seed,
        candidates_sha256=check.candidates_sha256,
        status=status,
        lines=[
            SpotCheckLine(
                position=line.position,
                label_code=line.label_code,
                name=line.item.name,
                place=line.item.storage_location.path
                if line.item.storage_location is not None
                else (line.item.external_place or ""),
                custodian=line.custodian_agency.name,
                inspector=line.inspector.display_name,
                result=results[line.id],
                finding=line.finding or "",
                recorded_at=line.recorded_at,
            )
            for line in lines
        ],
        inspectors=list(dict.fromkeys(line.inspector.display_name for line in lines)),
        notes=check.note or "",
    )
    return send_document(
        spot_check_record(data, footer=f"打印：{actor.display_name}（{actor.agency_name}）"),
        f"抽查记录-{check.check_no}.pdf",
        document="spot_check_record",
        object_id=check.id,
        check_no=check.check_no,
    )
