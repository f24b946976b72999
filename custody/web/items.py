"""Item search, the item page (four dimensions, photos, workflows, timeline), photos and labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from custody.access import current_actor
from custody.database import run_apart, writes_on_get
from custody.domain import clock
from custody.domain.actor import Actor
from custody.domain.enums import (
    AgencyKind,
    AttachmentKind,
    ItemCategory,
    ItemStatus,
)
from custody.domain.errors import Conflict, InvalidInput
from custody.domain.i18n import N_
from custody.domain.items import ItemFacts, derive_status, detail_warnings
from custody.domain.lifecycle import (
    CorrectionStatus,
    is_overdue,
)
from custody.domain.personal_data import sees_personal_data, shown
from custody.domain.policy import Action, Relation, allowed
from custody.downloads import stored_file_response
from custody.extensions import db
from custody.models.item import Item
from custody.orm import utcnow
from custody.printing import Label, label_sheet_pdf, qr_svg
from custody.services import accounts, cases, items, storage
from custody.services.actions import item_actions
from custody.services.items import ItemQuery
from custody.services.overviews import item_overview
from custody.services.visibility import get_item, sees_everything

from .forms import DETAIL_LABELS, ItemSearchForm, PhotoForm, enum_choices, options
from .helpers import (
    enum_label,
    enum_or_none,
    label_msgid,
    link_to,
    paginate,
    send_document,
    submit,
)
from .timeline import FIELD_LABELS, Describer, item_events

bp = Blueprint("items", __name__, url_prefix="/items")
MAX_LABELS = 2000


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here needs a login; visibility is decided by the services (404 otherwise)."""


def upload_dir() -> Path:
    return Path(current_app.config["CUSTODY_UPLOAD_DIR"])


@bp.app_template_filter("item_status_label")
def _item_status_label(value: str) -> str:
    try:
        return label_msgid(ItemStatus(value))
    except ValueError:
        return value


@bp.app_template_global("correction_value")
def correction_value(field: str, value: Any, full_personal: bool) -> str:
    """A corrected field's value in words; personal data masked outside the custodian agency."""
    return Describer(db.session, full_personal=full_personal).field_value(field, value)


# -- search ----------------------------------------------------------------------------------


def _search_choices(form: ItemSearchForm, actor: Actor) -> None:
    recent_cases = db.session.scalars(cases.list_cases_query(actor).limit(300))
    form.case_id.choices = options(
        [("", _("Any case"))] + [(str(c.id), f"{c.first_number} · {c.title}") for c in recent_cases]
    )
    # A centre operator is never a custodian.
    agencies = [a for a in accounts.list_agencies(db.session) if a.kind is not AgencyKind.CENTRE_OPERATOR]
    form.custodian.choices = options(
        [("", _("Any custodian"))]
        + [
            (k.value, _("Any %(kind)s", kind=enum_label(k)))
            for k in AgencyKind
            if k is not AgencyKind.CENTRE_OPERATOR
        ]
        + [(str(a.id), a.name) for a in agencies]
    )
    form.status.choices = enum_choices(ItemStatus, blank=_("Any status"))
    form.category.choices = enum_choices(ItemCategory, blank=_("Any category"))
    locations = storage.active_locations(db.session)
    form.location_id.choices = options(
        [("", _("Any location"))] + [(str(loc.id), loc.path) for loc in locations]
    )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdecimal() else None


@bp.get("/")
def index():
    actor = current_actor()
    form = ItemSearchForm(formdata=request.args)
    _search_choices(form, actor)
    form.validate()
    # Invalid values (a bad date, an unknown option) show as field errors and are left out.
    valid = {name for name, field in form._fields.items() if not field.errors}

    def value(name: str) -> Any:
        return getattr(form, name).data if name in valid else None

    query = ItemQuery(
        case_id=_int_or_none(value("case_id")),
        custodian=value("custodian") or None,
        status=enum_or_none(ItemStatus, value("status")),
        category=enum_or_none(ItemCategory, value("category")),
        location_id=_int_or_none(value("location_id")),
        seized_from=value("seized_from"),
        seized_to=value("seized_to"),
        q=(value("q") or "").strip() or None,
        flagged=True if value("flagged") else None,
        overdue=True if value("overdue") else None,
        sort=value("sort") or "-id",
    )
    page = paginate(
        items.items_query(actor, query).options(joinedload(Item.case)),
        count_limit=current_app.config["CUSTODY_LIST_COUNT_LIMIT"],
        keys=items.items_page_keys(db.session, actor, query),
    )
    items.mark_overdue(db.session, page.rows)
    searched = any(key != "page" for key in request.args)
    return render_template("items/index.html", form=form, page=page, searched=searched), (
        422 if form.errors else 200
    )


# -- the item page -------------------------------------------------------------------------------


def actions_for(item: Item, allowed_now: list[str]) -> list[tuple[str, str, bool]]:
    """(label, url, primary) of what this user may do with the item now (``allowed_now``, from
    ``services.actions.item_actions``), in the order of its life."""
    links: dict[str, tuple[str, str | None, bool]] = {
        "check_in": (_("Check in"), url_for("storage.check_in", code=item.label_code), True),
        "bring_in": (_("Bring into the centre"), url_for("storage.bring_in", item_id=item.id), False),
        "move": (_("Move"), url_for("storage.move", item_id=item.id), False),
        "record_external": (
            _("Record external placement"),
            url_for("storage.external", item_id=item.id),
            False,
        ),
        "record_condition": (_("Record condition"), url_for("storage.condition", item_id=item.id), False),
        "transfer": (
            _("Start a new transfer"),
            url_for("transfers.new", case_id=item.case_id, item_ids=item.id),
            False,
        ),
        "request_checkout": (
            _("Request check-out"),
            link_to("lifecycle.checkout_new", item_ids=item.id),
            False,
        ),
        "propose_disposition": (
            _("Propose disposal"),
            link_to("lifecycle.disposition_new", item_ids=item.id),
            False,
        ),
        "record_freeze": (_("Record a freeze"), link_to("lifecycle.freeze_new", item_id=item.id), False),
        "propose_correction": (
            _("Propose a correction"),
            link_to("lifecycle.correction_new", item_id=item.id),
            False,
        ),
    }
    shown = [links[name] for name in allowed_now if name in links]
    return [(label, url, primary) for label, url, primary in shown if url]


# The row of the item page that shows each correctable field (several fields share a row).
CORRECTION_ROWS = {
    "unit": "quantity",
    "owner_id_no": "owner_name",
    "owner_contact": "owner_name",
    "ownership_clear": "owner_name",
    "measure_doc_no": "measure",
    "measure_date": "measure",
}


def corrected_rows(item_corrections: list[Any]) -> dict[str, Any]:
    """{row: the latest approved correction shown on it}. A correction of the category details is
    shown on each detail it changed (``details.<key>``), not on the first detail row."""
    rows: dict[str, Any] = {}
    for correction in sorted(item_corrections, key=lambda c: c.id):
        if correction.status is not CorrectionStatus.APPROVED:
            continue
        if correction.field == "details":
            old = correction.old_value if isinstance(correction.old_value, dict) else {}
            new = correction.new_value if isinstance(correction.new_value, dict) else {}
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    rows[f"details.{key}"] = correction
        else:
            rows[CORRECTION_ROWS.get(correction.field, correction.field)] = correction
    return rows


def _record_check(item: Item) -> dict[str, Any]:
    """The auditor's badge: the item's history checked and its live row replayed against it — the
    same check as ``flask custody verify-audit`` and ``GET /api/v1/audit/verify`` (nothing recorded)."""
    from custody.audit.ledger import current_settings
    from custody.audit.verification import verify_item
    from custody.errors import translate

    report = verify_item(db.session, current_settings(), item, None, max_problems=5)
    return {
        "ok": report.ok,
        "events": report.events,
        "problems": [translate(p.message, p.params) for p in report.problems],
        "more": report.problem_count - len(report.problems),
    }


def _item_page(item: Item, actor: Actor, photo_form: PhotoForm, status: int = 200) -> tuple[str, int]:
    now = utcnow()
    disposed = (
        derive_status(ItemFacts(item.custody_state, item.location_state, item.disposition_status))
        is ItemStatus.DISPOSED
    )
    full_personal = sees_personal_data(actor, item.custodian_agency_id)
    allowed_now = item_actions(actor, item)
    seen = item_overview(db.session, actor, item, now)
    # Loaded with the item (get_item(detail=True)); the page lists the latest first.
    item_corrections = sorted(item.corrections, key=lambda c: c.id, reverse=True)
    corrected = corrected_rows(item_corrections)
    describer = Describer(db.session, full_personal=full_personal)
    entries = describer.timeline(item_events(db.session, item.id))
    return render_template(
        "items/detail.html",
        item=item,
        case=item.case,
        actor=actor,
        full_personal=full_personal,
        owner_name=shown("owner_name", item.owner_name, full=full_personal),
        owner_id_no=shown("owner_id_no", item.owner_id_no, full=full_personal),
        owner_contact=shown("owner_contact", item.owner_contact, full=full_personal),
        details=shown("details", item.details or {}, full=full_personal),
        checkout_now=seen.checkout_now,
        checkout_overdue=bool(
            seen.checkout_now and is_overdue(seen.checkout_now.status, seen.checkout_now.due_at, now)
        ),
        checkouts=seen.checkouts,
        freezes=seen.freezes,
        corrections=item_corrections,
        corrected=corrected,
        dispositions=seen.dispositions,
        transfer_lines=seen.transfer_lines,
        pending_line=seen.pending_line,
        entries=entries,
        auditor=sees_everything(actor),
        actions=actions_for(item, allowed_now),
        can_attach="attach" in allowed_now,
        photo_form=photo_form,
        qr=Markup(qr_svg(item.label_code, scale=4)),
        detail_labels=DETAIL_LABELS,
        field_labels=FIELD_LABELS,
        source_item=seen.source_item,
        proceeds=seen.proceeds,
        can_audit=allowed(actor, Action.READ_AUDIT_LOG),
        record_check=_record_check(item) if allowed(actor, Action.READ_AUDIT_LOG) else None,
        valuable_missing=() if disposed else items.missing_records(item),
        disposed=disposed,
        detail_warnings=detail_warnings(item.category, item.details),
        can_correct=allowed(
            actor,
            Action.PROPOSE_CORRECTION,
            {Relation.CUSTODIAN} if item.custodian_agency_id == actor.agency_id else set(),
        ),
    ), status


@bp.route("/<int:item_id>", methods=["GET", "POST"])
def detail(item_id: int):
    """The item: four dimensions, photos, workflows and the readable history. POST adds a photo."""
    actor = current_actor()
    item = get_item(db.session, actor, item_id, detail=True)
    form = PhotoForm()

    def attach() -> Any:
        upload = form.file.data
        return items.add_attachment(
            db.session,
            actor,
            item.id,
            filename=upload.filename or "upload",
            content=upload.read(),
            declared_type=upload.mimetype,
            kind=AttachmentKind(form.kind.data),
            upload_dir=upload_dir(),
            description=form.description.data or None,
        )

    outcome = submit(
        form,
        attach,
        done=_("File added; its SHA-256 is now part of the item's history."),
        to=url_for("items.detail", item_id=item.id) + "#photos",
    )
    if outcome.response is not None:
        return outcome.response
    if outcome.status not in (200, 422):  # refused and rolled back: the item as it is now
        item = get_item(db.session, actor, item_id, detail=True)
    return _item_page(item, actor, form, outcome.status)


# -- photos --------------------------------------------------------------------------------------


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    """A photo or document, checked for visibility and against its recorded SHA-256 first.

    ``?thumb=1`` on an image gives its stored thumbnail (made once at upload; for an image from
    before thumbnails were stored, made now and recorded, once)."""
    actor = current_actor()
    if request.args.get("thumb"):
        try:
            thumb = items.read_thumbnail(db.session, actor, attachment_id, upload_dir())
        except Conflict as refused:
            if refused.code != "attachment.no_thumbnail":
                raise
        else:  # an image: its stored thumbnail
            if thumb.made_now:
                run_apart(lambda: _record_thumbnail(attachment_id, thumb.sha256))
            original = thumb.attachment.sha256
            return stored_file_response(
                thumb.content, thumb.content_type, etag=thumb.sha256, original=original
            )
    record, content = items.read_attachment(db.session, actor, attachment_id, upload_dir())
    return stored_file_response(content, record.content_type, etag=record.sha256, original=record.sha256)


def _record_thumbnail(attachment_id: int, digest: str) -> None:
    """In a short transaction of its own whose first statement writes (no stale read on SQLite)."""
    items.record_thumbnail(db.session, attachment_id, digest)
    db.session.commit()


# -- labels --------------------------------------------------------------------------------------


@bp.get("/labels.pdf")
@writes_on_get
def labels():
    """A sheet of QR labels for the chosen items (or every item of a case)."""
    from .helpers import int_list

    actor = current_actor()
    ids = int_list(request.args.getlist("item_ids"))
    case_id = _int_or_none(request.args.get("case_id"))
    if not ids and case_id is None:
        flash(_("Choose at least one item."), "error")
        return redirect(
            request.referrer
            if request.referrer and request.referrer.startswith(request.host_url)
            else url_for("items.index")
        )
    stmt = items.items_query(actor, ItemQuery(case_id=case_id, sort="label_code"))
    if ids:
        stmt = stmt.where(Item.id.in_(ids))
    rows = list(db.session.scalars(stmt.limit(MAX_LABELS)))
    if not rows:
        raise InvalidInput(N_("Choose at least one item."))
    case_numbers = cases.first_numbers(db.session, {item.case_id for item in rows})
    skip = _int_or_none(request.args.get("skip")) or 0
    pdf = label_sheet_pdf(
        [
            Label(code=item.label_code, name=item.name, case_no=case_numbers.get(item.case_id, ""))
            for item in rows
        ],
        skip=min(skip, 23),
    )
    return send_document(
        pdf,
        f"标签-{clock.today().isoformat()}.pdf",
        document="label_sheet",
        object_id=None,
        item_ids=[item.id for item in rows],
    )
