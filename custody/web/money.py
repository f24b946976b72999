"""Money pages (issue 13): a case's money and sub-ledger, the deposit form, victims and claims, the
restitution plan, and the printed sub-ledger and restitution list. Each form calls one service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from custody.access import current_actor, recently_confirmed
from custody.database import outside_transaction, writes_on_get
from custody.domain.actor import Actor
from custody.domain.enums import ItemCategory
from custody.domain.errors import DomainError, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.lifecycle import FreezeStatus, freeze_status_on
from custody.domain.money import STATE_CLASSES, ClaimClass, LineKind, LineStatus, MovementKind, PlanStatus
from custody.domain.owner_lookup import format_code
from custody.domain.personal_data import sees_personal_data, shown
from custody.domain.policy import Action, Relation, allowed, require
from custody.downloads import reconciliation_report_response
from custody.errors import translate_extra
from custody.extensions import db
from custody.models.agency import Agency
from custody.models.case import Case
from custody.models.money import MoneyLedger, RestitutionPlan, Victim
from custody.orm import utcnow
from custody.printing import LedgerLine, RestitutionEntry, RestitutionList, SubLedger
from custody.printing import restitution_list_pdf as build_restitution_list
from custody.printing import sub_ledger_pdf as build_sub_ledger
from custody.services import freezes, money, reconciliation, restitution
from custody.services.imports import ImportRejected
from custody.services.reconciliation import yuan
from custody.services.visibility import get_case, get_item

from .auth import confirm_now
from .forms import options
from .helpers import (
    PAGE_SIZE,
    Pagination,
    confirmation_redirect,
    enum_label,
    send_document,
    show_domain_error,
)
from .money_forms import (
    ClaimForm,
    ConfirmClaimForm,
    DepositForm,
    LedgerEntryForm,
    ManualMatchForm,
    PayForm,
    PlanDecisionForm,
    PlanForm,
    ResolveForm,
    StatementUploadForm,
    VictimForm,
)

bp = Blueprint("money", __name__)


@bp.before_request
@login_required
def _require_login() -> None:
    """Every money page needs a login; the services decide what each agency may see and do."""


def _custodian(actor: Actor, agency_id: int) -> set[Relation]:
    return {Relation.CUSTODIAN} if agency_id == actor.agency_id else set()


def _agency_names() -> dict[int, str]:
    return {a.id: a.name for a in db.session.query(Agency).all()}


def _sees_personal_data(actor: Actor, case: Case, ledgers: list[money.LedgerBalance]) -> bool:
    """Victims' data: held jointly by the agency handling the case and those holding its money."""
    return sees_personal_data(
        actor, case.handling_agency_id, *(lb.ledger.custodian_agency_id for lb in ledgers), shared=True
    )


# -- the case's money page ------------------------------------------------------------------------


def _case_context(actor: Actor, case: Case, **forms: Any) -> dict[str, Any]:
    ledgers = money.case_ledgers(db.session, actor, case.id)
    # Newest first, a page at a time; the total is the ledgers' last sequence numbers (no count).
    total = sum(lb.movements for lb in ledgers)
    page_arg = request.args.get("page", "1")
    page_no = int(page_arg) if page_arg.isdecimal() and 0 < len(page_arg) < 7 else 1
    page_no = min(max(page_no, 1), max(1, -(-total // PAGE_SIZE)))
    movements = list(
        db.session.scalars(
            money.movements_query(case.id, newest_first=True)
            .limit(PAGE_SIZE)
            .offset((page_no - 1) * PAGE_SIZE)
        )
    )
    victims = restitution.victims_of(db.session, actor, case.id)
    claims = restitution.claims_of(db.session, actor, case.id)
    plans = restitution.plans_of(db.session, actor, case.id)
    handler = {Relation.CASE_HANDLER} if case.handling_agency_id == actor.agency_id else set()
    holds = any(lb.ledger.custodian_agency_id == actor.agency_id for lb in ledgers)
    personal = _sees_personal_data(actor, case, ledgers)
    forms.setdefault("victim", VictimForm(prefix="victim"))
    claim_form = forms.setdefault("claim", ClaimForm(prefix="claim"))
    claim_form.klass.choices = options([(k.value, enum_label(k)) for k in ClaimClass])
    claim_form.victim_id.choices = options(
        [("", _("— the state (fine, confiscation) —"))] + [(str(v.id), v.name) for v in victims]
    )
    forms.setdefault("plan", PlanForm(prefix="plan"))
    entry_forms = {
        (lb.ledger.id, kind): forms.get(f"{kind}-{lb.ledger.id}")
        or LedgerEntryForm(prefix=f"{kind}-{lb.ledger.id}")
        for lb in ledgers
        for kind in ("interest", "remittance", "refund")
    }
    frozen = freezes.frozen_funds(db.session, actor, case.id)
    return {
        "case": case,
        "frozen": frozen,
        "freeze_status": lambda f: freeze_status_on(f.status, f.expires_on, frozen.today),
        "FS": FreezeStatus,
        "account_shown": lambda item, value: shown(
            "account_no", value, full=sees_personal_data(actor, item.custodian_agency_id)
        ),
        "ledgers": ledgers,
        "total_fen": sum(lb.balance_fen for lb in ledgers),
        "movements": movements,
        "page": Pagination(movements, total, page_no, PAGE_SIZE),
        "victims": victims,
        "victim_names": {v.id: v.name for v in victims},
        "claims": claims,
        "plans": plans,
        "agencies": _agency_names(),
        "personal": personal,
        "mask": lambda value: shown("person_id_no", value, full=personal),
        # [DESIGN] the victim's lookup code is handed over by the agency handling the case
        "gives_code": sees_personal_data(actor, case.handling_agency_id),
        "format_code": format_code,
        "forms": forms,
        "entry_forms": entry_forms,
        "can": {
            "victims": allowed(actor, Action.MANAGE_VICTIMS, handler),
            "plan": allowed(actor, Action.PROPOSE_RESTITUTION, {Relation.CUSTODIAN} if holds else set()),
            "record": {
                lb.ledger.id: allowed(
                    actor, Action.RECORD_MONEY, _custodian(actor, lb.ledger.custodian_agency_id)
                )
                for lb in ledgers
            },
            "reconcile": {
                lb.ledger.id: lb.ledger.account.agency_id == actor.agency_id
                and allowed(actor, Action.RECONCILE_MONEY, {Relation.CUSTODIAN})
                for lb in ledgers
            },
            "remit": {
                lb.ledger.id: allowed(
                    actor, Action.REMIT_MONEY, _custodian(actor, lb.ledger.custodian_agency_id)
                )
                for lb in ledgers
            },
        },
        "owed_to_victims": money.owed_to_victims(db.session, case.id),
        "state_classes": STATE_CLASSES,
    }


@bp.get("/cases/<int:case_id>/money")
def case_money(case_id: int):
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    return render_template("money/case.html", **_case_context(actor, case))


def _rerender(actor: Actor, case: Case, status: int, **forms: Any):
    return render_template("money/case.html", **_case_context(actor, case, **forms)), status


def _attempt(
    form: Any,
    call: Any,
    message: str,
    target: str,
    actor: Actor,
    case: Case,
    key: str,
    rename: dict[str, str] | None = None,
):
    """Validate, call the service, commit and redirect; else re-render the money page with the errors."""
    if not form.validate_on_submit():
        return _rerender(actor, case, 422, **{key: form})
    try:
        call()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error, rename)
        return _rerender(actor, case, error.status, **{key: form})
    flash(message, "success")
    return redirect(target)


AMOUNT = {"amount_fen": "amount", "reference": "reference", "payment_form_no": "reference"}


@bp.post("/money/ledgers/<int:ledger_id>/<any(interest, remittance, refund):kind>")
def ledger_entry(ledger_id: int, kind: str):
    actor = current_actor()
    ledger = db.session.get(MoneyLedger, ledger_id)
    if ledger is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.money_ledger")
    case = get_case(db.session, actor, ledger.case_id)
    form = LedgerEntryForm(prefix=f"{kind}-{ledger_id}")

    def call() -> None:
        common = {"amount_fen": form.amount.data, "value_date": form.value_date.data, "note": form.note.data}
        if kind == "interest":
            money.record_interest(db.session, actor, ledger_id, reference=form.reference.data, **common)
        elif kind == "refund":
            money.record_refund(db.session, actor, ledger_id, reference=form.reference.data, **common)
        else:
            money.remit_to_treasury(
                db.session, actor, ledger_id, payment_form_no=form.reference.data, **common
            )

    messages = {
        "interest": _("Interest recorded."),
        "refund": _("Refund from the treasury recorded."),
        "remittance": _("Remittance to the treasury recorded."),
    }
    return _attempt(
        form,
        call,
        messages[kind],
        url_for("money.case_money", case_id=case.id),
        actor,
        case,
        f"{kind}-{ledger_id}",
        AMOUNT,
    )


@bp.post("/cases/<int:case_id>/money/victims")
def add_victim(case_id: int):
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    form = VictimForm(prefix="victim")
    return _attempt(
        form,
        lambda: restitution.add_victim(
            db.session,
            actor,
            case.id,
            name=form.name.data,
            id_no=form.id_no.data,
            contact=form.contact.data,
            payee_bank=form.payee_bank.data,
            payee_account=form.payee_account.data,
        ),
        _("Victim added."),
        url_for("money.case_money", case_id=case.id) + "#victims",
        actor,
        case,
        "victim",
    )


@bp.post("/cases/<int:case_id>/money/claims")
def add_claim(case_id: int):
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    form = ClaimForm(prefix="claim")
    form.klass.choices = options([(k.value, enum_label(k)) for k in ClaimClass])
    form.victim_id.choices = []

    def call() -> None:
        victim = form.victim_id.data
        restitution.add_claim(
            db.session,
            actor,
            case.id,
            klass=ClaimClass(form.klass.data),
            claimed_fen=form.claimed.data,
            victim_id=int(victim) if victim and victim.isdecimal() and len(victim) < 12 else None,
            confirmed_fen=form.confirmed.data,
            compensated_fen=form.compensated.data,
            basis=form.basis.data,
        )

    return _attempt(
        form,
        call,
        _("Claim added."),
        url_for("money.case_money", case_id=case.id) + "#claims",
        actor,
        case,
        "claim",
        {"claimed_fen": "claimed", "confirmed_fen": "confirmed", "compensated_fen": "compensated"},
    )


@bp.route("/money/claims/<int:claim_id>/confirm", methods=["GET", "POST"])
def confirm_claim(claim_id: int):
    actor = current_actor()
    claim = next(
        (c for c in restitution.claims_of(db.session, actor, _claim_case(claim_id)) if c.id == claim_id), None
    )
    if claim is None:
        raise NotFound(
            N_("Record not found, or not visible to your agency."), code="not_found.restitution_claim"
        )
    case = get_case(db.session, actor, claim.case_id)
    form = ConfirmClaimForm()
    if form.validate_on_submit():
        try:
            restitution.confirm_claim(
                db.session,
                actor,
                claim.id,
                confirmed_fen=form.confirmed.data,
                compensated_fen=form.compensated.data,
                basis=form.basis.data,
            )
            db.session.commit()
            flash(_("Claim confirmed."), "success")
            return redirect(url_for("money.case_money", case_id=case.id) + "#claims")
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error, {"confirmed_fen": "confirmed", "compensated_fen": "compensated"})
            status = error.status
    else:
        status = 422 if form.is_submitted() else 200
    return render_template("money/confirm_claim.html", case=case, claim=claim, form=form), status


def _claim_case(claim_id: int) -> int:
    from custody.models.money import RestitutionClaim

    row = db.session.get(RestitutionClaim, claim_id)
    if row is None:
        raise NotFound(
            N_("Record not found, or not visible to your agency."), code="not_found.restitution_claim"
        )
    return row.case_id


@bp.post("/cases/<int:case_id>/money/plans")
def propose_plan(case_id: int):
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    form = PlanForm(prefix="plan")
    created: list[RestitutionPlan] = []

    def call() -> None:
        created.append(
            restitution.propose_plan(db.session, actor, case.id, legal_basis=form.legal_basis.data)
        )

    if not form.validate_on_submit():
        return _rerender(actor, case, 422, plan=form)
    try:
        call()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        return _rerender(actor, case, error.status, plan=form)
    flash(_("Restitution plan generated: an approver of your agency approves it next."), "success")
    return redirect(url_for("money.plan_detail", plan_id=created[0].id))


# -- deposit --------------------------------------------------------------------------------------


@bp.route("/items/<int:item_id>/deposit", methods=["GET", "POST"])
def deposit(item_id: int):
    actor = current_actor()
    item = get_item(db.session, actor, item_id)
    case = get_case(db.session, actor, item.case_id)
    form = DepositForm()
    accounts = money.accounts(db.session, actor.agency_id, active_only=True)
    form.account_id.choices = options([(str(a.id), f"{a.account_name}（{a.label}）") for a in accounts])
    if (
        request.method == "GET"
        and form.amount.data is None
        and isinstance(item.details.get("amount_fen"), int)
    ):
        form.amount.data = item.details["amount_fen"]
    paid_in = money.paid_in_movement(db.session, item.id)
    may = allowed(actor, Action.RECORD_MONEY, _custodian(actor, item.custodian_agency_id))
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                account = form.account_id.data
                money.deposit_cash(
                    db.session,
                    actor,
                    item.id,
                    amount_fen=form.amount.data,
                    slip=money.Slip(
                        slip_no=form.slip_no.data,
                        bank=form.bank.data,
                        payer_account=form.payer_account.data,
                        payer_name=form.payer_name.data,
                    ),
                    account_id=int(account)
                    if account and account.isdecimal() and len(account) < 12
                    else None,
                    value_date=form.value_date.data,
                    note=form.note.data,
                )
                db.session.commit()
                flash(_("Deposit recorded: the cash is in the case-money account."), "success")
                return redirect(url_for("money.case_money", case_id=case.id))
            except DomainError as error:
                db.session.rollback()
                show_domain_error(form, error, {"amount_fen": "amount"})
                status = error.status
        else:
            status = 422
    return render_template(
        "money/deposit.html",
        form=form,
        item=item,
        case=case,
        paid_in=paid_in,
        may=may,
        is_cash=item.category is ItemCategory.CASH,
        has_account=bool(accounts),
    ), status


# -- the restitution plan -----------------------------------------------------------------------------


def _plan_context(actor: Actor, plan: RestitutionPlan, **extra: Any) -> dict[str, Any]:
    case = get_case(db.session, actor, plan.case_id)
    victims = {v.id: v for v in restitution.victims_of(db.session, actor, case.id)}
    payees = {}
    for line in plan.lines:
        victim_id = restitution.victim_id_of(line)
        if line.kind is LineKind.REMAINDER or (line.klass in STATE_CLASSES):
            payees[line.line_no] = "国库"
        elif victim_id in victims:
            payees[line.line_no] = victims[victim_id].name
        else:
            payees[line.line_no] = "—"
    custodian = _custodian(actor, plan.agency_id)
    pay_forms = extra.pop("pay_forms", None) or {
        line.line_no: PayForm(prefix=f"pay-{line.line_no}")
        for line in plan.lines
        if line.status is LineStatus.PENDING
    }
    return {
        "plan": plan,
        "case": case,
        "payees": payees,
        "decision": extra.pop("decision", None) or PlanDecisionForm(prefix="decision"),
        "pay_forms": pay_forms,
        "needs_confirm": not recently_confirmed(),
        "can": {
            "decide": plan.status is PlanStatus.PROPOSED
            and allowed(actor, Action.APPROVE_RESTITUTION, custodian),
            "cancel": plan.status in (PlanStatus.PROPOSED, PlanStatus.APPROVED)
            and allowed(actor, Action.PROPOSE_RESTITUTION, custodian),
            "pay": plan.status is PlanStatus.APPROVED and allowed(actor, Action.PAY_RESTITUTION, custodian),
        },
        "total_allocated": sum(line.allocated_fen for line in plan.lines),
        **extra,
    }


@bp.route("/money/plans/<int:plan_id>", methods=["GET", "POST"])
def plan_detail(plan_id: int):
    actor = current_actor()
    plan = restitution.get_plan(db.session, actor, plan_id)
    here = url_for("money.plan_detail", plan_id=plan.id)
    if request.method == "GET":
        return render_template("money/plan.html", **_plan_context(actor, plan))
    decision = PlanDecisionForm(prefix="decision")
    action = next((name for name in ("approve", "reject", "cancel") if getattr(decision, name).data), None)
    pay_line = next(
        (int(k.split("-")[1]) for k in request.form if k.startswith("pay-") and k.endswith("-submit")), None
    )
    status = 422
    try:
        if action and decision.validate_on_submit():
            if action == "approve":
                if not recently_confirmed() and not (
                    decision.confirm.data and confirm_now(decision.confirm.data)
                ):
                    db.session.commit()  # a failed confirmation is recorded
                    decision.confirm.errors = [
                        _("Confirm who you are: the code of your authenticator app (or your password).")
                    ]
                    return render_template(
                        "money/plan.html", **_plan_context(actor, plan, decision=decision)
                    ), 401
                restitution.decide_plan(db.session, actor, plan.id, approve=True, reason=decision.reason.data)
                message = _("Plan approved: the keeper pays its lines next.")
            elif action == "reject":
                restitution.decide_plan(
                    db.session, actor, plan.id, approve=False, reason=decision.reason.data
                )
                message = _("Plan rejected.")
            else:
                restitution.cancel_plan(db.session, actor, plan.id, reason=decision.reason.data or "")
                message = _("The plan was withdrawn.")
            db.session.commit()
            flash(message, "success")
            return redirect(here)
        if pay_line is not None:
            form = PayForm(prefix=f"pay-{pay_line}")
            if form.validate_on_submit():
                restitution.pay_line(
                    db.session,
                    actor,
                    plan.id,
                    pay_line,
                    receipt_no=form.receipt_no.data,
                    value_date=form.value_date.data,
                )
                db.session.commit()
                flash(_("Payment recorded."), "success")
                return redirect(here)
            return render_template(
                "money/plan.html", **_plan_context(actor, plan, pay_forms=_pay_forms(plan, pay_line, form))
            ), 422
    except DomainError as error:
        db.session.rollback()
        status = error.status
        plan = restitution.get_plan(db.session, actor, plan_id)
        if pay_line is not None:
            form = PayForm(prefix=f"pay-{pay_line}")
            show_domain_error(form, error)
            return render_template(
                "money/plan.html", **_plan_context(actor, plan, pay_forms=_pay_forms(plan, pay_line, form))
            ), status
        show_domain_error(decision, error)
    return render_template("money/plan.html", **_plan_context(actor, plan, decision=decision)), status


def _pay_forms(plan: RestitutionPlan, line_no: int, form: PayForm) -> dict[int, PayForm]:
    forms = {
        line.line_no: PayForm(prefix=f"pay-{line.line_no}", formdata=None)
        for line in plan.lines
        if line.status is LineStatus.PENDING
    }
    forms[line_no] = form
    return forms


# -- printing ------------------------------------------------------------------------------------------

KIND_WORDS = {
    MovementKind.DEPOSIT: "现金存入",
    MovementKind.INTEREST: "孳息",
    MovementKind.PROCEEDS: "变卖价款",
    MovementKind.DEDUCTION: "冻结款扣划",
    MovementKind.REFUND: "退库",
    MovementKind.TRANSFER: "随案移交",
    MovementKind.RESTITUTION: "发还被害人",
    MovementKind.REMITTANCE: "上缴国库",
}
CLASS_WORDS = {
    ClaimClass.MEDICAL: "人身损害医疗费用",
    ClaimClass.VICTIM_LOSS: "退赔被害人损失",
    ClaimClass.CIVIL_DEBT: "其他民事债务",
    ClaimClass.FINE: "罚金",
    ClaimClass.CONFISCATION: "没收财产",
}


@bp.get("/money/ledgers/<int:ledger_id>/sub-ledger.pdf")
@writes_on_get
def sub_ledger_pdf(ledger_id: int):
    actor = current_actor()
    ledger = db.session.get(MoneyLedger, ledger_id)
    if ledger is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.money_ledger")
    case = get_case(db.session, actor, ledger.case_id)
    names = _agency_names()
    rows = money.case_movements(db.session, actor, case.id, ledger_id=ledger.id)
    data = SubLedger(
        case_no=case.latest_number,
        case_title=case.title,
        account=ledger.account.label,
        account_name=ledger.account.account_name,
        custodian=ledger.custodian_agency.name,
        agency=actor.agency_name,
        printed_at=utcnow(),
        lines=[
            LedgerLine(
                seq=m.seq,
                value_date=m.value_date,
                kind=KIND_WORDS[m.kind],
                amount_fen=m.delta_fen,
                balance_fen=m.balance_after_fen,
                reference=m.reference or "",
                custodian=names.get(m.custodian_agency_id, ""),
                notes=(
                    f"自{names.get(m.from_agency_id or 0, '')}" if m.kind is MovementKind.TRANSFER else ""
                ),
            )
            for m in rows
        ],
    )
    return send_document(
        build_sub_ledger(data, footer=f"{actor.agency_name} · {actor.display_name}"),
        f"涉案款分户账-{case.latest_number}-{ledger.id}.pdf",
        document="sub_ledger",
        object_id=ledger.id,
        case_no=case.latest_number,
    )


@bp.get("/money/plans/<int:plan_id>/restitution-list.pdf")
@writes_on_get
def restitution_list_pdf(plan_id: int):
    actor = current_actor()
    plan = restitution.get_plan(db.session, actor, plan_id)
    if (confirm := confirmation_redirect()) is not None:
        return confirm  # the list names the victims and their ID numbers
    case = get_case(db.session, actor, plan.case_id)
    victims: dict[int, Victim] = {v.id: v for v in restitution.victims_of(db.session, actor, case.id)}
    ledgers = money.case_ledgers(db.session, actor, case.id)
    personal = _sees_personal_data(actor, case, ledgers)
    approver = None
    if plan.approved_by_id:
        from custody.models.user import User

        approver = db.session.get(User, plan.approved_by_id)
    entries = []
    for line in plan.lines:
        victim_id = restitution.victim_id_of(line)
        victim = victims.get(victim_id) if victim_id else None
        entries.append(
            RestitutionEntry(
                line_no=line.line_no,
                payee=victim.name if victim else "国库",
                id_no=(shown("person_id_no", victim.id_no, full=personal) or "") if victim else "",
                klass=CLASS_WORDS[line.klass] if line.klass else "余款上缴国库",
                owed_fen=line.owed_fen,
                allocated_fen=line.allocated_fen,
                status={
                    LineStatus.PENDING: "待支付",
                    LineStatus.PAID: "已支付",
                    LineStatus.NOTHING_DUE: "无可分配",
                }[line.status],
                receipt_no=line.receipt_no or "",
            )
        )
    data = RestitutionList(
        plan_no=plan.plan_no,
        case_no=case.latest_number,
        case_title=case.title,
        funds_fen=plan.funds_fen,
        rule=plan.rule,
        legal_basis=plan.legal_basis or "",
        approved_by=approver.display_name if approver else "",
        approved_at=plan.approved_at,
        agency=plan.agency.name,
        lines=entries,
    )
    return send_document(
        build_restitution_list(data, footer=f"{actor.agency_name} · {actor.display_name}"),
        f"发还清单-{plan.plan_no}.pdf",
        document="restitution_list",
        object_id=plan.id,
        plan_no=plan.plan_no,
    )


# -- bank-statement reconciliation (对账) -----------------------------------------------------------


@bp.route("/money/reconciliation", methods=["GET"])
def reconciliation_index():
    """The agency's case-money accounts, each with its imported statements and an upload form."""
    actor = current_actor()
    require(actor, Action.RECONCILE_MONEY, {Relation.CUSTODIAN})
    own = money.accounts(db.session, actor.agency_id)
    return render_template(
        "money/reconciliation.html",
        accounts=[(a, reconciliation.statements_of(db.session, actor, a.id)) for a in own],
        forms={a.id: StatementUploadForm(prefix=f"statement-{a.id}") for a in own},
        report=None,
        failed_account=None,
    )


@bp.post("/money/accounts/<int:account_id>/statements")
def import_statement(account_id: int):
    """Import one bank statement: every row, or none with each row's errors listed."""
    actor = current_actor()
    reconciliation.reconcilable_account(db.session, actor, account_id)
    form = StatementUploadForm(prefix=f"statement-{account_id}")
    status, report = 422, None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            statement_file = outside_transaction(
                db.session, lambda: reconciliation.read_statement(upload.filename or "", upload.stream)
            )
            statement = reconciliation.import_statement(
                db.session, actor, account_id, statement_file=statement_file
            )
            db.session.commit()
        except ImportRejected as error:
            db.session.rollback()
            status = error.status
            report = translate_extra(error.extra)["rows"]
            flash(_(error.message, **error.params), "error")
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error, {"file": "file"})
            status = error.status
        else:
            matched = sum(1 for line in statement.lines if line.movement_id is not None)
            flash(
                _(
                    "Statement imported: %(lines)s lines, %(matched)s matched.",
                    lines=statement.line_count,
                    matched=matched,
                ),
                "success",
            )
            return redirect(url_for("money.statement", statement_id=statement.id))
    own = money.accounts(db.session, actor.agency_id)
    forms = {a.id: StatementUploadForm(prefix=f"statement-{a.id}") for a in own}
    forms[account_id] = form
    return render_template(
        "money/reconciliation.html",
        accounts=[(a, reconciliation.statements_of(db.session, actor, a.id)) for a in own],
        forms=forms,
        report=report,
        failed_account=account_id,
    ), status


def _statement_page(actor: Actor, statement_id: int, status: int = 200, **forms: Any):
    view = reconciliation.statement_view(db.session, actor, statement_id)
    # By hand a line is matched only at its own amount: each line is offered the open movements of
    # exactly that amount (a short list, whatever the statement's size).
    same_amount: dict[int, list[tuple[str, str]]] = {}
    for u in view.movements:
        if u.resolution is None:
            same_amount.setdefault(u.movement.delta_fen, []).append(
                (
                    str(u.movement.id),
                    f"{u.movement.value_date.isoformat()} · {view.case_numbers.get(u.movement.case_id, '')}"
                    f" · {u.movement.reference or '—'} · {yuan(u.movement.delta_fen)}",
                )
            )
    line_forms: dict[int, tuple[ResolveForm, ManualMatchForm]] = {}
    for line in view.unmatched:
        resolve = forms.get(f"resolve-line-{line.id}") or ResolveForm(prefix=f"resolve-line-{line.id}")
        match = forms.get(f"match-line-{line.id}") or ManualMatchForm(prefix=f"match-line-{line.id}")
        match.movement_id.choices = options(
            [("", _("— choose a movement —")), *same_amount.get(line.amount_fen, [])]
        )
        line_forms[line.id] = (resolve, match)
    movement_forms = {
        u.movement.id: forms.get(f"resolve-movement-{u.movement.id}")
        or ResolveForm(prefix=f"resolve-movement-{u.movement.id}")
        for u in view.movements
    }
    return render_template(
        "money/statement.html",
        view=view,
        statement=view.statement,
        t=view.totals,
        line_forms=line_forms,
        movement_forms=movement_forms,
        kind_label=lambda kind: enum_label(MovementKind(kind)),
    ), status


@bp.get("/money/statements/<int:statement_id>")
def statement(statement_id: int):
    return _statement_page(current_actor(), statement_id)


@bp.post(
    "/money/statements/<int:statement_id>/<any(lines, movements):side>/<int:record_id>/<any(resolve, match):action>"
)
def statement_action(statement_id: int, side: str, record_id: int, action: str):
    """Resolve an unmatched line or movement with a reason, or match a line to a movement by hand."""
    actor = current_actor()
    reconciliation.get_statement(db.session, actor, statement_id)
    if side == "movements" and action == "match":
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.page")
    key = f"{action}-{side[:-1]}-{record_id}"
    form: Any = ManualMatchForm(prefix=key) if action == "match" else ResolveForm(prefix=key)
    if action == "match":
        form.movement_id.choices = []
    if not form.validate_on_submit():
        return _statement_page(actor, statement_id, 422, **{key: form})
    try:
        if action == "match":
            chosen = form.movement_id.data or ""
            if not chosen.isdecimal() or len(chosen) > 18:
                raise InvalidInput(
                    N_("Choose a movement."), fields={"movement_id": [N_("Choose a movement.")]}
                )
            reconciliation.match_line(
                db.session, actor, statement_id, record_id, movement_id=int(chosen), reason=form.reason.data
            )
            message = _("Line matched.")
        elif side == "lines":
            reconciliation.resolve_line(db.session, actor, statement_id, record_id, reason=form.reason.data)
            message = _("Line resolved.")
        else:
            reconciliation.resolve_movement(
                db.session, actor, statement_id, record_id, reason=form.reason.data
            )
            message = _("Movement resolved.")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        return _statement_page(actor, statement_id, error.status, **{key: form})
    flash(message, "success")
    return redirect(url_for("money.statement", statement_id=statement_id))


@bp.get("/money/statements/<int:statement_id>/report.<any(pdf, xlsx):fmt>")
@writes_on_get
def statement_report(statement_id: int, fmt: str):
    return reconciliation_report_response(statement_id, fmt, inline=fmt == "pdf")
