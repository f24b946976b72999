"""Alerts, the supervision dashboard, ledgers, statistics, back-dated entries, the audit log's witnesses."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _

from custody.access import current_actor
from custody.database import writes_on_get
from custody.domain.deadlines import AlertRule
from custody.domain.enums import CaseStage, ItemCategory, ItemStatus
from custody.domain.policy import Action, require
from custody.domain.stocktake import DiscrepancyStatus, StocktakeStatus
from custody.downloads import ledger_export_response
from custody.extensions import db
from custody.i18n import yuan
from custody.services import alerts, backdating, ledgers, statistics, stocktake
from custody.services.items import ItemQuery

from ..forms import options
from ..forms.oversight import AlertFilterForm, LedgerForm
from ..helpers import paginate
from .common import PAGE_ALERTS, agency_names, bp, can_do, pairs_as_text


def _filtered_alerts(form: AlertFilterForm) -> list:
    form.rule.choices = options([("", _("All rules"))] + [(r.value, _(r.label)) for r in AlertRule])
    form.overdue.choices = options(
        [("", _("Overdue and approaching")), ("1", _("Overdue only")), ("0", _("Approaching only"))]
    )
    form.validate()
    rule = AlertRule(form.rule.data) if form.rule.data in {r.value for r in AlertRule} else None
    overdue = {"1": True, "0": False}.get(form.overdue.data or "")
    return alerts.filter_alerts(alerts.alerts_for(db.session, current_actor()), rule=rule, overdue=overdue)


@bp.get("/alerts", endpoint="alerts")
def alerts_page():
    form = AlertFilterForm(request.args)
    found = _filtered_alerts(form)
    return render_template(
        "oversight/alerts.html",
        form=form,
        alerts=found[:PAGE_ALERTS],
        total=len(found),
        shown_limit=PAGE_ALERTS,
    )


@bp.get("/")
def dashboard():
    actor = current_actor()
    require(actor, Action.VIEW_STATISTICS)
    every = alerts.alerts_for(db.session, actor)
    form = AlertFilterForm(request.args)
    found = _filtered_alerts(form)
    open_discrepancies = stocktake.count_discrepancies(db.session, actor, status=DiscrepancyStatus.OPEN)
    open_stocktakes = stocktake.list_stocktakes(db.session, actor, status=StocktakeStatus.OPEN)
    return render_template(
        "oversight/dashboard.html",
        form=form,
        alerts=found[:PAGE_ALERTS],
        total=len(found),
        summary=alerts.summary(every),
        rules=list(AlertRule),
        open_discrepancies=open_discrepancies,
        open_stocktakes=open_stocktakes,
        can_draw=can_do(Action.DRAW_SPOT_CHECK),
        can_export=can_do(Action.EXPORT_LEDGER),
        can_read_audit=can_do(Action.READ_AUDIT_LOG),
        can_review_backdating=can_do(Action.REVIEW_BACKDATING),
        can_count=can_do(Action.CONDUCT_STOCKTAKE),
        shown_limit=PAGE_ALERTS,
    )


def _ledger_form() -> LedgerForm:
    form = LedgerForm(request.args)
    form.agency_id.choices = options([("", _("My agency"))] + pairs_as_text(sorted(agency_names().items())))
    form.status.choices = options([("", _("Any status"))] + [(s.value, _(s.label)) for s in ItemStatus])
    form.category.choices = options([("", _("Any category"))] + [(c.value, _(c.label)) for c in ItemCategory])
    return form


@bp.get("/ledger")
def ledger():
    require(current_actor(), Action.EXPORT_LEDGER)
    form = _ledger_form()
    form.validate()
    return render_template("oversight/ledger.html", form=form, args=request.args.to_dict())


@bp.get("/ledger/export")
@writes_on_get
def ledger_export():
    form = _ledger_form()
    fmt = request.args.get("format", "csv")
    if not form.validate() or fmt not in ledgers.FORMATS:
        abort(422)  # a bad filter in a hand-made address
    agency_id = int(form.agency_id.data) if form.agency_id.data else None
    query = ItemQuery(
        status=ItemStatus(form.status.data) if form.status.data else None,
        category=ItemCategory(form.category.data) if form.category.data else None,
        seized_from=form.seized_from.data,
        seized_to=form.seized_to.data,
        q=form.q.data or None,
        sort="id",
    )
    return ledger_export_response(fmt, form.scope.data or "centre", agency_id, query)


@bp.get("/statistics", endpoint="statistics")
def statistics_page():

    stats = statistics.recent_statistics(db.session, current_actor())
    stage_rows = [
        {
            "key": stage.value,
            "label": stage.label,
            "mean": stats.stage_days[stage.value].mean or 0,
            "count": stats.stage_days[stage.value].count,
        }
        for stage in CaseStage
        if stage.value in stats.stage_days
    ]
    from custody.services import money

    return render_template(
        "oversight/statistics.html",
        stats=stats,
        money=money.money_statistics(db.session, current_actor()),
        age_rows=stats.by_age,
        stage_rows=stage_rows,
        yuan_from_fen=yuan,
    )


@bp.get("/backdated", endpoint="backdated")
def backdated():
    """Storage steps dated earlier than recorded, for approvers and auditors."""
    from ..timeline import Describer

    late_only = request.args.get("late") == "1"
    page = paginate(backdating.backdated_query(db.session, current_actor(), late_only=late_only))
    describer = Describer(db.session)
    rows = [(entry, *describer.describe(entry.event)) for entry in backdating.entries(db.session, page.rows)]
    return render_template("oversight/backdated.html", page=page, rows=rows, late_only=late_only)


@bp.get("/witnesses")
def witnesses():
    """Who cosigned the latest checkpoint and when, who is missing or lagging, what was refused."""
    from custody.audit.ledger import current_settings
    from custody.audit.witnessing import witness_overview

    require(current_actor(), Action.READ_AUDIT_LOG)
    return render_template("oversight/witnesses.html", o=witness_overview(db.session, current_settings()))
