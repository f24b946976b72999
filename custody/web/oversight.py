"""Deadlines, alerts, stocktake, spot checks, ledgers, statistics, owner lookup.

Pages (endpoint → path):

- ``oversight.alerts`` /oversight/alerts — the signed-in user's alerts (every role but admin)
- ``oversight.dashboard`` /oversight/ — the supervision dashboard (keepers, approvers, auditors)
- ``oversight.stocktakes`` /oversight/stocktakes — list and start; ``oversight.stocktake`` one count
  (the scan page), with ``stocktake_scan``/``stocktake_finish``/``stocktake_cancel``/``stocktake_report``
- ``oversight.discrepancies`` /oversight/discrepancies — what approvers must resolve
- ``oversight.spot_checks`` /oversight/spot-checks — draw (auditors) and list; ``oversight.spot_check`` one
- ``oversight.ledger`` /oversight/ledger — ledger export (CSV/XLSX, streamed: ``oversight.ledger_export``)
- ``oversight.statistics`` /oversight/statistics — charts as server-side SVG
- ``oversight.case_milestones`` /oversight/cases/<id> — judgment, closing, unrelated finding, public notice
- ``oversight.owner_lookup`` /lookup — PUBLIC: a holder checks their seizure list (rate-limited)

The inbox includes ``oversight/_inbox_alerts.html``, which calls the ``oversight_inbox_alerts``
template global registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from custody.access import current_actor, request_origin
from custody.database import writes_on_get
from custody.domain.clock import local_date
from custody.domain.deadlines import AlertRule
from custody.domain.enums import CaseStage, ItemCategory, ItemStatus, Role
from custody.domain.errors import DomainError
from custody.domain.i18n import N_
from custody.domain.judgment_orders import OrderKind, OrderLine
from custody.domain.milestones import NoticeBasis
from custody.domain.owner_lookup import FAILURE_WINDOW, LookupOutcome, is_victim_lookup_no
from custody.domain.policy import Action, allowed, require
from custody.domain.spot_checks import MAX_SAMPLE, SpotCheckResult
from custody.domain.stocktake import DISCREPANCIES, DiscrepancyStatus, StocktakeResult, StocktakeStatus
from custody.downloads import ledger_export_response, stocktake_report_response
from custody.errors import record_denial, translate
from custody.extensions import db
from custody.i18n import yuan
from custody.orm import utcnow
from custody.printing import SpotCheckLine, SpotCheckRecord
from custody.printing import spot_check_record_pdf as spot_check_record
from custody.services import (
    accounts,
    alerts,
    backdating,
    judgment_orders,
    ledgers,
    milestones,
    owner_lookup,
    restitution,
    spot_checks,
    statistics,
    stocktake,
)
from custody.services.items import ItemQuery
from custody.web import charts

from .helpers import PageForms, enum_or_none, paginate, refuse, send_document, submit
from .lifecycle_forms import YuanField

bp = Blueprint("oversight", __name__)

INBOX_LIMIT = 5
PAGE_ALERTS = 200


def _options(pairs):
    return [(str(value), label) for value, label in pairs]


def _choices(pairs):
    """(value, label) pairs as WTForms select options."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


# -- forms -----------------------------------------------------------------------------------------


class AlertFilterForm(FlaskForm):
    class Meta:
        csrf = False

    rule = SelectField(_l("Rule"), validators=[Optional()])
    overdue = SelectField(_l("State"), validators=[Optional()])


class StocktakeStartForm(FlaskForm):
    location_id = SelectField(
        _l("Location to count (with everything under it)"), coerce=int, validators=[DataRequired()]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Start stocktake"))


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "") and str(value).isdecimal() else None


class ScanForm(FlaskForm):
    label_code = StringField(
        _l("Label code"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    location_id = SelectField(
        _l("Counting at"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    submit = SubmitField(_l("Record scan"))


class FinishForm(FlaskForm):
    submit = SubmitField(_l("Finish stocktake"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Submit"))


class SpotCheckForm(FlaskForm):
    size = IntegerField(
        _l("Number of items to draw"), validators=[DataRequired(), NumberRange(1, MAX_SAMPLE)], default=10
    )
    custodian_agency_id = SelectField(_l("Custodian agency"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    location_id = SelectField(_l("Storage location (with everything under it)"), validators=[Optional()])
    case_no = StringField(
        _l("Case number"),
        validators=[Optional(), Length(max=64)],
        render_kw={"list": "case-numbers", "autocomplete": "off"},
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Draw at random"))


class ResultForm(FlaskForm):
    item_id = IntegerField(validators=[DataRequired()], widget=widgets.HiddenInput())
    result = SelectField(_l("Result"), validators=[DataRequired()])
    finding = TextAreaField(_l("Finding"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Record result"))


class LedgerForm(FlaskForm):
    class Meta:
        csrf = False

    scope = SelectField(
        _l("Ledger"),
        choices=[SelectChoice("centre", _l("Centre ledger")), SelectChoice("agency", _l("Agency ledger"))],
        default="centre",
    )
    agency_id = SelectField(_l("Agency"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    seized_from = DateField(_l("Seized from"), validators=[Optional()])
    seized_to = DateField(_l("Seized to"), validators=[Optional()])
    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])


class OwnerLookupForm(FlaskForm):
    list_no = StringField(
        _l("Seizure list number (or victim lookup number)"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "off", "placeholder": "QD-PDGA-2026-000001"},
    )
    code = StringField(
        _l("Lookup code"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    submit = SubmitField(_l("Look up"))


class JudgmentForm(FlaskForm):
    judgment_no = StringField(_l("Judgment number"), validators=[DataRequired(), Length(max=64)])
    effective_on = DateField(_l("Date the judgment took effect"), validators=[DataRequired()])
    submit = SubmitField(_l("Record judgment"))


class CloseCaseForm(FlaskForm):
    legal_basis = StringField(_l("Decision number"), validators=[DataRequired(), Length(max=100)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Close the case"))


class UnrelatedForm(FlaskForm):
    item_id = SelectField(_l("Item"), coerce=int, validators=[DataRequired()])
    found_on = DateField(_l("Found unrelated on"), validators=[DataRequired()])
    decision_doc_no = StringField(_l("Decision number"), validators=[Optional(), Length(max=64)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Record finding"))


class NoticeForm(FlaskForm):
    item_ids = MultiCheckboxField(_l("Items"), coerce=int, validators=[DataRequired()])
    published_on = DateField(_l("Published on"), validators=[DataRequired()])
    medium = StringField(_l("Published where"), validators=[DataRequired(), Length(max=200)])
    basis = SelectField(
        _l("Why the owner is sought"),
        choices=[(b.value, _l(b.label)) for b in NoticeBasis],
        default=NoticeBasis.UNRELATED.value,
    )
    content = TextAreaField(_l("Text of the notice"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Record public notice"))


class ExecutionForm(FlaskForm):
    """移送执行 / 执行立案 / 延长 (2014规定 art. 3, 7)."""

    referred_on = DateField(_l("Referred for execution on"), validators=[Optional()])
    execution_case_no = StringField(_l("Execution case no."), validators=[Optional(), Length(max=64)])
    opened_on = DateField(_l("Execution case opened on"), validators=[Optional()])
    extended_until = DateField(_l("Extended until (last day)"), validators=[Optional()])
    extension_approval = StringField(
        _l("President's approval of the extension"), validators=[Optional(), Length(max=100)]
    )
    submit = SubmitField(_l("Record"))


class ServiceForm(FlaskForm):
    """送达: the judgment served on a holder (agency or bank), 2021解释 art. 447, 448."""

    holder_agency_id = SelectField(_l("Agency holding items"), validators=[Optional()], coerce=_optional_int)
    institution = StringField(
        _l("Or the bank holding frozen funds"), validators=[Optional(), Length(max=200)]
    )
    served_on = DateField(_l("Served on"), validators=[Optional()])
    submit = SubmitField(_l("Record the service"))


class ReceiptForm(FlaskForm):
    service_id = SelectField(_l("Service"), validators=[DataRequired()], coerce=int)
    receipt_no = StringField(_l("Execution receipt no."), validators=[DataRequired(), Length(max=64)])
    received_on = DateField(_l("Received on"), validators=[Optional()])
    submit = SubmitField(_l("Record the receipt"))


class OrderForm(FlaskForm):
    """One line of the judgment's orders on the case's property (2021解释 art. 444–448)."""

    kind = SelectField(
        _l("What the judgment orders"),
        choices=[SelectChoice(k.value, _l(k.label)) for k in OrderKind],
        validators=[DataRequired()],
    )
    item_id = SelectField(_l("Item"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
    amount = YuanField(_l("Or an amount of the case money (yuan)"), validators=[Optional()])
    victim_id = SelectField(
        _l("Victim (payment)"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    recipient = StringField(_l("Recipient (return)"), validators=[Optional(), Length(max=100)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add the order"))


class ProposeOrdersForm(FlaskForm):
    submit = SubmitField(_l("Propose disposals from the judgment"))


class OrderReceiptForm(FlaskForm):
    order_id = SelectField(_l("Order"), validators=[DataRequired()], coerce=int)
    receipt_no = StringField(_l("Execution receipt no."), validators=[DataRequired(), Length(max=64)])
    received_on = DateField(_l("Received on"), validators=[Optional()])
    submit = SubmitField(_l("Acknowledge the receipt"))


# The service's names of an order line's fields → this page's form fields.
ORDER_FIELDS = {
    "lines.0.item_id": "item_id",
    "lines.0.amount_fen": "amount",
    "lines.0.victim_id": "victim_id",
    "lines.0.recipient": "recipient",
    "lines.0.note": "note",
}


# -- shared ------------------------------------------------------------------------------------------


def _agency_names() -> dict[int, str]:
    if "oversight_agencies" not in g:
        g.oversight_agencies = {agency.id: agency.name for agency in accounts.list_agencies(db.session)}
    return g.oversight_agencies


def _location_choices() -> list[tuple[int, str]]:
    return [(loc.id, loc.path) for loc in accounts.all_locations(db.session) if loc.is_active]


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _can(action: Action) -> bool:
    try:
        return allowed(current_actor(), action)
    except DomainError:
        return False


def post_back(
    form: FlaskForm,
    call: Callable[[], Any],
    *,
    done: str | Callable[[Any], str],
    back: str,
    incomplete: str | None = None,
) -> Any:
    """A button that posts and returns to the page it sits on: the page is drawn anew by the
    redirect, so a refusal is flashed there, and ``incomplete`` when the form itself was not."""
    called = False

    def run() -> Any:
        nonlocal called
        called = True
        return call()

    outcome = submit(form, run, done=done, to=back)
    if not called and incomplete and form.is_submitted():
        flash(incomplete, "error")
    return outcome.response or redirect(back)


# The legal source of each deadline rule as the pages show it: the law's name in the user's language,
# without the [LAW]/[DESIGN] tags of the domain's notes (docs/DEADLINES.md keeps those).
RULE_SOURCES: dict[AlertRule, str] = {
    AlertRule.INTO_STORAGE: N_(
        "Provisions on the Management of Property Involved in Cases by Public Security Organs (2015)"
    ),
    AlertRule.UNRELATED_RELEASE: N_("Criminal Procedure Law, art. 145"),
    AlertRule.CHECKOUT_RETURN: N_(
        "Provisions on the Management of Property Involved in Cases by Public Security "
        "Organs: check-out only with approval, until the approved date"
    ),
    AlertRule.FREEZE_EXPIRY: N_(
        "Criminal Procedure Law, art. 144; Provisions on the Procedures for Handling "
        "Criminal Cases by Public Security Organs"
    ),
    AlertRule.SUPPLEMENTARY_INVESTIGATION: N_("Criminal Procedure Law, art. 175 (one month, at most twice)"),
    AlertRule.COURT_EXECUTION: N_(
        "Provisions on the Execution of the Property Parts of Criminal Judgments (2014)"
    ),
    AlertRule.UNCLAIMED_PROPERTY: N_(
        "Provisions on the Procedures for Handling Criminal Cases by Public Security "
        "Organs; Interpretation of the Criminal Procedure Law"
    ),
    AlertRule.HELD_AFTER_CLOSE: N_("Rule of this system: nothing stays held after the case is closed"),
}


@bp.app_template_global("bar_layout")
def bar_chart_layout(rows: list[Any], value: str = "count", fmt: Any = None) -> dict[str, Any]:
    """Where each bar, label and value of a statistics chart goes (custody.web.charts)."""

    def get(row: Any, name: str) -> Any:
        return row.get(name) if isinstance(row, dict) else getattr(row, name, None)

    labels = [_(get(r, "label")) if get(r, "label") else str(get(r, "key")) for r in rows]
    return charts.bar_layout(rows, labels, [get(r, value) or 0 for r in rows], fmt)


@bp.app_template_global("rule_source")
def rule_source(rule: Any) -> str:
    """A deadline rule's legal source in the user's language."""
    msgid = RULE_SOURCES.get(rule)
    return _(msgid) if msgid else ""


@bp.app_template_global("oversight_inbox_alerts")
def inbox_alerts(limit: int = INBOX_LIMIT) -> dict[str, Any]:
    """The signed-in user's most urgent alerts, for the inbox: ``{"rows", "total", "overdue"}``."""
    if not current_user.is_authenticated:
        return {"rows": [], "total": 0, "overdue": 0}
    if "oversight_inbox" not in g:
        found = alerts.alerts_for(db.session, current_actor())
        g.oversight_inbox = {
            "rows": found[:limit],
            "total": len(found),
            "overdue": sum(a.overdue for a in found),
        }
    return g.oversight_inbox


@bp.app_template_global("oversight_agency_name")
def agency_name(agency_id: int | None) -> str:
    return _agency_names().get(agency_id, "") if agency_id else ""


# -- alerts and the dashboard -----------------------------------------------------------------------


def _filtered_alerts(form: AlertFilterForm) -> list:
    form.rule.choices = _choices([("", _("All rules"))] + [(r.value, _(r.label)) for r in AlertRule])
    form.overdue.choices = _choices(
        [("", _("Overdue and approaching")), ("1", _("Overdue only")), ("0", _("Approaching only"))]
    )
    form.validate()
    rule = AlertRule(form.rule.data) if form.rule.data in {r.value for r in AlertRule} else None
    overdue = {"1": True, "0": False}.get(form.overdue.data or "")
    return alerts.filter_alerts(alerts.alerts_for(db.session, current_actor()), rule=rule, overdue=overdue)


@bp.get("/oversight/alerts", endpoint="alerts")
@login_required
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


@bp.get("/oversight/")
@login_required
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
        can_draw=_can(Action.DRAW_SPOT_CHECK),
        can_export=_can(Action.EXPORT_LEDGER),
        can_read_audit=_can(Action.READ_AUDIT_LOG),
        can_review_backdating=_can(Action.REVIEW_BACKDATING),
        can_count=_can(Action.CONDUCT_STOCKTAKE),
        shown_limit=PAGE_ALERTS,
    )


# -- stocktake ---------------------------------------------------------------------------------------


@bp.route("/oversight/stocktakes", methods=["GET", "POST"])
@login_required
def stocktakes():
    actor = current_actor()
    query = stocktake.stocktakes_query(actor)
    form = StocktakeStartForm()
    form.location_id.choices = _choices(_location_choices())

    outcome = submit(
        form,
        lambda: stocktake.start_stocktake(
            db.session, actor, location_id=form.location_id.data, note=form.note.data
        ),
        done=lambda record: _("Stocktake %(no)s started.", no=record.stocktake_no),
        to=lambda record: url_for("oversight.stocktake", stocktake_id=record.id),
    )
    return outcome.or_render(
        lambda: render_template(
            "oversight/stocktakes.html",
            page=paginate(query),
            form=form,
            can_count=_can(Action.CONDUCT_STOCKTAKE),
        )
    )


def _stocktake_context(record) -> dict[str, Any]:
    rows = stocktake.report_lines(db.session, record)
    tree = stocktake.Tree.load(db.session, record.centre_id)
    subtree = tree.subtree(record.root_location_id)
    return {
        "record": record,
        "rows": rows,
        "counts": stocktake.counts(stocktake.lines(db.session, record)),
        "results": list(StocktakeResult),
        "discrepancy_results": DISCREPANCIES,
        "locations": sorted(((loc, tree.path[loc]) for loc in subtree), key=lambda pair: pair[1]),
        "root_path": tree.path[record.root_location_id],
        "discrepancies": stocktake.list_discrepancies(db.session, current_actor(), stocktake_id=record.id)
        if record.status is StocktakeStatus.FINISHED
        else [],
    }


@bp.get("/oversight/stocktakes/<int:stocktake_id>", endpoint="stocktake")
@login_required
def stocktake_page(stocktake_id: int):
    actor = current_actor()
    record = stocktake.get_stocktake(db.session, actor, stocktake_id)
    context = _stocktake_context(record)
    form = ScanForm()
    form.location_id.choices = _choices([(loc, path) for loc, path in context["locations"]])
    at = request.args.get("at", "")
    form.location_id.data = (
        int(at) if at.isdecimal() and int(at) in dict(context["locations"]) else record.root_location_id
    )
    return render_template(
        "oversight/stocktake.html",
        form=form,
        finish_form=FinishForm(prefix="finish"),
        cancel_form=ReasonForm(prefix="cancel"),
        can_count=_can(Action.CONDUCT_STOCKTAKE),
        **context,
    )


@bp.post("/oversight/stocktakes/<int:stocktake_id>/scan")
@login_required
def stocktake_scan(stocktake_id: int):
    """A scan from the page's form, or from stocktake.js (Accept: application/json)."""
    actor = current_actor()
    form = ScanForm()
    record = stocktake.get_stocktake(db.session, actor, stocktake_id)
    form.location_id.choices = _choices(
        [
            (loc, str(loc))
            for loc in stocktake.Tree.load(db.session, record.centre_id).subtree(record.root_location_id)
        ]
    )
    json = _wants_json()
    if not form.validate_on_submit():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        if json:
            return jsonify(ok=False, message=message or _("Scan or type a label code.")), 422
        flash(message or _("Scan or type a label code."), "error")
        return redirect(url_for("oversight.stocktake", stocktake_id=stocktake_id))
    try:
        line = stocktake.scan(
            db.session,
            actor,
            stocktake_id,
            label_code=form.label_code.data,
            location_id=form.location_id.data or None,
        )
        db.session.commit()
    except DomainError as error:
        if not json:
            refuse(None, error)  # flashed on the page the redirect draws
            return redirect(url_for("oversight.stocktake", stocktake_id=stocktake_id))
        # stocktake.js shows the refusal beside the scan box; it is recorded as a page's would be.
        db.session.rollback()
        record_denial(error)
        return jsonify(
            ok=False, message=translate(error.message, error.params), code=error.code
        ), error.status
    if line.scan_count > 1:
        text = _(
            "%(code)s: scanned again (%(count)s times): %(result)s",
            code=line.label_code,
            count=line.scan_count,
            result=_(line.result.label),
        )
    else:
        text = _("%(code)s: %(result)s", code=line.label_code, result=_(line.result.label))
    if json:
        from custody.i18n import local_time

        record = stocktake.get_stocktake(db.session, actor, stocktake_id)
        return jsonify(
            ok=True,
            label_code=line.label_code,
            result=line.result.value,
            result_label=_(line.result.label),
            discrepancy=line.result in DISCREPANCIES,
            message=text,
            scan_count=line.scan_count,
            rescan=line.scan_count > 1,
            name=line.item.name if line.item else None,
            scanned_at=local_time(line.scanned_at, "short") if line.scanned_at else "",
            found_at=line.found_location.path if line.found_location else None,
            counts=stocktake.counts(stocktake.lines(db.session, record)),
        )
    flash(text, "error" if line.result in DISCREPANCIES else "success")
    return redirect(
        url_for("oversight.stocktake", stocktake_id=stocktake_id, at=form.location_id.data or None)
    )


@bp.post("/oversight/stocktakes/<int:stocktake_id>/finish")
@login_required
def stocktake_finish(stocktake_id: int):
    return post_back(
        FinishForm(prefix="finish"),
        lambda: stocktake.finish_stocktake(db.session, current_actor(), stocktake_id),
        done=lambda record: _("Stocktake %(no)s finished.", no=record.stocktake_no),
        back=url_for("oversight.stocktake", stocktake_id=stocktake_id),
    )


@bp.post("/oversight/stocktakes/<int:stocktake_id>/cancel")
@login_required
def stocktake_cancel(stocktake_id: int):
    form = ReasonForm(prefix="cancel")
    return post_back(
        form,
        lambda: stocktake.cancel_stocktake(
            db.session, current_actor(), stocktake_id, reason=form.reason.data
        ),
        done=_("Stocktake cancelled."),
        back=url_for("oversight.stocktake", stocktake_id=stocktake_id),
        incomplete=_("Give the reason for cancelling."),
    )


@bp.get("/oversight/stocktakes/<int:stocktake_id>/report.<fmt>")
@writes_on_get
@login_required
def stocktake_report(stocktake_id: int, fmt: str):
    if fmt not in ("pdf", "xlsx"):
        abort(404)
    record = stocktake.get_stocktake(db.session, current_actor(), stocktake_id)
    return stocktake_report_response(record, fmt, inline=fmt == "pdf")


@bp.route("/oversight/discrepancies", methods=["GET"])
@login_required
def discrepancies():
    actor = current_actor()
    wanted = request.args.get("status", "open")
    status = DiscrepancyStatus(wanted) if wanted in {s.value for s in DiscrepancyStatus} else None
    of = request.args.get("stocktake_id", "")
    page = paginate(
        stocktake.discrepancies_query(actor, status=status, stocktake_id=int(of) if of.isdecimal() else None)
    )
    return render_template(
        "oversight/discrepancies.html",
        page=page,
        status=wanted,
        form=ReasonForm(),
        can_resolve=actor.has_role(Role.APPROVER),
    )


@bp.post("/oversight/discrepancies/<int:discrepancy_id>/resolve")
@login_required
def discrepancy_resolve(discrepancy_id: int):
    form = ReasonForm()
    back = request.form.get("next") or ""
    return post_back(
        form,
        lambda: stocktake.resolve_discrepancy(
            db.session, current_actor(), discrepancy_id, reason=form.reason.data
        ),
        done=_("Discrepancy resolved."),
        back=back if back.startswith("/oversight/") else url_for("oversight.discrepancies"),
        incomplete=_("Give the reason for the resolution."),
    )


# -- spot checks -------------------------------------------------------------------------------------


def _spot_check_form() -> SpotCheckForm:
    form = SpotCheckForm()
    form.custodian_agency_id.choices = _choices(
        [("", _("Any agency"))] + _options(sorted(_agency_names().items()))
    )
    form.category.choices = _choices(
        [("", _("Any category"))] + [(c.value, _(c.label)) for c in ItemCategory]
    )
    form.location_id.choices = _choices([("", _("Anywhere"))] + _options(_location_choices()))
    return form


@bp.route("/oversight/spot-checks", methods=["GET", "POST"], endpoint="spot_checks")
@login_required
def spot_checks_page():
    actor = current_actor()
    form = _spot_check_form()

    def draw() -> Any:
        scope = spot_checks.Scope(
            custodian_agency_id=_optional_int(form.custodian_agency_id.data),
            category=enum_or_none(ItemCategory, form.category.data),
            location_id=_optional_int(form.location_id.data),
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
    can_draw = _can(Action.DRAW_SPOT_CHECK)
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


@bp.route("/oversight/spot-checks/<int:check_id>", methods=["GET", "POST"])
@login_required
def spot_check(check_id: int):
    actor = current_actor()
    check = spot_checks.get_spot_check(db.session, actor, check_id)
    form = ResultForm()
    form.result.choices = _choices(
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
    submitted_item = _optional_int(request.form.get("item_id")) if form.is_submitted() else None
    scope_rows = _scope_rows(check.scope or {})
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
        lines=spot_checks.assigned_items(db.session, actor, check),
        paths=tree_paths,
        verification=verification,
        pending=SpotCheckResult.PENDING,
    ), outcome.status


@bp.get("/oversight/spot-checks/<int:check_id>/record.pdf")
@login_required
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


# -- ledgers -------------------------------------------------------------------------------------------


def _ledger_form() -> LedgerForm:
    form = LedgerForm(request.args)
    form.agency_id.choices = _choices([("", _("My agency"))] + _options(sorted(_agency_names().items())))
    form.status.choices = _choices([("", _("Any status"))] + [(s.value, _(s.label)) for s in ItemStatus])
    form.category.choices = _choices(
        [("", _("Any category"))] + [(c.value, _(c.label)) for c in ItemCategory]
    )
    return form


@bp.get("/oversight/ledger")
@login_required
def ledger():
    require(current_actor(), Action.EXPORT_LEDGER)
    form = _ledger_form()
    form.validate()
    return render_template("oversight/ledger.html", form=form, args=request.args.to_dict())


@bp.get("/oversight/ledger/export")
@writes_on_get
@login_required
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


# -- statistics ----------------------------------------------------------------------------------------


@bp.get("/oversight/statistics", endpoint="statistics")
@login_required
def statistics_page():
    from custody.i18n import yuan

    stats = statistics.statistics(db.session, current_actor())
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


# -- back-dated entries (issue 14) -------------------------------------------------------------------


@bp.get("/oversight/backdated", endpoint="backdated")
@login_required
def backdated():
    """Storage steps dated earlier than recorded, for approvers and auditors."""
    from .timeline import Describer

    late_only = request.args.get("late") == "1"
    page = paginate(backdating.backdated_query(db.session, current_actor(), late_only=late_only))
    describer = Describer(db.session)
    rows = [(entry, *describer.describe(entry.event)) for entry in backdating.entries(db.session, page.rows)]
    return render_template("oversight/backdated.html", page=page, rows=rows, late_only=late_only)


# -- case milestones ---------------------------------------------------------------------------------


# The forms of a case's milestones page, by prefix, and what each says when its record is made.
MILESTONE_FORMS: dict[str, type[FlaskForm]] = {
    "judgment": JudgmentForm,
    "close": CloseCaseForm,
    "unrelated": UnrelatedForm,
    "notice": NoticeForm,
    "execution": ExecutionForm,
    "service": ServiceForm,
    "receipt": ReceiptForm,
    "order": OrderForm,
    "propose": ProposeOrdersForm,
    "ack": OrderReceiptForm,
}
MILESTONE_DONE = {
    "judgment": N_("Judgment recorded; the case is in execution."),
    "close": N_("The case is closed."),
    "unrelated": N_("Finding recorded: release the item within 3 days."),
    "notice": N_("Public notice recorded."),
    "execution": N_("Execution recorded."),
    "service": N_("Service recorded: the execution receipt is due within a month (a bank: 15 days)."),
    "receipt": N_("Execution receipt recorded."),
    "order": N_("Order recorded."),
    "propose": N_("Disposal requests proposed from the judgment's orders: they await approval."),
    "ack": N_("Execution receipt acknowledged; the order is closed."),
}
# The date a new record usually carries, filled in on an empty form.
MILESTONE_DATES = {"judgment": "effective_on", "unrelated": "found_on", "notice": "published_on"}


def _record_milestone(name: str, f: Any, actor: Any, case_id: int) -> Any:
    """The one service call of the milestones page's form ``name``."""
    session = db.session
    match name:
        case "judgment":
            return milestones.record_judgment(
                session, actor, case_id, judgment_no=f.judgment_no.data, effective_on=f.effective_on.data
            )
        case "close":
            return milestones.close_case(
                session, actor, case_id, legal_basis=f.legal_basis.data, reason=f.reason.data
            )
        case "unrelated":
            return milestones.mark_unrelated(
                session,
                actor,
                f.item_id.data,
                found_on=f.found_on.data,
                reason=f.reason.data,
                decision_doc_no=f.decision_doc_no.data,
            )
        case "notice":
            return milestones.publish_notice(
                session,
                actor,
                item_ids=f.item_ids.data,
                published_on=f.published_on.data,
                medium=f.medium.data,
                content=f.content.data,
                basis=NoticeBasis(f.basis.data or NoticeBasis.UNRELATED.value),
            )
        case "execution":
            return milestones.record_execution(
                session,
                actor,
                case_id,
                referred_on=f.referred_on.data,
                execution_case_no=f.execution_case_no.data,
                opened_on=f.opened_on.data,
                extended_until=f.extended_until.data,
                extension_approval=f.extension_approval.data,
            )
        case "service":
            return milestones.record_service(
                session,
                actor,
                case_id,
                holder_agency_id=f.holder_agency_id.data,
                institution=f.institution.data,
                served_on=f.served_on.data,
            )
        case "receipt":
            return milestones.record_execution_receipt(
                session,
                actor,
                case_id,
                f.service_id.data,
                receipt_no=f.receipt_no.data,
                received_on=f.received_on.data,
            )
        case "order":
            line = OrderLine(
                kind=OrderKind(f.kind.data),
                item_id=f.item_id.data,
                amount_fen=f.amount.data,
                victim_id=f.victim_id.data,
                recipient=f.recipient.data,
                note=f.note.data,
            )
            return judgment_orders.record_orders(session, actor, case_id, [line])
        case "propose":
            return judgment_orders.propose_from_orders(session, actor, case_id)
        case "ack":
            return judgment_orders.acknowledge_receipt(
                session, actor, f.order_id.data, receipt_no=f.receipt_no.data, received_on=f.received_on.data
            )
    raise ValueError(name)


def _milestone_forms(pages: PageForms, page: milestones.CaseMilestones, actor: Any) -> dict[str, Any]:
    """The page's forms, the posted one bound to the request, with the choices the case offers."""
    today = local_date(utcnow())
    forms = {
        name: pages.bind(
            cls,
            name,
            **({MILESTONE_DATES[name]: today} if name in MILESTONE_DATES and pages.posted != name else {}),
        )
        for name, cls in MILESTONE_FORMS.items()
    }
    items = [(i.id, f"{i.label_code} {i.name}") for i in page.held]
    forms["order"].item_id.choices = _choices([("", "—"), *items])
    forms["order"].victim_id.choices = _choices(
        [("", "—"), *((v.id, v.name) for v in restitution.victims_of(db.session, actor, page.case.id))]
    )
    forms["ack"].order_id.choices = _choices(
        [
            (o.id, f"{o.line_no}. {_(o.kind.label)} · {o.item.label_code if o.item else yuan(o.amount_fen)}")
            for o in page.receipts_awaited
        ]
    )
    names = _agency_names()
    forms["service"].holder_agency_id.choices = _choices(
        [("", "—"), *((a, names.get(a, str(a))) for a in page.holders)]
    )
    forms["receipt"].service_id.choices = _choices(
        [
            (
                sv.id,
                f"{names.get(sv.holder_agency_id, '') if sv.holder_agency_id else sv.institution} · {sv.served_on.isoformat()}",
            )
            for sv in page.services_awaiting_receipt
        ]
    )
    mine = _choices([(i.id, f"{i.label_code} {i.name}") for i in page.mine])
    forms["unrelated"].item_id.choices = mine
    forms["notice"].item_ids.choices = mine
    return forms


@bp.route("/oversight/cases/<int:case_id>", methods=["GET", "POST"])
@login_required
def case_milestones(case_id: int):
    actor = current_actor()
    page = milestones.case_milestones(db.session, actor, case_id)
    pages = PageForms(*MILESTONE_FORMS)
    forms = _milestone_forms(pages, page, actor)
    status = 200
    if pages.posted is not None:
        name, form = pages.posted, forms[pages.posted]
        outcome = submit(
            form,
            lambda: _record_milestone(name, form, actor, page.case.id),
            done=_(MILESTONE_DONE[name]),
            to=url_for("oversight.case_milestones", case_id=page.case.id),
            aliases=ORDER_FIELDS if name == "order" else None,
        )
        if outcome.response is not None:
            return outcome.response
        status = outcome.status
    return render_template(
        "oversight/case_milestones.html",
        page=page,
        case=page.case,
        forms=forms,
        can=page.can,
        agency_names=_agency_names(),
        case_alerts=[a for a in alerts.alerts_for(db.session, actor) if a.case_id == page.case.id],
    ), status


# -- owner lookup (public) -------------------------------------------------------------------------------


@bp.route("/lookup", methods=["GET", "POST"], endpoint="owner_lookup")
def owner_lookup_page():
    form = OwnerLookupForm()
    result = None
    status = 200
    if form.validate_on_submit():
        # A victim's lookup number (BHR-…) looks up their restitution status; any other, a seizure list.
        result = (
            owner_lookup.victim_lookup(
                db.session, lookup_no=form.list_no.data, code=form.code.data, origin=request_origin()
            )
            if is_victim_lookup_no(form.list_no.data)
            else owner_lookup.lookup(
                db.session, list_no=form.list_no.data, code=form.code.data, origin=request_origin()
            )
        )
        db.session.commit()
        if result.outcome is LookupOutcome.LIMITED:
            status = 429
        elif result.outcome is LookupOutcome.FAILURE:
            status = 404
        form.code.data = ""
    elif form.is_submitted():
        status = 422
    response = Response(
        render_template(
            "oversight/owner_lookup.html",
            form=form,
            result=result,
            minutes=int(FAILURE_WINDOW.total_seconds() // 60),
        ),
        status=status,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# -- the audit log's witnesses (docs/LEDGER.md §11) ----------------------------------------------------


@bp.get("/oversight/witnesses")
@login_required
def witnesses():
    """Who cosigned the latest checkpoint and when, who is missing or lagging, what was refused."""
    from custody.audit.ledger import current_settings
    from custody.audit.witnessing import witness_overview

    require(current_actor(), Action.READ_AUDIT_LOG)
    return render_template("oversight/witnesses.html", o=witness_overview(db.session, current_settings()))
