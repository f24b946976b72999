"""Stocktakes (the scan page, finishing, cancelling, the report) and the discrepancies they found."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from custody.access import current_actor
from custody.database import writes_on_get
from custody.domain.errors import DomainError
from custody.domain.policy import Action
from custody.domain.stocktake import DISCREPANCIES, DiscrepancyStatus, StocktakeResult, StocktakeStatus
from custody.downloads import stocktake_report_response
from custody.errors import record_denial, translate
from custody.extensions import db
from custody.services import stocktake

from ..forms import options
from ..forms.oversight import FinishForm, ReasonForm, ScanForm, StocktakeStartForm
from ..helpers import paginate, refuse, submit
from .common import bp, can_do, location_choices, post_back, wants_json


@bp.route("/stocktakes", methods=["GET", "POST"])
def stocktakes():
    actor = current_actor()
    query = stocktake.stocktakes_query(actor)
    form = StocktakeStartForm()
    form.location_id.choices = options(location_choices())

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
            can_count=can_do(Action.CONDUCT_STOCKTAKE),
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


@bp.get("/stocktakes/<int:stocktake_id>", endpoint="stocktake")
def stocktake_page(stocktake_id: int):
    actor = current_actor()
    record = stocktake.get_stocktake(db.session, actor, stocktake_id)
    context = _stocktake_context(record)
    form = ScanForm()
    form.location_id.choices = options([(loc, path) for loc, path in context["locations"]])
    at = request.args.get("at", "")
    form.location_id.data = (
        int(at) if at.isdecimal() and int(at) in dict(context["locations"]) else record.root_location_id
    )
    return render_template(
        "oversight/stocktake.html",
        form=form,
        finish_form=FinishForm(prefix="finish"),
        cancel_form=ReasonForm(prefix="cancel"),
        can_count=stocktake.may_count(actor, record),
        **context,
    )


@bp.post("/stocktakes/<int:stocktake_id>/scan")
def stocktake_scan(stocktake_id: int):
    """A scan from the page's form, or from stocktake.js (Accept: application/json)."""
    actor = current_actor()
    form = ScanForm()
    record = stocktake.get_stocktake(db.session, actor, stocktake_id)
    form.location_id.choices = options(
        [
            (loc, str(loc))
            for loc in stocktake.Tree.load(db.session, record.centre_id).subtree(record.root_location_id)
        ]
    )
    json = wants_json()
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


@bp.post("/stocktakes/<int:stocktake_id>/finish")
def stocktake_finish(stocktake_id: int):
    return post_back(
        FinishForm(prefix="finish"),
        lambda: stocktake.finish_stocktake(db.session, current_actor(), stocktake_id),
        done=lambda record: _("Stocktake %(no)s finished.", no=record.stocktake_no),
        back=url_for("oversight.stocktake", stocktake_id=stocktake_id),
    )


@bp.post("/stocktakes/<int:stocktake_id>/cancel")
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


@bp.get("/stocktakes/<int:stocktake_id>/report.<fmt>")
@writes_on_get
def stocktake_report(stocktake_id: int, fmt: str):
    if fmt not in ("pdf", "xlsx"):
        abort(404)
    record = stocktake.get_stocktake(db.session, current_actor(), stocktake_id)
    return stocktake_report_response(record, fmt, inline=fmt == "pdf")


@bp.route("/discrepancies", methods=["GET"])
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
        resolvable={d.id for d in page.rows if stocktake.may_resolve(actor, d)},
    )


@bp.post("/discrepancies/<int:discrepancy_id>/resolve")
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
