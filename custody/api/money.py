"""Money as money (issue 13): case-money accounts, each case's sub-ledger, victims and restitution
plans, as JSON endpoints. Amounts are integers in 分; bad amounts are 422 problems naming the field."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from custody.access import current_actor, login_required_api, require_recent_confirmation
from custody.database import outside_transaction, writes_on_get
from custody.domain.actor import Actor
from custody.domain.items import MAX_FEN
from custody.domain.money import ClaimClass, LineKind, LineStatus, MovementKind, PlanStatus
from custody.domain.owner_lookup import format_code
from custody.domain.personal_data import sees_personal_data, shown
from custody.downloads import reconciliation_report_response
from custody.extensions import db
from custody.models.money import MoneyMovement, Victim
from custody.services import freezes, money, reconciliation, restitution
from custody.services.visibility import get_case

from .common import AgencyRefSchema, AwareDateTime, Blueprint, Date, FilePart, Int, Schema
from .lifecycle import CONFIRM_HEADER
from .lifecycle_schemas import FreezeSchema, ReasonSchema, RequiredReasonSchema
from .schemas import PageQuerySchema, _enum

blp = Blueprint(
    "api_money",
    __name__,
    url_prefix="/api/v1",
    description="Money: case-money accounts (涉案款专户), sub-ledgers, victims and restitution",
)


def Fen(**kwargs: Any) -> ma.fields.Raw:
    """An amount in 分. Checked by the domain (custody/domain/money.check_amount), so negative, zero,
    fractional-分 and overflowing amounts get their own clear 422 message."""
    metadata = {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_FEN,
        "description": "in 分 (fen), a whole number",
    }
    metadata.update(kwargs.pop("metadata", {}))
    return ma.fields.Raw(metadata=metadata, **kwargs)


OPTIONAL: dict[str, Any] = {"load_default": None, "allow_none": True}


# -- schemas -------------------------------------------------------------------------------------


class AccountSchema(Schema):
    id = Int()
    agency = ma.fields.Nested(AgencyRefSchema)
    bank = ma.fields.Str()
    account_no = ma.fields.Str()
    account_name = ma.fields.Str()
    is_active = ma.fields.Bool()


class AccountCreateSchema(Schema):
    agency_id = Int(required=True, strict=True)
    bank = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=100))
    account_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=40))
    account_name = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=100))


class MovementSchema(Schema):
    id = Int()
    ledger_id = Int()
    seq = Int()
    kind = _enum(MovementKind)
    amount_fen = Int()
    delta_fen = Int()
    balance_before_fen = Int()
    balance_after_fen = Int()
    custodian_agency_id = Int()
    from_agency_id = Int(allow_none=True)
    value_date = Date()
    bank = ma.fields.Str(allow_none=True)
    reference = ma.fields.Str(allow_none=True)
    note = ma.fields.Str(allow_none=True)
    item_id = Int(allow_none=True)
    disposition_id = Int(allow_none=True)
    transfer_id = Int(allow_none=True)
    plan_line_id = Int(allow_none=True)
    recorded_at = AwareDateTime()


class LedgerSchema(Schema):
    id = Int()
    account = ma.fields.Nested(AccountSchema)
    custodian_agency = ma.fields.Nested(AgencyRefSchema)
    balance_fen = Int()
    movements = Int()


class CaseMoneySchema(Schema):
    case_id = Int()
    balance_fen = Int(metadata={"description": "the sum of the ledgers' balances"})
    ledgers = ma.fields.List(ma.fields.Nested(LedgerSchema))


class MovementQuerySchema(PageQuerySchema):
    ledger_id = Int(load_default=None, strict=True)


class DepositSchema(Schema):
    amount_fen = Fen(required=True)
    slip_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    bank = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=100))
    payer_account = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=40))
    payer_name = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=100))
    account_id = Int(**OPTIONAL, strict=True, metadata={"description": "default: the agency's only account"})
    value_date = Date(**OPTIONAL, metadata={"description": "the slip's date; default today"})
    note = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=500))


class LedgerEntrySchema(Schema):
    amount_fen = Fen(required=True)
    reference = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    value_date = Date(**OPTIONAL)
    note = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=500))


class RemittanceSchema(Schema):
    amount_fen = Fen(required=True)
    payment_form_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    value_date = Date(**OPTIONAL)
    note = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=500))


class ClaimSchema(Schema):
    id = Int()
    victim_id = Int(allow_none=True)
    klass = _enum(ClaimClass)
    claimed_fen = Int()
    confirmed_fen = Int(allow_none=True)
    compensated_fen = Int()
    paid_fen = Int()
    basis = ma.fields.Str(allow_none=True)


class VictimSchema(Schema):
    id = Int()
    case_id = Int()
    name = ma.fields.Str()
    id_no = ma.fields.Str(
        allow_none=True, metadata={"description": "masked outside the agencies handling the money"}
    )
    contact = ma.fields.Str(allow_none=True)
    payee_bank = ma.fields.Str(allow_none=True)
    payee_account = ma.fields.Str(allow_none=True)
    lookup_no = ma.fields.Str(
        allow_none=True, metadata={"description": "the victim's lookup number (POST /victim-lookup)"}
    )
    lookup_code = ma.fields.Str(
        allow_none=True,
        metadata={
            "description": "the victim's lookup code: only for the agency handling the case and auditors"
        },
    )
    claims = ma.fields.List(ma.fields.Nested(ClaimSchema))


class VictimCreateSchema(Schema):
    name = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=100))
    id_no = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=32))
    contact = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=64))
    payee_bank = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=100))
    payee_account = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=40))


class ClaimCreateSchema(Schema):
    klass = _enum(ClaimClass, required=True)
    claimed_fen = Fen(required=True)
    victim_id = Int(**OPTIONAL, strict=True)
    confirmed_fen = Fen(**OPTIONAL)
    compensated_fen = Fen(**OPTIONAL, metadata={"minimum": 0})
    basis = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=200))


class ClaimConfirmSchema(Schema):
    confirmed_fen = Fen(required=True)
    compensated_fen = Fen(**OPTIONAL, metadata={"minimum": 0})
    basis = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=200))


class PlanLineSchema(Schema):
    line_no = Int()
    kind = _enum(LineKind)
    claim_id = Int(allow_none=True)
    order_id = Int(allow_none=True)  # the judgment's order of money the line pays
    klass = _enum(ClaimClass, allow_none=True)
    owed_fen = Int()
    allocated_fen = Int()
    status = _enum(LineStatus)
    receipt_no = ma.fields.Str(allow_none=True)
    paid_at = AwareDateTime(allow_none=True)


class PlanSchema(Schema):
    id = Int()
    plan_no = ma.fields.Str()
    case_id = Int()
    agency = ma.fields.Nested(AgencyRefSchema)
    funds_fen = Int()
    remainder_fen = Int()
    rule = ma.fields.Str()
    legal_basis = ma.fields.Str(allow_none=True)
    status = _enum(PlanStatus)
    proposed_by_id = Int()
    proposed_at = AwareDateTime()
    approved_by_id = Int(allow_none=True)
    approved_at = AwareDateTime(allow_none=True)
    rejected_reason = ma.fields.Str(allow_none=True)
    completed_at = AwareDateTime(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(PlanLineSchema))


class PlanCreateSchema(Schema):
    legal_basis = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=200))


class PaySchema(Schema):
    receipt_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    value_date = Date(**OPTIONAL)


# -- accounts -------------------------------------------------------------------------------------


@blp.route("/money/accounts")
class Accounts(MethodView):
    decorators = [login_required_api]

    @blp.response(200, AccountSchema(many=True))
    def get(self):
        """The case-money accounts (涉案款专户) of every agency."""
        current_actor()
        return money.accounts(db.session)

    @blp.arguments(AccountCreateSchema)
    @blp.response(201, AccountSchema)
    def post(self, data):
        """登记涉案款专户 — register an agency's case-money account (administrators)."""
        account = money.create_account(db.session, current_actor(), **data)
        db.session.commit()
        return account


class AgencyBalanceSchema(Schema):
    agency_id = Int()
    name = ma.fields.Str()
    balance_fen = Int()
    ledgers = Int()


class MonthFlowSchema(Schema):
    month = ma.fields.Str(metadata={"example": "2026-03"})
    in_fen = Int()
    out_fen = Int()


class MoneyStatisticsSchema(Schema):
    total_balance_fen = Int()
    by_custodian = ma.fields.List(ma.fields.Nested(AgencyBalanceSchema))
    flows_by_month = ma.fields.List(ma.fields.Nested(MonthFlowSchema))
    owed_to_victims_fen = Int()
    open_plans = Int()
    undeposited_count = Int()
    undeposited_fen = Int()
    awaiting_remittance_cases = Int()
    awaiting_remittance_fen = Int()


@blp.route("/money/statistics")
class MoneyStatistics(MethodView):
    decorators = [login_required_api]

    @blp.response(200, MoneyStatisticsSchema)
    def get(self):
        """Money over the cases you may see: balances by custodian, flows by month (last 12), what
        victims are still owed, seized cash not yet deposited, and the balance of decided cases that
        owe nobody (awaiting remittance to the treasury)."""
        return money.money_statistics(db.session, current_actor())


# -- a case's money ------------------------------------------------------------------------------


@blp.route("/cases/<int:case_id>/money")
class CaseMoney(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CaseMoneySchema)
    def get(self, case_id: int):
        """The case's ledgers (one per account) with their balances; the balance is the last movement's."""
        ledgers = money.case_ledgers(db.session, current_actor(), case_id)
        return {
            "case_id": case_id,
            "balance_fen": sum(lb.balance_fen for lb in ledgers),
            "ledgers": [
                {
                    "id": lb.ledger.id,
                    "account": lb.ledger.account,
                    "custodian_agency": lb.ledger.custodian_agency,
                    "balance_fen": lb.balance_fen,
                    "movements": lb.movements,
                }
                for lb in ledgers
            ],
        }


class FrozenAccountSchema(Schema):
    item_id = ma.fields.Function(lambda a: a.item.id)
    label_code = ma.fields.Function(lambda a: a.item.label_code)
    item_name = ma.fields.Function(lambda a: a.item.name)
    category = ma.fields.Function(lambda a: a.item.category.value)
    frozen_fen = Int(metadata={"description": "held by the freezes in force (active, not past their end)"})
    in_force = Int()
    queued = Int(metadata={"description": "queued freezes (轮候), in their priority order below"})
    queued_fen = Int()
    ended = Int(metadata={"description": "lapsed or released"})
    next_end = Date(allow_none=True, metadata={"description": "the earliest end of a freeze in force"})
    freezes = ma.fields.List(ma.fields.Nested(FreezeSchema))


class FrozenFundsSchema(Schema):
    case_id = Int()
    today = Date()
    total_frozen_fen = Int()
    total_queued_fen = Int()
    freezes = Int()
    accounts = ma.fields.List(ma.fields.Nested(FrozenAccountSchema))


@blp.route("/cases/<int:case_id>/frozen-funds")
class CaseFrozenFunds(MethodView):
    decorators = [login_required_api]

    @blp.response(200, FrozenFundsSchema)
    def get(self, case_id: int):
        """The case's frozen funds: per frozen account the amount held by the freezes in force, their end
        and renewals, queued freezes (轮候) in priority order, lapsed and released ones; the totals per
        account and for the case. Account numbers are masked unless your agency holds the item."""
        funds = freezes.frozen_funds(db.session, current_actor(), case_id)
        return {
            "case_id": case_id,
            "today": funds.today,
            "total_frozen_fen": funds.total_frozen_fen,
            "total_queued_fen": funds.total_queued_fen,
            "freezes": funds.freezes,
            "accounts": funds.accounts,
        }


@blp.route("/cases/<int:case_id>/money/movements")
class CaseMovements(MethodView):
    decorators = [login_required_api]

    @blp.arguments(MovementQuerySchema, location="query")
    @blp.response(200, MovementSchema(many=True))
    @blp.paginate()
    def get(self, query, case_id: int, pagination_parameters):
        """分户账 — the case's sub-ledger: every movement in the order recorded."""
        ledgers = money.case_ledgers(db.session, current_actor(), case_id)
        ledger_id = query.get("ledger_id")
        # The count is the ledgers' last sequence numbers: no scan of a large case's movements.
        pagination_parameters.item_count = sum(
            lb.movements for lb in ledgers if ledger_id is None or lb.ledger.id == ledger_id
        )
        stmt = money.movements_query(case_id, ledger_id=ledger_id)
        return list(
            db.session.scalars(
                stmt.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item)
            )
        )


def _post(path: str, schema: type[Schema], handler: Any, doc: str, name: str, *, status: int = 201) -> None:
    """One POST endpoint recording a movement: parse, call the service, commit, answer the movement(s)."""

    class Post(MethodView):
        decorators = [login_required_api]

        @blp.arguments(schema)
        @blp.response(status, MovementSchema)
        def post(self, data, record_id: int):
            result = handler(current_actor(), record_id, data)
            db.session.commit()
            return result

    Post.post.__doc__ = doc
    Post.__name__ = name
    blp.route(path, endpoint=name)(Post)


def _slip(data: dict[str, Any]) -> money.Slip:
    return money.Slip(
        slip_no=data.pop("slip_no"),
        bank=data.pop("bank", None),
        payer_account=data.pop("payer_account", None),
        payer_name=data.pop("payer_name", None),
    )


_post(
    "/items/<int:record_id>/deposit",
    DepositSchema,
    lambda actor, item_id, data: money.deposit_cash(db.session, actor, item_id, slip=_slip(data), **data),
    "存入专户 — deposit seized cash (or sale proceeds) with the bank slip; the item then shows as deposited.",
    "MoneyDeposit",
)
_post(
    "/items/<int:record_id>/deduction",
    DepositSchema,
    lambda actor, item_id, data: money.record_deduction(db.session, actor, item_id, slip=_slip(data), **data),
    "扣划 — after the judgment, money deducted from this frozen account into the agency's account.",
    "MoneyDeduction",
)
_post(
    "/money/ledgers/<int:record_id>/interest",
    LedgerEntrySchema,
    lambda actor, ledger_id, data: money.record_interest(db.session, actor, ledger_id, **data),
    "孳息 — interest the bank credited, with its reference.",
    "MoneyInterest",
)
_post(
    "/money/ledgers/<int:record_id>/refund",
    LedgerEntrySchema,
    lambda actor, ledger_id, data: money.record_refund(db.session, actor, ledger_id, **data),
    "退库 — money back from the treasury for a verified late claim (at most what was remitted).",
    "MoneyRefund",
)
_post(
    "/money/ledgers/<int:record_id>/remittance",
    RemittanceSchema,
    lambda actor, ledger_id, data: money.remit_to_treasury(db.session, actor, ledger_id, **data),
    "上缴国库 — remit a decided case's money with the 缴款书 number, when no victim is owed anything.",
    "MoneyRemittance",
)


# -- victims and claims ---------------------------------------------------------------------------


def _sees_personal_data(actor: Actor, victim: Victim) -> bool:
    """Victims' ID numbers and accounts: the agency handling the case and the ones holding its money
    (``domain.personal_data.sees_personal_data`` with ``shared``)."""
    case = get_case(db.session, actor, victim.case_id)
    if sees_personal_data(actor, case.handling_agency_id):
        return True
    holders = [lb.ledger.custodian_agency_id for lb in money.case_ledgers(db.session, actor, case.id)]
    return sees_personal_data(actor, case.handling_agency_id, *holders, shared=True)


def _victim_out(actor: Actor, victim: Victim) -> dict[str, Any]:
    full = _sees_personal_data(actor, victim)
    return {
        "id": victim.id,
        "case_id": victim.case_id,
        "name": victim.name,
        "id_no": shown("person_id_no", victim.id_no, full=full),
        "contact": shown("person_contact", victim.contact, full=full),
        "payee_bank": victim.payee_bank,
        "payee_account": shown("account_no", victim.payee_account, full=full),
        "lookup_no": victim.lookup_no,
        "lookup_code": format_code(victim.lookup_code)
        if victim.lookup_code and _gives_code(actor, victim)
        else None,
        "claims": victim.claims,
    }


def _gives_code(actor: Actor, victim: Victim) -> bool:
    """[DESIGN] The victim's lookup code is handed over by the agency handling the case (which recorded
    them): its users and auditors see it; the agencies holding the money do not need it."""
    return sees_personal_data(actor, get_case(db.session, actor, victim.case_id).handling_agency_id)


@blp.route("/cases/<int:case_id>/victims")
class Victims(MethodView):
    decorators = [login_required_api]

    @blp.response(200, VictimSchema(many=True))
    def get(self, case_id: int):
        """The case's victims with their claims."""
        actor = current_actor()
        return [_victim_out(actor, v) for v in restitution.victims_of(db.session, actor, case_id)]

    @blp.arguments(VictimCreateSchema)
    @blp.response(201, VictimSchema)
    def post(self, data, case_id: int):
        """Record a victim (the agency handling the case)."""
        actor = current_actor()
        victim = restitution.add_victim(db.session, actor, case_id, **data)
        db.session.commit()
        return _victim_out(actor, victim)


@blp.route("/cases/<int:case_id>/claims")
class Claims(MethodView):
    decorators = [login_required_api]

    @blp.response(200, ClaimSchema(many=True))
    def get(self, case_id: int):
        """The claims on the case's money (victims' and the state's)."""
        return restitution.claims_of(db.session, current_actor(), case_id)

    @blp.arguments(ClaimCreateSchema)
    @blp.response(201, ClaimSchema)
    def post(self, data, case_id: int):
        """A claim in one class of 2014规定 art. 13; a confirmed amount needs the judgment on record."""
        claim = restitution.add_claim(db.session, current_actor(), case_id, **data)
        db.session.commit()
        return claim


@blp.route("/claims/<int:claim_id>/confirm")
class ClaimConfirm(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ClaimConfirmSchema)
    @blp.response(200, ClaimSchema)
    def post(self, data, claim_id: int):
        """The amount the effective judgment confirms, less what was received elsewhere."""
        claim = restitution.confirm_claim(db.session, current_actor(), claim_id, **data)
        db.session.commit()
        return claim


# -- restitution plans -----------------------------------------------------------------------------


@blp.route("/cases/<int:case_id>/restitution-plans")
class Plans(MethodView):
    decorators = [login_required_api]

    @blp.response(200, PlanSchema(many=True))
    def get(self, case_id: int):
        """The case's restitution plans, newest first."""
        return restitution.plans_of(db.session, current_actor(), case_id)

    @blp.arguments(PlanCreateSchema)
    @blp.response(201, PlanSchema)
    def post(self, data, case_id: int):
        """返还方案 — generate a plan from the money your agency holds: full where funds suffice, else
        proportional, in the legal order; the remainder to the treasury."""
        plan = restitution.propose_plan(db.session, current_actor(), case_id, **data)
        db.session.commit()
        return plan


@blp.route("/restitution-plans/<int:plan_id>")
class PlanById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, PlanSchema)
    def get(self, plan_id: int):
        return restitution.get_plan(db.session, current_actor(), plan_id)


@blp.route("/restitution-plans/<int:plan_id>/approve")
class PlanApprove(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ReasonSchema)
    @blp.response(200, PlanSchema)
    @blp.doc(parameters=[CONFIRM_HEADER])
    @blp.alt_response(401, description="Re-authentication required (X-Custody-Confirm)")
    def post(self, data, plan_id: int):
        """Approve (an approver of the agency, not the proposer); needs re-authentication."""
        require_recent_confirmation()
        plan = restitution.decide_plan(db.session, current_actor(), plan_id, approve=True, **data)
        db.session.commit()
        return plan


@blp.route("/restitution-plans/<int:plan_id>/reject")
class PlanReject(MethodView):
    decorators = [login_required_api]

    @blp.arguments(RequiredReasonSchema)
    @blp.response(200, PlanSchema)
    def post(self, data, plan_id: int):
        """Reject with a reason."""
        plan = restitution.decide_plan(db.session, current_actor(), plan_id, approve=False, **data)
        db.session.commit()
        return plan


@blp.route("/restitution-plans/<int:plan_id>/cancel")
class PlanCancel(MethodView):
    decorators = [login_required_api]

    @blp.arguments(RequiredReasonSchema)
    @blp.response(200, PlanSchema)
    def post(self, data, plan_id: int):
        """Withdraw a plan nothing was paid on, with a reason."""
        plan = restitution.cancel_plan(db.session, current_actor(), plan_id, **data)
        db.session.commit()
        return plan


@blp.route("/restitution-plans/<int:plan_id>/lines/<int:line_no>/pay")
class PlanLinePay(MethodView):
    decorators = [login_required_api]

    @blp.arguments(PaySchema)
    @blp.response(201, MovementSchema(many=True))
    def post(self, data, plan_id: int, line_no: int):
        """付款 — pay one line of the approved plan with its receipt (for the treasury, the 缴款书 number)."""
        movements: list[MoneyMovement] = restitution.pay_line(
            db.session, current_actor(), plan_id, line_no, **data
        )
        db.session.commit()
        return movements


# -- bank-statement reconciliation (对账) -----------------------------------------------------------


class StatementUploadSchema(Schema):
    """multipart/form-data: the ``file`` part, the bank's statement."""

    file = FilePart(
        required=True,
        metadata={
            "description": ".csv (UTF-8) or .xlsx with the columns date, amount, counterparty, reference"
        },
    )


class StatementSchema(Schema):
    id = Int()
    account_id = Int()
    filename = ma.fields.Str()
    sha256 = ma.fields.Str()
    period_from = Date()
    period_to = Date()
    line_count = Int()
    credits_fen = Int()
    debits_fen = Int()
    imported_at = AwareDateTime()


class StatementLineSchema(Schema):
    id = Int()
    row_no = Int(metadata={"description": "the row number in the file, as the spreadsheet shows it"})
    value_date = Date()
    amount_fen = Int(metadata={"description": "signed: credits positive, debits negative"})
    counterparty = ma.fields.Str(allow_none=True)
    reference = ma.fields.Str(allow_none=True)
    movement_id = Int(allow_none=True)
    matched_manually = ma.fields.Function(lambda line: line.matched_by_id is not None)
    matched_at = AwareDateTime(allow_none=True)
    resolution = ma.fields.Str(allow_none=True)
    resolved_at = AwareDateTime(allow_none=True)


class UnmatchedMovementSchema(Schema):
    movement = ma.fields.Nested(MovementSchema)
    resolution = ma.fields.Function(lambda u: u.resolution.reason if u.resolution else None)
    resolved_at = ma.fields.Function(lambda u: u.resolution.resolved_at.isoformat() if u.resolution else None)


class TotalsSchema(Schema):
    lines = Int()
    credits_fen = Int()
    debits_fen = Int()
    matched_lines = Int()
    matched_fen = Int()
    unmatched_lines = Int()
    unmatched_lines_fen = Int()
    unmatched_movements = Int()
    unmatched_movements_fen = Int()


class StatementDetailSchema(Schema):
    statement = ma.fields.Nested(StatementSchema)
    totals = ma.fields.Nested(TotalsSchema)
    matched = ma.fields.List(ma.fields.Nested(StatementLineSchema))
    unmatched = ma.fields.List(ma.fields.Nested(StatementLineSchema))
    movements = ma.fields.List(
        ma.fields.Nested(UnmatchedMovementSchema),
        metadata={"description": "the account's movements in the statement's period that no line matches"},
    )


class ManualMatchSchema(Schema):
    movement_id = Int(required=True, strict=True)
    reason = ma.fields.Str(**OPTIONAL, validate=ma.validate.Length(max=500))


class ReportQuerySchema(Schema):
    format = ma.fields.Str(load_default="pdf", validate=ma.validate.OneOf(["pdf", "xlsx"]))


@blp.route("/money/accounts/<int:account_id>/statements")
class AccountStatements(MethodView):
    decorators = [login_required_api]

    @blp.response(200, StatementSchema(many=True))
    def get(self, account_id: int):
        """The account's imported bank statements, the latest period first (keepers of its agency)."""
        return reconciliation.statements_of(db.session, current_actor(), account_id)

    @blp.arguments(StatementUploadSchema, location="files")
    @blp.response(201, StatementDetailSchema)
    def post(self, data, account_id: int):
        """对账 — import the bank's statement of the account and match its lines to the movements.

        Every row or none: on errors the 422 answer has ``rows`` (the spreadsheet row number and each
        column's errors) and nothing is stored. A file already imported for the account is a 409."""
        upload = data["file"]
        actor = current_actor()
        reconciliation.reconcilable_account(db.session, actor, account_id)  # 404/403 before reading
        statement_file = outside_transaction(
            db.session, lambda: reconciliation.read_statement(upload.filename or "", upload.stream)
        )
        statement = reconciliation.import_statement(
            db.session, actor, account_id, statement_file=statement_file
        )
        db.session.commit()
        return reconciliation.statement_view(db.session, actor, statement.id)


@blp.route("/money/statements/<int:statement_id>")
class StatementById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, StatementDetailSchema)
    def get(self, statement_id: int):
        """A statement: its matched and unmatched lines, and the account's unmatched movements in its period."""
        return reconciliation.statement_view(db.session, current_actor(), statement_id)


@blp.route("/money/statements/<int:statement_id>/lines/<int:line_id>/resolve")
class StatementLineResolve(MethodView):
    decorators = [login_required_api]

    @blp.arguments(RequiredReasonSchema)
    @blp.response(200, StatementLineSchema)
    def post(self, data, statement_id: int, line_id: int):
        """Resolve an unmatched statement line with a real reason (a bank fee, a credit that is not ours)."""
        line = reconciliation.resolve_line(db.session, current_actor(), statement_id, line_id, **data)
        db.session.commit()
        return line


@blp.route("/money/statements/<int:statement_id>/lines/<int:line_id>/match")
class StatementLineMatch(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ManualMatchSchema)
    @blp.response(200, StatementLineSchema)
    def post(self, data, statement_id: int, line_id: int):
        """Match an unmatched line to a movement of the account by hand: the amounts must be equal."""
        line = reconciliation.match_line(db.session, current_actor(), statement_id, line_id, **data)
        db.session.commit()
        return line


@blp.route("/money/statements/<int:statement_id>/movements/<int:movement_id>/resolve")
class StatementMovementResolve(MethodView):
    decorators = [login_required_api]

    @blp.arguments(RequiredReasonSchema)
    @blp.response(200, UnmatchedMovementSchema)
    def post(self, data, statement_id: int, movement_id: int):
        """Resolve a movement the statement does not show, for this statement, with a real reason."""
        actor = current_actor()
        reconciliation.resolve_movement(db.session, actor, statement_id, movement_id, **data)
        db.session.commit()
        view = reconciliation.statement_view(db.session, actor, statement_id)
        return next(u for u in view.movements if u.movement.id == movement_id)


@blp.route("/money/statements/<int:statement_id>/report")
@writes_on_get
class StatementReport(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, description="The reconciliation report as PDF or XLSX")
    def get(self, query, statement_id: int):
        """涉案款专户对账报告: the account, the period, the totals, each unmatched item with its resolution."""
        return reconciliation_report_response(statement_id, query["format"])
