"""冻结 pages: the list (by what the law says today), a new freeze of an account or securities, and the
freeze's page (renew before the last day, release, a queued freeze taking effect)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from custody.access import current_actor
from custody.domain.clock import local_date
from custody.domain.enums import AgencyKind, Measure
from custody.domain.lifecycle import (
    ASSET_TYPES_FOR_CATEGORY,
    MAJOR_CASE_MONTHS,
    MAJOR_CASE_TYPES,
    ApprovalLevel,
    FreezeAssetType,
    FreezeStatus,
    freeze_status_on,
    max_period_months,
    suggested_period_months,
)
from custody.domain.personal_data import sees_personal_data, shown
from custody.domain.policy import Action
from custody.extensions import db
from custody.models.lifecycle import FreezeOrder
from custody.orm import utcnow
from custody.services import freezes as freeze_service
from custody.services.visibility import get_item

from ..helpers import PageForms, paginate
from ..lifecycle_forms import FreezeFilterForm
from .common import bp, enum_arg, refusal_on_items, status_choices, submit_unless
from .forms import ActivateForm, FreezeForm, FreezeReleaseForm, RenewForm

EXPIRY_WARNING_DAYS = 30


def effective_status(freeze: FreezeOrder, today: date) -> FreezeStatus:
    return freeze_status_on(freeze.status, freeze.expires_on, today)


@bp.get("/freezes")
def freezes():
    actor = current_actor()
    status = enum_arg(FreezeStatus)
    expiring = request.args.get("expiring") in ("y", "1", "true", "on")
    today = local_date(utcnow())
    form = FreezeFilterForm(request.args)
    form.status.choices = status_choices(FreezeStatus)
    form.status.data = status.value if status else ""
    stmt = freeze_service.freezes_query(
        actor,
        expiring_before=today + timedelta(days=EXPIRY_WARNING_DAYS) if expiring else None,
        effective=FreezeStatus.ACTIVE if expiring else status,
        today=today,
    )
    page = paginate(stmt)  # each freeze with its item (freezes_query)
    return render_template(
        "lifecycle/freezes.html",
        form=form,
        page=page,
        today=today,
        statuses={f.id: effective_status(f, today) for f in page.rows},
        accounts={
            f.id: shown(
                "account_no", f.account_no, full=sees_personal_data(actor, f.item.custodian_agency_id)
            )
            for f in page.rows
        },
        warn_days=EXPIRY_WARNING_DAYS,
    )


def _period_table(
    types: Iterable[FreezeAssetType], kind: AgencyKind = AgencyKind.POLICE
) -> list[tuple[FreezeAssetType, int, int | None]]:
    """(asset type, the suggested period, the major-case period) for the freezing agency's kind."""
    return [
        (
            t,
            suggested_period_months(t, False, kind),
            MAJOR_CASE_MONTHS if t in MAJOR_CASE_TYPES and kind is not AgencyKind.COURT else None,
        )
        for t in types
    ]


@bp.route("/freezes/new/<int:item_id>", methods=["GET", "POST"])
def freeze_new(item_id: int):
    actor = current_actor()
    item = get_item(db.session, actor, item_id)
    refusal = refusal_on_items(actor, Action.MANAGE_FREEZE, [item])
    types = sorted(ASSET_TYPES_FOR_CATEGORY.get(item.category, frozenset()), key=list(FreezeAssetType).index)
    form = FreezeForm()
    form.set_asset_types(types or list(FreezeAssetType))
    if not form.is_submitted():
        details = item.details or {}
        form.institution.data = details.get("bank") or details.get("institution") or item.external_place
        form.account_no.data = details.get("account_no")
        form.account_name.data = details.get("account_name") or item.owner_name
        if isinstance(details.get("amount_fen"), int):
            form.amount.data = details["amount_fen"]
        form.start_on.data = local_date(utcnow())
        # The freeze notice (协助冻结通知书) is its own document, not the seizure decision.
        form.notice_doc_no.data = freeze_service.latest_notice_doc_no(db.session, item.id)
        if len(types) == 1:
            form.asset_type.data = types[0].value
    outcome = submit_unless(
        refusal if request.method == "POST" else None,
        form,
        lambda: freeze_service.create_freeze(
            db.session,
            actor,
            item_id=item.id,
            asset_type=FreezeAssetType(form.asset_type.data),
            institution=form.institution.data,
            account_no=form.account_no.data,
            account_name=(form.account_name.data or "").strip() or None,
            amount_fen=int(form.amount.data or 0),  # required by the form; the service refuses 0
            start_on=form.start_on.data,
            notice_doc_no=form.notice_doc_no.data,
            period_months=form.period_months.data,
            major_case=bool(form.major_case.data),
            receipt_end_on=form.receipt_end_on.data,
            approved_by=form.approved_by.data,
            approval_level=ApprovalLevel(form.approval_level.data) if form.approval_level.data else None,
            covers_fruits=bool(form.covers_fruits.data),
            scope=form.scope.data,
            listed_company=bool(form.listed_company.data),
            major_case_approval=form.major_case_approval.data,
            queued=bool(form.queued.data),
        ),
        done=lambda f: (
            _("Queued freeze recorded: it takes effect when the earlier freeze ends.")
            if f.status is FreezeStatus.QUEUED
            else _(
                "Freeze recorded: it holds until %(date)s unless renewed before then.",
                date=f.expires_on.isoformat(),
            )
        ),
        to=lambda f: url_for("lifecycle.freeze_detail", freeze_id=f.id),
        aliases={"amount_fen": "amount"},
    )
    return outcome.or_render(
        lambda: render_template(
            "lifecycle/freeze_new.html",
            form=form,
            item=item,
            case=item.case,
            may=refusal is None,
            periods=_period_table(types or list(FreezeAssetType), actor.agency_kind),
            agency_kind=actor.agency_kind,
            category_fits=bool(types),
            frozen=item.measure is Measure.FROZEN,
        )
    )


# The forms of a freeze's page: each takes the service's action of the same name.
STEPS = ("renew", "release", "activate")


@bp.route("/freezes/<int:freeze_id>", methods=["GET", "POST"])
def freeze_detail(freeze_id: int):
    actor = current_actor()
    today = local_date(utcnow())
    overview = freeze_service.freeze_overview(db.session, actor, freeze_id, today)
    freeze: FreezeOrder = overview.record
    detail = url_for("lifecycle.freeze_detail", freeze_id=freeze.id)
    page = PageForms(*STEPS)
    if request.method == "POST" and page.posted is None:
        return redirect(detail)
    forms = {
        "renew": page.bind(RenewForm, "renew"),
        "release": page.bind(FreezeReleaseForm, "release"),
        "activate": page.bind(ActivateForm, "activate"),
    }
    status = 200
    if page.posted is not None:
        form = forms[page.posted]
        problem = overview.problems[page.posted]
        if page.posted == "renew":
            outcome = submit_unless(
                problem,
                form,
                lambda: freeze_service.renew_freeze(
                    db.session,
                    actor,
                    freeze.id,
                    doc_no=form.doc_no.data,
                    period_months=form.period_months.data,
                    receipt_end_on=form.receipt_end_on.data,
                ),
                done=lambda f: _("Freeze renewed until %(date)s.", date=f.expires_on.isoformat()),
                to=detail,
            )
        elif page.posted == "release":
            outcome = submit_unless(
                problem,
                form,
                lambda: freeze_service.release_freeze(
                    db.session, actor, freeze.id, doc_no=form.doc_no.data, reason=form.reason.data
                ),
                done=_("Freeze released."),
                to=detail,
            )
        else:
            outcome = submit_unless(
                problem,
                form,
                lambda: freeze_service.activate_queued(
                    db.session,
                    actor,
                    freeze.id,
                    start_on=form.start_on.data,
                    receipt_end_on=form.receipt_end_on.data,
                    doc_no=form.doc_no.data,
                ),
                done=lambda f: _(
                    "The queued freeze is in force until %(date)s.", date=f.expires_on.isoformat()
                ),
                to=detail,
            )
        if outcome.response is not None:
            return outcome.response
        status = outcome.status
        overview = freeze_service.freeze_overview(db.session, actor, freeze_id, today)
        freeze = overview.record
    return render_template(
        "lifecycle/freeze_detail.html",
        freeze=freeze,
        personal=sees_personal_data(actor, freeze.item.custodian_agency_id),
        forms=forms,
        can={step: step in overview.actions for step in STEPS},
        effective=effective_status(freeze, today),
        today=today,
        days_left=(freeze.expires_on - today).days,
        warn_days=EXPIRY_WARNING_DAYS,
        people=overview.people,
        case=freeze.item.case,
        max_months=max_period_months(freeze.asset_type, freeze.major_case, actor.agency_kind),
    ), status
