"""Oversight as JSON: alerts, case milestones, stocktakes, spot checks, ledgers, statistics, owner lookup."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import Blueprint

from custody.access import current_actor, login_required_api, request_origin
from custody.database import writes_on_get
from custody.domain.deadlines import AlertRule, AlertState
from custody.domain.enums import CaseStage, ItemCategory
from custody.domain.judgment_orders import OrderKind, OrderLine, OrderStatus
from custody.domain.milestones import NoticeBasis
from custody.domain.money import ClaimClass, PlanStatus
from custody.domain.owner_lookup import LookupOutcome, OwnerStatus
from custody.domain.spot_checks import SpotCheckResult, SpotCheckStatus
from custody.domain.stocktake import DiscrepancyStatus, StocktakeResult, StocktakeStatus
from custody.domain.workdays import DayKind
from custody.downloads import ledger_export_response, stocktake_report_response
from custody.errors import problem
from custody.extensions import db
from custody.models.oversight import JudgmentOrder
from custody.services import (
    alerts,
    backdating,
    calendar,
    judgment_orders,
    ledgers,
    milestones,
    owner_lookup,
    spot_checks,
    statistics,
    stocktake,
)
from custody.services.items import ItemQuery

from .common import AgencyRefSchema, AwareDateTime, Date, DecimalString, Int, Schema, paginate
from .lifecycle_schemas import DispositionSchema
from .money import Fen
from .schemas import ItemQuerySchema, PageQuerySchema

blp = Blueprint(
    "api_oversight",
    __name__,
    url_prefix="/api/v1",
    description="Deadlines and alerts, stocktakes, spot checks, ledgers, statistics, owner lookup",
)

MAX_ALERTS = 1000


def _enum(cls: type, **kwargs: Any) -> ma.fields.Enum:
    return ma.fields.Enum(cls, by_value=True, **kwargs)


class OversightUserSchema(Schema):
    id = Int()
    username = ma.fields.Str()
    display_name = ma.fields.Str()


# -- alerts -------------------------------------------------------------------------------------


class AlertQuerySchema(PageQuerySchema):
    rule = _enum(AlertRule)
    overdue = ma.fields.Bool()


class AlertSchema(Schema):
    key = ma.fields.Str()
    rule = ma.fields.Str(attribute="code")
    label = ma.fields.Function(lambda a: gettext(a.label))
    source = ma.fields.Str()
    state = _enum(AlertState)
    overdue = ma.fields.Bool()
    due_at = AwareDateTime()
    case_id = Int()
    case_ref = ma.fields.Str()
    agency_id = Int(metadata={"description": "the agency that must act"})
    roles = ma.fields.Function(
        lambda a: sorted(r.value for r in a.roles),
        metadata={"description": "the roles in that agency that must act"},
    )
    item_ids = ma.fields.List(Int())
    labels = ma.fields.List(ma.fields.Str())
    record_type = ma.fields.Str(allow_none=True)
    record_id = Int(allow_none=True)
    record_ref = ma.fields.Str(allow_none=True)
    shifted_from = ma.fields.Function(
        lambda a: a.detail["shifted_from"].isoformat() if a.detail.get("shifted_from") else None,
        metadata={"description": "the period's last day before holidays moved it (刑事诉讼法 art. 105 ¶4)"},
    )
    shift_reasons = ma.fields.Function(
        lambda a: [gettext(reason) for reason in a.detail.get("shift_reasons", [])],
        metadata={"description": "why each skipped day was a day off"},
    )


class AlertCountSchema(Schema):
    overdue = Int()
    approaching = Int()


AlertSummarySchema = Schema.from_dict(
    {rule.value: ma.fields.Nested(AlertCountSchema) for rule in AlertRule}, name="AlertSummarySchema"
)


@blp.route("/alerts")
class Alerts(MethodView):
    decorators = [login_required_api]

    @blp.arguments(AlertQuerySchema, location="query")
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Deadlines your agency (in your role) must act on, most urgent first; auditors see all.

        Filter by ``rule`` and ``overdue``; paginated (X-Pagination header)."""
        found = alerts.filter_alerts(
            alerts.alerts_for(db.session, current_actor()),
            rule=query.get("rule"),
            overdue=query.get("overdue"),
        )
        pagination_parameters.item_count = len(found)
        start = pagination_parameters.first_item
        return found[start : start + pagination_parameters.page_size]


@blp.route("/alerts/summary")
class AlertSummary(MethodView):
    decorators = [login_required_api]

    @blp.response(200, AlertSummarySchema)
    def get(self):
        """How many alerts you see per rule, overdue and approaching."""
        return alerts.summary(alerts.alerts_for(db.session, current_actor()))


# -- case milestones -----------------------------------------------------------------------------


class JudgmentCreateSchema(Schema):
    judgment_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    effective_on = Date(required=True, metadata={"description": "判决生效日期"})


class JudgmentSchema(Schema):
    id = Int()
    case_id = Int()
    judgment_no = ma.fields.Str()
    effective_on = Date()
    recorded_at = AwareDateTime()
    referred_on = Date(allow_none=True)
    execution_case_no = ma.fields.Str(allow_none=True)
    execution_opened_on = Date(allow_none=True)
    extended_until = Date(allow_none=True)
    extension_approval = ma.fields.Str(allow_none=True)


class ClosureCreateSchema(Schema):
    legal_basis = ma.fields.Str(
        required=True,
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "the decision's number (撤销案件决定书, 不起诉决定书, 结案通知)"},
    )
    reason = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=500))


class ClosureSchema(Schema):
    id = Int()
    case_id = Int()
    previous_stage = _enum(CaseStage)
    closed_at = AwareDateTime()
    legal_basis = ma.fields.Str()
    reason = ma.fields.Str()


class UnrelatedCreateSchema(Schema):
    found_on = Date(required=True)
    reason = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=500))
    decision_doc_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))


class UnrelatedSchema(Schema):
    id = Int()
    item_id = Int()
    found_on = Date()
    decision_doc_no = ma.fields.Str(allow_none=True)
    reason = ma.fields.Str()
    recorded_at = AwareDateTime()


class NoticeCreateSchema(Schema):
    item_ids = ma.fields.List(Int(strict=True), required=True, validate=ma.validate.Length(min=1, max=1000))
    published_on = Date(required=True)
    medium = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=200))
    content = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=5000))
    basis = ma.fields.Enum(
        NoticeBasis,
        by_value=True,
        load_default=NoticeBasis.UNRELATED,
        metadata={
            "description": "unrelated (6 months, 程序规定 233) or court_ordered_return (1 year, 2021解释 445)"
        },
    )


class NoticeQuerySchema(PageQuerySchema):
    case_id = Int()


class NoticeSchema(Schema):
    id = Int()
    notice_no = ma.fields.Str()
    case_id = Int()
    published_on = Date()
    basis = ma.fields.Enum(NoticeBasis, by_value=True)
    medium = ma.fields.Str()
    content = ma.fields.Str(allow_none=True)
    item_ids = ma.fields.Function(lambda n: [line.item_id for line in n.lines])


@blp.route("/cases/<int:case_id>/judgment")
class CaseJudgment(MethodView):
    decorators = [login_required_api]

    @blp.arguments(JudgmentCreateSchema)
    @blp.response(201, JudgmentSchema)
    def post(self, data, case_id: int):
        """判决生效 — the court records its effective judgment; the case enters execution (6-month clock)."""
        judgment = milestones.record_judgment(db.session, current_actor(), case_id, **data)
        db.session.commit()
        return judgment


class ExecutionSchema(Schema):
    referred_on = Date(load_default=None, allow_none=True, metadata={"description": "移送执行"})
    execution_case_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    opened_on = Date(load_default=None, allow_none=True, metadata={"description": "执行立案"})
    extended_until = Date(
        load_default=None, allow_none=True, metadata={"description": "last day of the approved extension"}
    )
    extension_approval = ma.fields.Str(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=100)
    )


class ServiceCreateSchema(Schema):
    served_on = Date(load_default=None, allow_none=True)
    holder_agency_id = Int(load_default=None, allow_none=True, strict=True)
    institution = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))


class ReceiptSchema(Schema):
    receipt_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    received_on = Date(load_default=None, allow_none=True)


class ServiceSchema(Schema):
    id = Int()
    judgment_id = Int()
    holder_agency_id = Int(allow_none=True)
    institution = ma.fields.Str(allow_none=True)
    served_on = Date()
    receipt_no = ma.fields.Str(allow_none=True)
    receipt_on = Date(allow_none=True)


class CalendarOverrideSchema(Schema):
    day = Date(required=True)
    kind = ma.fields.Enum(DayKind, by_value=True, required=True)
    note = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=200))


@blp.route("/cases/<int:case_id>/execution")
class CaseExecution(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ExecutionSchema)
    @blp.response(200, JudgmentSchema)
    def post(self, data, case_id: int):
        """移送执行 / 执行立案 / 延长 — the executing court records the execution of the property parts
        (execution case within 7 days of referral; 6 months from it, extendable with approval)."""
        judgment = milestones.record_execution(db.session, current_actor(), case_id, **data)
        db.session.commit()
        return judgment


@blp.route("/cases/<int:case_id>/services")
class CaseServices(MethodView):
    decorators = [login_required_api]

    @blp.response(200, ServiceSchema(many=True))
    def get(self, case_id: int):
        """The judgment served on the holders of the case's items, and their execution receipts."""
        return milestones.case_services(db.session, current_actor(), case_id)

    @blp.arguments(ServiceCreateSchema)
    @blp.response(201, ServiceSchema)
    def post(self, data, case_id: int):
        """送达 — serve the judgment on an agency holding items (receipt in 1 month) or a bank (15 days)."""
        service = milestones.record_service(db.session, current_actor(), case_id, **data)
        db.session.commit()
        return service


@blp.route("/cases/<int:case_id>/services/<int:service_id>/receipt")
class CaseServiceReceipt(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ReceiptSchema)
    @blp.response(200, ServiceSchema)
    def post(self, data, case_id: int, service_id: int):
        """执行回单 — the holder's execution receipt came back."""
        service = milestones.record_execution_receipt(
            db.session, current_actor(), case_id, service_id, **data
        )
        db.session.commit()
        return service


# -- the judgment's orders (2021解释 art. 444–448) ---------------------------------------------------


class OrderLineSchema(Schema):
    kind = _enum(
        OrderKind,
        required=True,
        metadata={"description": "return / confiscate / destroy / hand_over / pay_victim"},
    )
    item_id = Int(
        load_default=None, allow_none=True, strict=True, metadata={"description": "an item of the case"}
    )
    amount_fen = Fen(
        load_default=None, allow_none=True, metadata={"description": "an amount of the case money, in 分"}
    )
    victim_id = Int(
        load_default=None, allow_none=True, strict=True, metadata={"description": "pay_victim: the victim"}
    )
    recipient = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=100),
        metadata={"description": "return: who receives the item"},
    )
    note = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class OrdersCreateSchema(Schema):
    lines = ma.fields.List(
        ma.fields.Nested(OrderLineSchema), required=True, validate=ma.validate.Length(min=1, max=500)
    )


class OrderSchema(Schema):
    id = Int()
    judgment_id = Int()
    case_id = Int()
    line_no = Int()
    kind = _enum(OrderKind)
    item_id = Int(allow_none=True)
    amount_fen = Int(allow_none=True)
    victim_id = Int(allow_none=True)
    recipient = ma.fields.Str(allow_none=True)
    note = ma.fields.Str(allow_none=True)
    status = _enum(OrderStatus)
    disposition_id = Int(allow_none=True)
    executed_at = AwareDateTime(allow_none=True)
    receipt_no = ma.fields.Str(allow_none=True)
    receipt_on = Date(allow_none=True)
    created_at = AwareDateTime()


class OrderReceiptSchema(Schema):
    receipt_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    received_on = Date(load_default=None, allow_none=True)


@blp.route("/cases/<int:case_id>/judgment-orders")
class CaseJudgmentOrders(MethodView):
    decorators = [login_required_api]

    @blp.response(200, OrderSchema(many=True))
    def get(self, case_id: int):
        """The judgment's orders on the case's property, line by line, with their status."""
        return judgment_orders.orders_of(db.session, current_actor(), case_id)

    @blp.arguments(OrdersCreateSchema)
    @blp.response(201, OrderSchema(many=True))
    def post(self, data, case_id: int):
        """判决对涉案财物的处理 — the court that recorded the judgment lists its orders (all lines or none)."""
        lines = [OrderLine(**line) for line in data["lines"]]
        orders = judgment_orders.record_orders(db.session, current_actor(), case_id, lines)
        db.session.commit()
        return orders


@blp.route("/cases/<int:case_id>/judgment-orders/propose")
class CaseJudgmentOrdersPropose(MethodView):
    decorators = [login_required_api]

    @blp.response(201, DispositionSchema(many=True))
    def post(self, case_id: int):
        """按判决生成处置申请 — one action: the final disposals for every open order on items your agency
        holds, one per kind of order and recipient."""
        proposed = judgment_orders.propose_from_orders(db.session, current_actor(), case_id)
        db.session.commit()
        return proposed


@blp.route("/judgment-orders/awaiting-receipt")
class JudgmentOrdersAwaitingReceipt(MethodView):
    decorators = [login_required_api]

    @blp.response(200, OrderSchema(many=True))
    def get(self):
        """待确认执行回单 — executed orders of your court's judgments, awaiting the receipt."""
        query = judgment_orders.receipts_awaiting_query(current_actor())
        return list(
            db.session.scalars(query.order_by(JudgmentOrder.executed_at, JudgmentOrder.id).limit(1000))
        )


@blp.route("/judgment-orders/<int:order_id>/receipt")
class JudgmentOrderReceipt(MethodView):
    decorators = [login_required_api]

    @blp.arguments(OrderReceiptSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id: int):
        """执行回单 — the court acknowledges the executing agency's receipt; the order is closed."""
        order = judgment_orders.acknowledge_receipt(db.session, current_actor(), order_id, **data)
        db.session.commit()
        return order


@blp.route("/calendar/overrides")
class CalendarOverrides(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CalendarOverrideSchema(many=True))
    def get(self):
        """The working-day calendar's overrides (days off and 调休 working days) — administrators."""
        from custody.domain.policy import Action, require

        require(current_actor(), Action.MANAGE_REFERENCE_DATA)
        return calendar.overrides(db.session)

    @blp.arguments(CalendarOverrideSchema)
    @blp.response(201, CalendarOverrideSchema)
    def post(self, data):
        """Add a day off or a working day the holiday package does not know (e.g. next year's 调休)."""
        row = calendar.set_override(db.session, current_actor(), **data)
        db.session.commit()
        return row


@blp.route("/calendar/overrides/<string:day>")
class CalendarOverrideByDay(MethodView):
    decorators = [login_required_api]

    @blp.response(204)
    def delete(self, day: str):
        """Remove an override."""
        from datetime import date

        from custody.domain.errors import InvalidInput
        from custody.domain.i18n import N_

        try:
            parsed = date.fromisoformat(day)
        except ValueError as error:
            raise InvalidInput(
                N_("A date like 2026-03-01."), fields={"day": [N_("A date like 2026-03-01.")]}
            ) from error
        calendar.remove_override(db.session, current_actor(), parsed)
        db.session.commit()


@blp.route("/cases/<int:case_id>/close")
class CaseClose(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ClosureCreateSchema)
    @blp.response(201, ClosureSchema)
    def post(self, data, case_id: int):
        """结案 — the handling agency closes the case; items still held afterwards raise alerts."""
        closure = milestones.close_case(db.session, current_actor(), case_id, **data)
        db.session.commit()
        return closure


@blp.route("/items/<int:item_id>/unrelated")
class ItemUnrelated(MethodView):
    decorators = [login_required_api]

    @blp.arguments(UnrelatedCreateSchema)
    @blp.response(201, UnrelatedSchema)
    def post(self, data, item_id: int):
        """查明与案件无关 — the item must be released within 3 days (custodian's officer)."""
        finding = milestones.mark_unrelated(db.session, current_actor(), item_id, **data)
        db.session.commit()
        return finding


@blp.route("/public-notices")
class PublicNotices(MethodView):
    decorators = [login_required_api]

    @blp.arguments(NoticeQuerySchema, location="query")
    @blp.response(200, NoticeSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        return paginate(db.session, milestones.notices_query(current_actor(), **query), pagination_parameters)

    @blp.arguments(NoticeCreateSchema)
    @blp.response(201, NoticeSchema)
    def post(self, data):
        """公告 — notice for items whose owner is unknown; unclaimed after 6 months, they go to the treasury."""
        notice = milestones.publish_notice(db.session, current_actor(), **data)
        db.session.commit()
        return notice


# -- back-dated entries (issue 14) ------------------------------------------------------------------


class BackdatedQuerySchema(PageQuerySchema):
    late = ma.fields.Bool(
        load_default=False, metadata={"description": "only steps that brought an item into storage late"}
    )


class BackdatedEntrySchema(Schema):
    event_id = Int(attribute="event.id")
    item_id = Int(attribute="event.item_id")
    label_code = ma.fields.Str()
    action = ma.fields.Str(attribute="event.action")
    occurred_at = AwareDateTime(attribute="event.occurred_at", metadata={"description": "the time claimed"})
    recorded_at = AwareDateTime(attribute="event.recorded_at")
    hours_earlier = ma.fields.Float(metadata={"description": "how long before its recording it was dated"})
    reason = ma.fields.Str(attribute="event.reason", allow_none=True)
    late = ma.fields.Bool(
        metadata={"description": "brought a police item into storage beyond 24 hours, judged as recorded"}
    )


@blp.route("/backdated-entries")
class BackdatedEntries(MethodView):
    decorators = [login_required_api]

    @blp.arguments(BackdatedQuerySchema, location="query")
    @blp.response(200, BackdatedEntrySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Storage steps dated more than 10 minutes before they were recorded (approvers, auditors)."""
        stmt = backdating.backdated_query(db.session, current_actor(), late_only=query["late"])
        return backdating.entries(db.session, paginate(db.session, stmt, pagination_parameters))


# -- stocktakes ---------------------------------------------------------------------------------


class StocktakeCreateSchema(Schema):
    location_id = Int(
        required=True, strict=True, metadata={"description": "counted with everything under it"}
    )
    note = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class StocktakeQuerySchema(PageQuerySchema):
    status = _enum(StocktakeStatus)


class StocktakeSchema(Schema):
    id = Int()
    stocktake_no = ma.fields.Str()
    status = _enum(StocktakeStatus)
    root_location_id = Int()
    agency = ma.fields.Nested(AgencyRefSchema)
    started_by = ma.fields.Nested(OversightUserSchema)
    started_at = AwareDateTime()
    finished_at = AwareDateTime(allow_none=True)
    note = ma.fields.Str(allow_none=True)


class StocktakeDetailSchema(StocktakeSchema):
    counts = ma.fields.Dict(keys=ma.fields.Str(), values=Int(), metadata={"description": "lines per result"})


class StocktakeScanSchema(Schema):
    label_code = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    location_id = Int(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "where you are counting; default: the stocktake's root"},
    )


class StocktakeLineSchema(Schema):
    id = Int()
    label_code = ma.fields.Str()
    item_id = Int(allow_none=True)
    expected = ma.fields.Bool()
    book_location_id = Int(allow_none=True)
    found_location_id = Int(allow_none=True)
    scan_count = Int()
    scanned_at = AwareDateTime(allow_none=True)
    result = _enum(StocktakeResult)
    result_label = ma.fields.Function(lambda line: gettext(line.result.label))


class StocktakeReasonSchema(Schema):
    reason = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=500))


class StocktakeReportQuerySchema(Schema):
    format = ma.fields.Str(load_default="pdf", validate=ma.validate.OneOf(["pdf", "xlsx"]))


class DiscrepancyQuerySchema(PageQuerySchema):
    status = _enum(DiscrepancyStatus)
    stocktake_id = Int()


class DiscrepancySchema(Schema):
    id = Int()
    stocktake_id = Int()
    item_id = Int(allow_none=True)
    label_code = ma.fields.Str()
    kind = _enum(StocktakeResult)
    responsible_agency = ma.fields.Nested(AgencyRefSchema)
    status = _enum(DiscrepancyStatus)
    created_at = AwareDateTime()
    resolution_reason = ma.fields.Str(allow_none=True)
    resolved_at = AwareDateTime(allow_none=True)


def _detail(record):
    record.counts = stocktake.counts(stocktake.lines(db.session, record))
    return record


@blp.route("/stocktakes")
class Stocktakes(MethodView):
    decorators = [login_required_api]

    @blp.arguments(StocktakeQuerySchema, location="query")
    @blp.response(200, StocktakeSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        return paginate(
            db.session, stocktake.stocktakes_query(current_actor(), **query), pagination_parameters
        )

    @blp.arguments(StocktakeCreateSchema)
    @blp.response(201, StocktakeDetailSchema)
    def post(self, data):
        """盘点 — a keeper starts counting a storage location and everything under it."""
        record = stocktake.start_stocktake(db.session, current_actor(), **data)
        db.session.commit()
        return _detail(record)


@blp.route("/stocktakes/<int:stocktake_id>")
class StocktakeById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, StocktakeDetailSchema)
    def get(self, stocktake_id: int):
        return _detail(stocktake.get_stocktake(db.session, current_actor(), stocktake_id))


@blp.route("/stocktakes/<int:stocktake_id>/lines")
class StocktakeLines(MethodView):
    decorators = [login_required_api]

    @blp.response(200, StocktakeLineSchema(many=True))
    def get(self, stocktake_id: int):
        return stocktake.lines(db.session, stocktake.get_stocktake(db.session, current_actor(), stocktake_id))


@blp.route("/stocktakes/<int:stocktake_id>/scans")
class StocktakeScans(MethodView):
    decorators = [login_required_api]

    @blp.arguments(StocktakeScanSchema)
    @blp.response(201, StocktakeLineSchema)
    def post(self, data, stocktake_id: int):
        """One scanned label, judged at once (verified, wrong location, unexpected)."""
        line = stocktake.scan(db.session, current_actor(), stocktake_id, **data)
        db.session.commit()
        return line


@blp.route("/stocktakes/<int:stocktake_id>/finish")
class StocktakeFinish(MethodView):
    decorators = [login_required_api]

    @blp.response(200, StocktakeDetailSchema)
    def post(self, stocktake_id: int):
        """Finish: unscanned lines become missing (or checked out); discrepancies await an approver."""
        record = stocktake.finish_stocktake(db.session, current_actor(), stocktake_id)
        db.session.commit()
        return _detail(record)


@blp.route("/stocktakes/<int:stocktake_id>/cancel")
class StocktakeCancel(MethodView):
    decorators = [login_required_api]

    @blp.arguments(StocktakeReasonSchema)
    @blp.response(200, StocktakeSchema)
    def post(self, data, stocktake_id: int):
        record = stocktake.cancel_stocktake(db.session, current_actor(), stocktake_id, **data)
        db.session.commit()
        return record


@blp.route("/stocktakes/<int:stocktake_id>/report")
@writes_on_get
class StocktakeReport(MethodView):
    decorators = [login_required_api]

    @blp.arguments(StocktakeReportQuerySchema, location="query")
    @blp.response(200, description="The stocktake report as PDF or XLSX")
    def get(self, query, stocktake_id: int):
        record = stocktake.get_stocktake(db.session, current_actor(), stocktake_id)
        return stocktake_report_response(record, query["format"])


@blp.route("/discrepancies")
class Discrepancies(MethodView):
    decorators = [login_required_api]

    @blp.arguments(DiscrepancyQuerySchema, location="query")
    @blp.response(200, DiscrepancySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Stocktake discrepancies your agency must resolve (auditors: all)."""
        return paginate(
            db.session, stocktake.discrepancies_query(current_actor(), **query), pagination_parameters
        )


@blp.route("/discrepancies/<int:discrepancy_id>/resolve")
class DiscrepancyResolve(MethodView):
    decorators = [login_required_api]

    @blp.arguments(StocktakeReasonSchema)
    @blp.response(200, DiscrepancySchema)
    def post(self, data, discrepancy_id: int):
        """An approver of the responsible agency resolves the discrepancy with a reason."""
        record = stocktake.resolve_discrepancy(db.session, current_actor(), discrepancy_id, **data)
        db.session.commit()
        return record


# -- spot checks ---------------------------------------------------------------------------------


class SpotCheckScopeSchema(Schema):
    custodian_agency_id = Int(load_default=None, allow_none=True, strict=True)
    category = _enum(ItemCategory, load_default=None, allow_none=True)
    location_id = Int(load_default=None, allow_none=True, strict=True)
    case_id = Int(load_default=None, allow_none=True, strict=True)


class SpotCheckCreateSchema(Schema):
    size = Int(required=True, strict=True)
    scope = ma.fields.Nested(SpotCheckScopeSchema, load_default=dict)
    note = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class SpotCheckQuerySchema(PageQuerySchema):
    status = _enum(SpotCheckStatus)


class SpotCheckItemSchema(Schema):
    position = Int()
    item_id = Int()
    label_code = ma.fields.Str()
    name = ma.fields.Function(lambda line: line.item.name)
    custodian_agency = ma.fields.Nested(AgencyRefSchema)
    inspector = ma.fields.Nested(OversightUserSchema)
    result = _enum(SpotCheckResult)
    finding = ma.fields.Str(allow_none=True)
    recorded_at = AwareDateTime(allow_none=True)


class SpotCheckSchema(Schema):
    id = Int()
    check_no = ma.fields.Str()
    status = _enum(SpotCheckStatus)
    drawn_by = ma.fields.Nested(OversightUserSchema)
    drawn_at = AwareDateTime()
    scope = ma.fields.Dict()
    sample_size = Int()
    seed = ma.fields.Str()
    algorithm = ma.fields.Str()
    candidate_count = Int()
    candidates_sha256 = ma.fields.Str()
    inspector_pool_count = Int()
    inspector_pool_sha256 = ma.fields.Str()
    note = ma.fields.Str(allow_none=True)


class SpotCheckDetailSchema(SpotCheckSchema):
    visible_items = ma.fields.List(ma.fields.Nested(SpotCheckItemSchema), data_key="items")


class SpotCheckResultInputSchema(Schema):
    result = _enum(SpotCheckResult, required=True)
    finding = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=1000))


class VerificationSchema(Schema):
    candidates_match = ma.fields.Bool()
    pool_match = ma.fields.Bool()
    sample_match = ma.fields.Bool()
    candidate_count_now = Int()


def _check_detail(check):
    check.visible_items = spot_checks.assigned_items(db.session, current_actor(), check)
    return check


@blp.route("/spot-checks")
class SpotChecks(MethodView):
    decorators = [login_required_api]

    @blp.arguments(SpotCheckQuerySchema, location="query")
    @blp.response(200, SpotCheckSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Spot checks (auditors: all; others: those they were drawn to inspect)."""
        return paginate(
            db.session, spot_checks.spot_checks_query(current_actor(), **query), pagination_parameters
        )

    @blp.arguments(SpotCheckCreateSchema)
    @blp.response(201, SpotCheckDetailSchema)
    def post(self, data):
        """双随机 — draw ``size`` items at random within ``scope`` and an inspector from another agency for each.

        The seed comes from the server's ``secrets`` module and is recorded, so the draw can be redone."""
        check = spot_checks.draw_spot_check(
            db.session,
            current_actor(),
            size=data["size"],
            scope=spot_checks.Scope(**data["scope"]),
            note=data["note"],
        )
        db.session.commit()
        return _check_detail(check)


@blp.route("/spot-checks/<int:check_id>")
class SpotCheckById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, SpotCheckDetailSchema)
    def get(self, check_id: int):
        return _check_detail(spot_checks.get_spot_check(db.session, current_actor(), check_id))


@blp.route("/spot-checks/<int:check_id>/verify")
class SpotCheckVerify(MethodView):
    decorators = [login_required_api]

    @blp.response(200, VerificationSchema)
    def get(self, check_id: int):
        """Redo the draw from the recorded seed over today's data and compare."""
        return spot_checks.verify_draw(db.session, current_actor(), check_id)


@blp.route("/spot-checks/<int:check_id>/items/<int:item_id>/result")
class SpotCheckResultView(MethodView):
    decorators = [login_required_api]

    @blp.arguments(SpotCheckResultInputSchema)
    @blp.response(200, SpotCheckItemSchema)
    def post(self, data, check_id: int, item_id: int):
        """The drawn inspector records the result for one item."""
        line = spot_checks.record_result(db.session, current_actor(), check_id, item_id, **data)
        db.session.commit()
        return line


# -- ledgers -------------------------------------------------------------------------------------


class LedgerQuerySchema(ItemQuerySchema):
    format = ma.fields.Str(load_default="csv", validate=ma.validate.OneOf(list(ledgers.FORMATS)))
    scope = ma.fields.Str(load_default="centre", validate=ma.validate.OneOf(list(ledgers.SCOPES)))
    agency_id = Int()
    sort = ma.fields.Str(load_default="id")


def ledger_response(query: dict[str, Any]) -> Response:
    query = dict(query)
    fmt, scope, agency_id = (
        query.pop("format", "csv"),
        query.pop("scope", "centre"),
        query.pop("agency_id", None),
    )
    query.pop("page", None), query.pop("page_size", None)
    return ledger_export_response(fmt, scope, agency_id, ItemQuery(**query))


@blp.route("/ledger")
@writes_on_get
class Ledger(MethodView):
    decorators = [login_required_api]

    @blp.arguments(LedgerQuerySchema, location="query")
    @blp.response(200, description="The ledger as CSV (UTF-8, Chinese headers) or XLSX, streamed")
    def get(self, query):
        """台账 — the centre's ledger (``scope=centre``) or an agency's (``scope=agency``, its custody),
        filtered like ``GET /items``. Every export is recorded as a security event."""
        return ledger_response(query)


# -- statistics ----------------------------------------------------------------------------------


class StatisticsBucketSchema(Schema):
    key = ma.fields.Str()
    label = ma.fields.Function(lambda b: gettext(b.label) if b.label else None, allow_none=True)
    count = Int()
    value_fen = Int()


class StatisticsAverageSchema(Schema):
    count = Int()
    mean = ma.fields.Float(allow_none=True)


class StatisticsSchema(Schema):
    generated_at = AwareDateTime()
    total = ma.fields.Nested(StatisticsBucketSchema)
    by_status = ma.fields.List(ma.fields.Nested(StatisticsBucketSchema))
    by_category = ma.fields.List(ma.fields.Nested(StatisticsBucketSchema))
    by_custodian = ma.fields.List(ma.fields.Nested(StatisticsBucketSchema))
    by_stage = ma.fields.List(ma.fields.Nested(StatisticsBucketSchema))
    by_age = ma.fields.List(ma.fields.Nested(StatisticsBucketSchema))
    seizure_to_storage_hours = ma.fields.Nested(StatisticsAverageSchema)
    stage_days = ma.fields.Dict(keys=ma.fields.Str(), values=ma.fields.Nested(StatisticsAverageSchema))
    judgment_to_disposal_days = ma.fields.Nested(StatisticsAverageSchema)


@blp.route("/statistics")
class Statistics(MethodView):
    decorators = [login_required_api]

    @blp.response(200, StatisticsSchema)
    def get(self):
        """Counts and values (fen) by status, category, custodian, stage and age; average durations."""
        return statistics.recent_statistics(db.session, current_actor())


# -- owner lookup (public) -----------------------------------------------------------------------


class OwnerLookupSchema(Schema):
    list_no = ma.fields.Str(required=True, validate=ma.validate.Length(max=64))
    code = ma.fields.Str(required=True, validate=ma.validate.Length(max=64))


class OwnerItemSchema(Schema):
    line_no = Int()
    name = ma.fields.Str()
    quantity = DecimalString()
    unit = ma.fields.Str()
    status = _enum(OwnerStatus)
    status_label = ma.fields.Function(lambda i: gettext(i.status.label))
    agency = ma.fields.Str(allow_none=True)
    to_agency = ma.fields.Str(allow_none=True)


class OwnerResultSchema(Schema):
    list_no = ma.fields.Str()
    seized_on = Date()
    items = ma.fields.List(ma.fields.Nested(OwnerItemSchema))


class VictimLookupSchema(Schema):
    lookup_no = ma.fields.Str(required=True, validate=ma.validate.Length(max=64))
    code = ma.fields.Str(required=True, validate=ma.validate.Length(max=64))


class VictimPaymentSchema(Schema):
    paid_on = Date()
    amount_fen = Int()


class VictimClaimStatusSchema(Schema):
    klass = _enum(ClaimClass)
    klass_label = ma.fields.Function(lambda c: gettext(c.klass.label))
    claimed_fen = Int()
    recorded_on = Date()
    confirmed_fen = Int(allow_none=True)
    confirmed_on = Date(allow_none=True)
    compensated_fen = Int()
    planned_fen = Int(allow_none=True, metadata={"description": "in a plan awaiting approval or approved"})
    plan_status = _enum(PlanStatus, allow_none=True)
    paid_fen = Int()
    payments = ma.fields.List(ma.fields.Nested(VictimPaymentSchema))


class VictimOrderStatusSchema(Schema):
    ordered_fen = Int(metadata={"description": "the amount the judgment orders paid to the victim"})
    judgment_effective_on = Date()
    planned_fen = Int(allow_none=True, metadata={"description": "in a plan awaiting approval or approved"})
    plan_status = _enum(PlanStatus, allow_none=True)
    paid_fen = Int()
    payments = ma.fields.List(ma.fields.Nested(VictimPaymentSchema))


class VictimResultSchema(Schema):
    lookup_no = ma.fields.Str()
    claims = ma.fields.List(ma.fields.Nested(VictimClaimStatusSchema))
    orders = ma.fields.List(ma.fields.Nested(VictimOrderStatusSchema))


def _lookup_refused(outcome: LookupOutcome, not_found: str):
    if outcome is LookupOutcome.LIMITED:
        response = problem(
            429,
            gettext("Too many attempts"),
            gettext("Too many failed attempts. Try again in 15 minutes."),
            code="owner_lookup.limited",
        )
        response.headers["Retry-After"] = "900"
        return response
    return problem(404, gettext("Not found"), not_found, code="owner_lookup.not_found")


@blp.route("/victim-lookup")
class VictimLookup(MethodView):
    @blp.arguments(VictimLookupSchema)
    @blp.response(200, VictimResultSchema)
    @blp.alt_response(404, description="Unknown lookup number or wrong code (never told apart)")
    @blp.alt_response(429, description="Too many failed attempts from this address")
    def post(self, data):
        """被害人查询 — no login: the victim's lookup number and code give their own claims, the amounts
        confirmed, planned and paid, with dates; nothing about anyone else or the case. Rate-limited
        with the owner lookup; every attempt is audited."""
        result = owner_lookup.victim_lookup(
            db.session, lookup_no=data["lookup_no"], code=data["code"], origin=request_origin()
        )
        db.session.commit()
        if result.outcome is not LookupOutcome.SUCCESS:
            return _lookup_refused(
                result.outcome, gettext("No victim record matches this number and lookup code.")
            )
        return result


@blp.route("/owner-lookup")
class OwnerLookup(MethodView):
    @blp.arguments(OwnerLookupSchema)
    @blp.response(200, OwnerResultSchema)
    @blp.alt_response(404, description="Unknown list number or wrong code (never told apart)")
    @blp.alt_response(429, description="Too many failed attempts from this address")
    def post(self, data):
        """当事人查询 — no login: the list number and the code printed on the holder's copy give the
        status of that list's items, nothing else. Rate-limited; every attempt is audited."""
        result = owner_lookup.lookup(
            db.session, list_no=data["list_no"], code=data["code"], origin=request_origin()
        )
        db.session.commit()
        if result.outcome is LookupOutcome.LIMITED:
            response = problem(
                429,
                gettext("Too many attempts"),
                gettext("Too many failed attempts. Try again in 15 minutes."),
                code="owner_lookup.limited",
            )
            response.headers["Retry-After"] = "900"
            return response
        if result.outcome is LookupOutcome.FAILURE:
            return problem(
                404,
                gettext("Not found"),
                gettext("No seizure list matches this number and verification code."),
                code="owner_lookup.not_found",
            )
        return result
