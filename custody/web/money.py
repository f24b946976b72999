"""Money pages (issue 13): a case's money and sub-ledger, the deposit form, victims and claims, the
restitution plan, and the printed sub-ledger and restitution list. Each form calls one service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from custody.access import current_actor, recently_confirmed
from custody.domain.actor import Actor
from custody.domain.enums import ItemCategory
from custody.domain.errors import NotFound
from custody.domain.i18n import N_
from custody.domain.lifecycle import FreezeStatus, freeze_status_on
from custody.domain.money import STATE_CLASSES, ClaimClass, LineKind, LineStatus, PlanStatus
from custody.domain.owner_lookup import format_code
from custody.domain.personal_data import sees_personal_data, shown
from custody.domain.policy import Action, Relation, allowed
from custody.extensions import db
from custody.models.case import Case
from custody.models.money import RestitutionPlan
from custody.services import accounts as accounts_service
from custody.services import freezes, money, restitution
from custody.services.visibility import get_case, get_item

from .auth import confirm_now
from .forms import options
from .helpers import PAGE_SIZE, Pagination, enum_label, submit
from .money_forms import (
    ClaimForm,
    ConfirmClaimForm,
    DepositForm,
    LedgerEntryForm,
    PayForm,
    PlanDecisionForm,
    PlanForm,
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
    return {a.id: a.name for a in accounts_service.list_agencies(db.session)}


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


def _case_page(actor: Actor, case: Case, **forms: Any) -> str:
    """The case's money page, with the forms given (a refused one keeps what the user typed)."""
    return render_template("money/case.html", **_case_context(actor, case, **forms))


AMOUNT = {"amount_fen": "amount", "payment_form_no": "reference"}
CLAIM_AMOUNTS = {"confirmed_fen": "confirmed", "compensated_fen": "compensated"}


@bp.post("/money/ledgers/<int:ledger_id>/<any(interest, remittance, refund):kind>")
def ledger_entry(ledger_id: int, kind: str):
    actor = current_actor()
    ledger, case = money.get_ledger(db.session, actor, ledger_id)
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
    return submit(
        form, call, done=messages[kind], to=url_for("money.case_money", case_id=case.id), aliases=AMOUNT
    ).or_render(lambda: _case_page(actor, case, **{f"{kind}-{ledger_id}": form}))


@bp.post("/cases/<int:case_id>/money/victims")
def add_victim(case_id: int):
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    form = VictimForm(prefix="victim")
    return submit(
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
        done=_("Victim added."),
        to=url_for("money.case_money", case_id=case.id) + "#victims",
    ).or_render(lambda: _case_page(actor, case, victim=form))


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

    return submit(
        form,
        call,
        done=_("Claim added."),
        to=url_for("money.case_money", case_id=case.id) + "#claims",
        aliases={"claimed_fen": "claimed", **CLAIM_AMOUNTS},
    ).or_render(lambda: _case_page(actor, case, claim=form))


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
    return submit(
        form,
        lambda: restitution.confirm_claim(
            db.session,
            actor,
            claim.id,
            confirmed_fen=form.confirmed.data,
            compensated_fen=form.compensated.data,
            basis=form.basis.data,
        ),
        done=_("Claim confirmed."),
        to=url_for("money.case_money", case_id=case.id) + "#claims",
        aliases=CLAIM_AMOUNTS,
    ).or_render(lambda: render_template("money/confirm_claim.html", case=case, claim=claim, form=form))


def _claim_case(claim_id: int) -> int:
    return restitution.claim_case_id(db.session, claim_id)


@bp.post("/cases/<int:case_id>/money/plans")
def propose_plan(case_id: int):
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    form = PlanForm(prefix="plan")
    return submit(
        form,
        lambda: restitution.propose_plan(db.session, actor, case.id, legal_basis=form.legal_basis.data),
        done=_("Restitution plan generated: an approver of your agency approves it next."),
        to=lambda plan: url_for("money.plan_detail", plan_id=plan.id),
    ).or_render(lambda: _case_page(actor, case, plan=form))


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

    def call() -> Any:
        account = form.account_id.data
        return money.deposit_cash(
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
            account_id=int(account) if account and account.isdecimal() and len(account) < 12 else None,
            value_date=form.value_date.data,
            note=form.note.data,
        )

    return submit(
        form,
        call,
        done=_("Deposit recorded: the cash is in the case-money account."),
        to=url_for("money.case_money", case_id=case.id),
        aliases={"amount_fen": "amount"},
    ).or_render(
        lambda: render_template(
            "money/deposit.html",
            form=form,
            item=item,
            case=case,
            paid_in=paid_in,
            may=may,
            is_cash=item.category is ItemCategory.CASH,
            has_account=bool(accounts),
        )
    )


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
    if action is not None:
        if (
            action == "approve"
            and decision.validate_on_submit()
            and not recently_confirmed()
            and not (decision.confirm.data and confirm_now(decision.confirm.data))
        ):
            db.session.commit()  # a failed confirmation is recorded
            decision.confirm.errors = [
                _("Confirm who you are: the code of your authenticator app (or your password).")
            ]
            return render_template("money/plan.html", **_plan_context(actor, plan, decision=decision)), 401
        reason = decision.reason.data
        calls = {
            "approve": (
                lambda: restitution.decide_plan(db.session, actor, plan.id, approve=True, reason=reason),
                _("Plan approved: the keeper pays its lines next."),
            ),
            "reject": (
                lambda: restitution.decide_plan(db.session, actor, plan.id, approve=False, reason=reason),
                _("Plan rejected."),
            ),
            "cancel": (
                lambda: restitution.cancel_plan(db.session, actor, plan.id, reason=reason or ""),
                _("The plan was withdrawn."),
            ),
        }
        call, said = calls[action]
        outcome = submit(decision, call, done=said, to=here)
    elif pay_line is not None:
        line_no = pay_line
        form = PayForm(prefix=f"pay-{line_no}")
        outcome = submit(
            form,
            lambda: restitution.pay_line(
                db.session,
                actor,
                plan.id,
                line_no,
                receipt_no=form.receipt_no.data,
                value_date=form.value_date.data,
            ),
            done=_("Payment recorded."),
            to=here,
        )
    else:
        return render_template("money/plan.html", **_plan_context(actor, plan, decision=decision)), 422
    if outcome.response is not None:
        return outcome.response
    if outcome.status != 422:  # refused and rolled back: the plan as it is now
        plan = restitution.get_plan(db.session, actor, plan_id)
    extra: dict[str, Any] = (
        {"decision": decision}
        if pay_line is None or action
        else {"pay_forms": _pay_forms(plan, pay_line, form)}
    )
    return render_template("money/plan.html", **_plan_context(actor, plan, **extra)), outcome.status


def _pay_forms(plan: RestitutionPlan, line_no: int, form: PayForm) -> dict[int, PayForm]:
    forms = {
        line.line_no: PayForm(prefix=f"pay-{line.line_no}", formdata=None)
        for line in plan.lines
        if line.status is LineStatus.PENDING
    }
    forms[line_no] = form
    return forms


# The money blueprint's other routes, in modules of their own (registered with it, here).
from . import money_printing, money_reconciliation  # noqa: E402, F401
