"""Money pages (issue 13): bank-statement reconciliation (对账) of the agency's case-money accounts.
Routes of the ``money`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from custody.access import current_actor
from custody.database import outside_transaction, writes_on_get
from custody.domain.actor import Actor
from custody.domain.errors import DomainError, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.money import MovementKind
from custody.domain.policy import Action, Relation, require
from custody.downloads import reconciliation_report_response
from custody.errors import translate_extra
from custody.extensions import db
from custody.services import money, reconciliation
from custody.services.imports import ImportRejected
from custody.services.reconciliation import yuan

from .forms import options
from .helpers import enum_label, refuse, submit
from .money import bp
from .money_forms import ManualMatchForm, ResolveForm, StatementUploadForm

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
        except DomainError as error:
            # Not ``submit``: a rejected statement's report (each row's errors) is drawn on the page.
            status = refuse(form, error)
            if isinstance(error, ImportRejected):
                report = translate_extra(error.extra)["rows"]
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

    def call() -> None:
        if action == "match":
            chosen = form.movement_id.data or ""
            if not chosen.isdecimal() or len(chosen) > 18:
                raise InvalidInput(
                    N_("Choose a movement."), fields={"movement_id": [N_("Choose a movement.")]}
                )
            reconciliation.match_line(
                db.session, actor, statement_id, record_id, movement_id=int(chosen), reason=form.reason.data
            )
        elif side == "lines":
            reconciliation.resolve_line(db.session, actor, statement_id, record_id, reason=form.reason.data)
        else:
            reconciliation.resolve_movement(
                db.session, actor, statement_id, record_id, reason=form.reason.data
            )

    if action == "match":
        message = _("Line matched.")
    else:
        message = _("Line resolved.") if side == "lines" else _("Movement resolved.")
    outcome = submit(form, call, done=message, to=url_for("money.statement", statement_id=statement_id))
    return outcome.response or _statement_page(actor, statement_id, outcome.status, **{key: form})


@bp.get("/money/statements/<int:statement_id>/report.<any(pdf, xlsx):fmt>")
@writes_on_get
def statement_report(statement_id: int, fmt: str):
    return reconciliation_report_response(statement_id, fmt, inline=fmt == "pdf")
