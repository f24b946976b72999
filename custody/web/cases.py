"""Cases, seizure lists and registration pages: open a case, register items (with a photo),
bulk import a seizure list, print the seizure list (扣押清单)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from custody.access import current_actor
from custody.database import writes_on_get
from custody.domain.actor import Actor
from custody.domain.cases import ORIGINS, CaseMoveKind, CaseOrigin
from custody.domain.clock import local_date
from custody.domain.enums import CaseStage, HolderSignature, Measure
from custody.domain.i18n import N_
from custody.domain.owner_lookup import format_code
from custody.domain.personal_data import sees_personal_data, shown
from custody.domain.policy import Action, Relation, allowed, require
from custody.extensions import db
from custody.models.case import Case, SeizureList
from custody.orm import utcnow
from custody.printing import SeizureLine, seizure_list_pdf
from custody.printing import SeizureList as PrintedSeizureList
from custody.services import (
    case_moves,
    cases,
    milestones,
)
from custody.services.actions import case_actions
from custody.services.overviews import case_overview
from custody.services.visibility import get_case

from .forms import CaseForm, CaseMoveForm, CaseSearchForm, MergeForm, enum_choices, options
from .forms.oversight import JudgmentForm
from .helpers import (
    PageForms,
    Submission,
    confirmation_redirect,
    label_msgid,
    paginate,
    printed,
    send_document,
    submit,
)
from .particulars import printed_particulars, printed_quantity

bp = Blueprint("cases", __name__, url_prefix="/cases")
CASE_ITEMS_SHOWN = 200

SUMMARY_LABELS = {
    "no_items": N_("No items yet"),
    "awaiting_check_in": N_("Some items await check-in"),
    "transfer_pending": N_("Transfer awaiting sign-for"),
    "in_custody": N_("In custody"),
    "all_disposed": N_("All items disposed of"),
}


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here needs a login; the services decide what each agency may see and do."""


def upload_dir() -> Path:
    return Path(current_app.config["CUSTODY_UPLOAD_DIR"])


def _handler(actor: Actor, case: Case) -> set[Relation]:
    return {Relation.CASE_HANDLER} if case.handling_agency_id == actor.agency_id else set()


# -- list and open ---------------------------------------------------------------------------


@bp.get("/")
def index():
    actor = current_actor()
    form = CaseSearchForm(formdata=request.args)
    form.stage.choices = enum_choices(CaseStage, blank=_("Any stage"))
    form.validate()
    stage = CaseStage(form.stage.data) if form.stage.data in {s.value for s in CaseStage} else None
    page = paginate(cases.list_cases_query(actor, stage=stage, q=(form.q.data or "").strip() or None))
    summaries = cases.case_summaries(db.session, [case.id for case in page.rows])
    return render_template(
        "cases/index.html",
        form=form,
        page=page,
        summaries=summaries,
        summary_labels=SUMMARY_LABELS,
        can_open=allowed(actor, Action.OPEN_CASE),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    actor = current_actor()
    require(actor, Action.OPEN_CASE)
    form = CaseForm()
    # The origins this agency may open (domain/cases.ORIGINS): police 立案; procuratorate 自侦 or a
    # supervisory referral; court 自诉.
    origins = [o for o, (kind, _stage) in ORIGINS.items() if kind is actor.agency_kind]
    form.origin.choices = options([(o.value, _(o.label)) for o in origins])
    if not form.origin.data:
        form.origin.data = origins[0].value if origins else ""

    def open_() -> Case:
        origin = CaseOrigin(form.origin.data) if form.origin.data else CaseOrigin.POLICE_FILING
        return cases.open_case(
            db.session,
            actor,
            origin=origin,
            police_case_no=form.police_case_no.data,
            case_no=form.police_case_no.data,
            referring_body=form.referring_body.data,
            title=form.title.data,
            filed_on=form.filed_on.data,
            summary=form.summary.data,
        )

    return submit(
        form,
        open_,
        done=lambda case: _("Case %(no)s opened. Register the seized items next.", no=case.first_number),
        to=lambda case: url_for("cases.detail", case_id=case.id),
    ).or_render(lambda: render_template("cases/new.html", form=form))


# -- the case page ---------------------------------------------------------------------------


@bp.get("/<int:case_id>")
def detail(case_id: int):
    return _detail_page(case_id)


@bp.post("/<int:case_id>/judgment")
def record_judgment(case_id: int):
    """判决生效 from the case page: the court records its judgment where it reads the case."""
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    form = JudgmentForm(prefix="judgment")

    outcome = submit(
        form,
        lambda: milestones.record_judgment(
            db.session, actor, case.id, judgment_no=form.judgment_no.data, effective_on=form.effective_on.data
        ),
        done=_("Judgment recorded; the case is in execution."),
        to=url_for("cases.detail", case_id=case.id, _anchor="case-judgment"),
    )
    return outcome.response or _detail_page(case_id, judgment_form=form, status=outcome.status)


def _detail_page(case_id: int, *, judgment_form: JudgmentForm | None = None, status: int = 200) -> Any:
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    summary = cases.case_summary(db.session, case.id)
    seen = case_overview(db.session, actor, case, items_shown=CASE_ITEMS_SHOWN)
    may = case_actions(db.session, actor, case)
    can = {
        "register": "register" in may,
        "transfer": "transfer" in may,
        # Whoever sees the case sees its deadlines; the forms there are offered by permission.
        "milestones": True,
        "moves": "move_case" in may,
        "audit": allowed(actor, Action.READ_AUDIT_LOG),
        "judgment": "record_judgment" in may,
    }
    if judgment_form is None:
        judgment_form = JudgmentForm(prefix="judgment", formdata=None)
        judgment_form.effective_on.data = local_date(utcnow())
    # Each item's outcome: the judgment's order on it (the latest, should a reopened order repeat it).
    outcomes = {order.item_id: order for order in seen.orders if order.item_id is not None}
    return render_template(
        "cases/detail.html",
        judgment=seen.judgment,
        judgment_court=seen.judgment_court,
        judgment_form=judgment_form,
        outcomes=outcomes,
        case=case,
        summary=summary,
        summary_labels=SUMMARY_LABELS,
        lists=seen.lists,
        items=seen.items,
        shown_limit=CASE_ITEMS_SHOWN,
        transfers=seen.transfers,
        checkouts=seen.checkouts,
        dispositions=seen.dispositions,
        can=can,
        actor=actor,
    ), status


# -- procedural moves (自侦 stage advance, supplementary inquiry, merge) -----------------------


@bp.route("/<int:case_id>/moves", methods=["GET", "POST"])
def moves(case_id: int):
    """The case file's procedural moves that are not a transfer: 自侦 to prosecution review inside the
    procuratorate, supplementary inquiry by the supervisory commission and its return, merging."""
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    relations = _handler(actor, case)
    pages = PageForms("advance", "inquiry", "inquiry_return", "merge")
    merge_form = pages.bind(MergeForm, "merge")
    forms: dict[str, Any] = {
        "advance": pages.bind(CaseMoveForm, "advance"),
        "inquiry": pages.bind(CaseMoveForm, "inquiry"),
        "inquiry_return": pages.bind(CaseMoveForm, "inquiry_return"),
        "merge": merge_form,
    }
    others = cases.merge_targets(db.session, actor, case)
    merge_form.into_case_id.choices = options([(c.id, f"{c.first_number} · {c.title}") for c in others])
    calls = {
        "advance": lambda f: case_moves.advance_stage(
            db.session, actor, case.id, doc_no=f.doc_no.data, occurred_on=f.occurred_on.data, note=f.note.data
        ),
        "inquiry": lambda f: case_moves.send_for_inquiry(
            db.session, actor, case.id, doc_no=f.doc_no.data, occurred_on=f.occurred_on.data, note=f.note.data
        ),
        "inquiry_return": lambda f: case_moves.record_inquiry_return(
            db.session, actor, case.id, doc_no=f.doc_no.data, occurred_on=f.occurred_on.data, note=f.note.data
        ),
        "merge": lambda f: case_moves.merge_case(
            db.session,
            actor,
            case.id,
            into_case_id=f.into_case_id.data,
            doc_no=f.doc_no.data,
            note=f.note.data,
        ),
    }
    done_messages = {
        "advance": _("Investigation concluded: the case is under prosecution review."),
        "inquiry": _("The case went back to the supervisory commission for supplementary inquiry."),
        "inquiry_return": _("Supplementary inquiry recorded as completed."),
        "merge": _("The case was merged; its items now belong to the other case."),
    }
    outcome = Submission(None, 200)
    if pages.posted is not None:
        require(actor, Action.MOVE_CASE, relations)
        posted, form = pages.posted, forms[pages.posted]
        outcome = submit(
            form,
            lambda: calls[posted](form),
            done=done_messages[posted],
            to=lambda _result: url_for(
                "cases.detail", case_id=form.into_case_id.data if posted == "merge" else case.id
            ),
        )
        if outcome.response is not None:
            return outcome.response
    case_history = list(db.session.scalars(case_moves.moves_query(case.id)))
    may = "move_case" in case_actions(db.session, actor, case)
    return render_template(
        "cases/moves.html",
        case=case,
        forms=forms,
        may=may,
        moves=case_history,
        rounds=case_moves.inquiry_rounds(db.session, case.id),
        CaseOrigin=CaseOrigin,
        CaseStage=CaseStage,
        CaseMoveKind=CaseMoveKind,
    ), outcome.status


# -- printing --------------------------------------------------------------------------------


@bp.get("/<int:case_id>/seizure-lists/<int:list_id>.pdf")
@writes_on_get
def seizure_list(case_id: int, list_id: int):
    """扣押清单 of one seizure list, with signature lines."""
    actor = current_actor()
    case = get_case(db.session, actor, case_id)
    sl, rows = cases.seizure_list_with_items(db.session, case, list_id)
    measure = rows[0].measure if rows else Measure.SEIZED
    full = sees_personal_data(actor, sl.created_by.agency_id)  # the agency that drew the list up
    if full and (confirm := confirmation_redirect()) is not None:
        return confirm  # the list shows holders' names and ID numbers unmasked
    statuses: dict[HolderSignature, Literal["signed", "absent", "refused"]] = {
        HolderSignature.SIGNED: "signed",
        HolderSignature.ABSENT: "absent",
        HolderSignature.REFUSED: "refused",
    }
    status = statuses[sl.holder_signature]
    lines = [
        SeizureLine(
            label_code=i.label_code,
            name=i.name,
            quantity=printed_quantity(i),
            features=printed_particulars(i),
            notes=i.condition_at_seizure or "",
        )
        for i in rows
    ]
    pdf = seizure_list_pdf(
        PrintedSeizureList(
            case_no=case.first_number,
            case_title=case.title,
            holder=shown("holder_name", sl.holder_name, full=full) or "",
            seized_at=sl.seized_at,
            place=sl.place or "",
            officers=[o for o in (sl.officers or "").replace(",", "、").split("、") if o],
            lines=lines,
            list_no=sl.list_no,
            agency=(case.police_agency or case.handling_agency).name,
            measure=printed(label_msgid(measure)),
            document_no=next((i.measure_doc_no for i in rows if i.measure_doc_no), ""),
            holder_id_no=shown("holder_id_no", sl.holder_id_no, full=full) or "",
            holder_status=status,
            holder_note=sl.holder_signature_note or "",
            witness=sl.witness or "",
            notes=_verification_note(sl),
        ),
        footer=f"{(case.police_agency or case.handling_agency).name} · {sl.list_no}",
    )
    return send_document(
        pdf, f"扣押清单-{sl.list_no}.pdf", document="seizure_list", object_id=sl.id, list_no=sl.list_no
    )


def _verification_note(sl: SeizureList) -> str:
    """The code and where the holder uses it (issue 18): the public lookup page's address."""
    return f"持有人查询码：{format_code(sl.verification_code)}，查询网址：{public_lookup_url()}"


def public_lookup_url() -> str:
    """The owner-lookup page's address as the public reaches it: ``CUSTODY_PUBLIC_LOOKUP_URL`` when set
    (the centre's published address), else built from the host this page was requested on."""
    return current_app.config.get("CUSTODY_PUBLIC_LOOKUP_URL") or url_for(
        "lookup.owner_lookup", _external=True
    )


# The registration pages, in a module of their own (routes of this blueprint, registered with it).
from . import cases_registration  # noqa: E402, F401
