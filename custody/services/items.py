"""Registration of seizure lists and items, attachments, and item queries."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    UnaryExpression,
    and_,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
    union,
    update,
)
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql import operators

from custody.audit.canonical import salted_digest
from custody.domain.actor import Actor
from custody.domain.clock import local_date, start_of_local_day
from custody.domain.enums import (
    AgencyKind,
    AttachmentKind,
    CaseStage,
    CustodyState,
    DispositionStatus,
    ExternalKind,
    HolderSignature,
    ItemCategory,
    ItemStatus,
    LocationState,
    Measure,
    Role,
)
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.domain.i18n import N_
from custody.domain.items import (
    CLOCK_SKEW,
    IDENTIFYING_DETAILS,
    MASKED_DETAILS,
    Registration,
    check_registration,
    check_valuable_documented,
    default_keeping,
    ensure_not_disposed,
    initial_location,
    parse_quantity,
    valuable_missing,
)
from custody.domain.lifecycle import CheckoutStatus
from custody.domain.owner_lookup import CODE_ALPHABET, CODE_LENGTH
from custody.domain.policy import Action, Relation, require
from custody.models.agency import Agency
from custody.models.case import Case, SeizureList
from custody.models.item import Attachment, Item
from custody.models.lifecycle import Checkout, CheckoutLine
from custody.models.user import User
from custody.orm import utcnow

from . import images, numbers
from .cases import case_event
from .item_events import append_item_event, registration_data
from .search import contains_text
from .storage import facts
from .visibility import get_case, get_item, item_filter, item_sources

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Accepted file types, recognised by their first bytes (the declared type must agree).
MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}
# Where a 登记保存 item is kept when the officer names no place: the holder's identity stays on the
# seizure list, never in the item's (permanent) history.
WITH_HOLDER_PLACE = "持有人处"
# Where an account or right is kept when its details name no institution.
INSTITUTION_PLACE = "开户机构"


def _handler_relations(actor: Actor, case: Case) -> set[Relation]:
    return {Relation.CASE_HANDLER} if case.handling_agency_id == actor.agency_id else set()


def registrable_case(session: Session, actor: Actor, case_id: int) -> Case:
    case = get_case(session, actor, case_id)
    require(actor, Action.REGISTER_ITEM, _handler_relations(actor, case))
    if case.stage is CaseStage.CLOSED:
        raise Conflict(N_("The case is closed."), code="case.closed")
    return case


@dataclass(frozen=True)
class SeizureListInput:
    seized_at: datetime
    place: str | None = None
    holder_name: str | None = None
    holder_id_no: str | None = None
    holder_contact: str | None = None
    holder_signature: HolderSignature = HolderSignature.SIGNED
    holder_signature_note: str | None = None
    officers: str | None = None
    witness: str | None = None
    second_officer: str | None = None  # 程序规定 art. 229: 执行查封、扣押的侦查人员不得少于二人
    # 程序规定 art. 194 ¶3: no qualified witness could be had — recorded on audio-video, and noted here.
    witness_note: str | None = None
    # Evidence obtained (调取) in the pre-filing check may predate the filing (程序规定 art. 174 ¶2).
    obtained_before_filing: bool = False


def _staff_names(session: Session, agency_id: int) -> set[str]:
    return {
        "".join(n.split())
        for n in session.scalars(select(User.display_name).where(User.agency_id == agency_id))
    }


def _new_seizure_list(session: Session, actor: Actor, case: Case, data: SeizureListInput) -> SeizureList:
    errors: dict[str, list[str]] = {}
    now = utcnow()
    if data.seized_at > now + CLOCK_SKEW:
        errors["seized_at"] = [N_("In the future.")]
    elif local_date(data.seized_at) < case.filed_on and not data.obtained_before_filing:
        errors["seized_at"] = [N_("Earlier than the date the case was opened.")]
    witness = (data.witness or "").strip()
    if (
        witness
        and actor.agency_kind is AgencyKind.POLICE
        and "".join(witness.split()) in _staff_names(session, actor.agency_id)
    ):
        # [LAW] 程序规定 art. 194 ¶2(三): the police's own staff may not be the witness.
        errors["witness"] = [
            N_("The police's own staff may not witness: invite a citizen, or note why none could.")
        ]
    for name, value, limit in (
        ("second_officer", data.second_officer, 64),
        ("witness_note", data.witness_note, 200),
    ):
        if value is not None and len(value) > limit:
            errors[name] = [N_("Too long.")]
    if data.holder_signature is not HolderSignature.SIGNED and not (data.holder_signature_note or "").strip():
        # [LAW] the list notes why the holder did not sign (absent or refused).
        errors["holder_signature_note"] = [N_("Note why the holder did not sign.")]
    if errors:
        raise InvalidInput(N_("The seizure list has errors."), fields=errors)
    seizure_list = SeizureList(
        list_no=numbers.seizure_list_no(session, actor.agency_code, now.year),
        case_id=case.id,
        seized_at=data.seized_at,
        place=data.place,
        holder_name=data.holder_name,
        holder_id_no=data.holder_id_no,
        holder_contact=data.holder_contact,
        holder_signature=data.holder_signature,
        holder_signature_note=data.holder_signature_note,
        officers=data.officers or actor.display_name,
        witness=data.witness,
        second_officer=(data.second_officer or "").strip() or None,
        witness_note=(data.witness_note or "").strip() or None,
        verification_code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        created_by_id=actor.user_id,
    )
    session.add(seizure_list)
    session.flush()
    case_event(
        session,
        actor,
        case,
        "seizure_list.create",
        seizure_list_id=seizure_list.id,
        list_no=seizure_list.list_no,
        seized_at=seizure_list.seized_at,
        holder_signature=seizure_list.holder_signature,
    )
    return seizure_list


def _drawn_up_by(agency_id: int) -> ColumnElement[bool]:
    """Seizure lists drawn up by ``agency_id``: the only ones that agency may add items to."""
    return SeizureList.created_by_id.in_(select(User.id).where(User.agency_id == agency_id))


def lists_to_add_to(session: Session, actor: Actor, case: Case) -> list[SeizureList]:
    """The case's seizure lists the actor's agency may add items to (``seizure_list_to_add_to``)."""
    return list(
        session.scalars(
            select(SeizureList)
            .where(SeizureList.case_id == case.id, _drawn_up_by(actor.agency_id))
            .order_by(SeizureList.id)
        )
    )


def seizure_list_to_add_to(session: Session, actor: Actor, case: Case, seizure_list_id: int) -> SeizureList:
    """An existing seizure list of ``case`` that the actor's agency may add items to: only the agency
    that drew it up (the holder signed a list of that agency's seizure, not anyone else's)."""
    seizure_list = session.get(SeizureList, seizure_list_id)
    if seizure_list is None or seizure_list.case_id != case.id:
        raise InvalidInput(
            N_("The seizure list does not belong to this case."),
            fields={"seizure_list_id": [N_("Not a list of this case.")]},
        )
    if (
        session.scalar(
            select(SeizureList.id).where(SeizureList.id == seizure_list.id, _drawn_up_by(actor.agency_id))
        )
        is None
    ):
        raise PermissionDenied(
            N_(
                "Only the agency that drew up seizure list %(list_no)s may add items to it; start a new list."
            ),
            code="seizure_list.other_agency",
            fields={"seizure_list_id": [N_("Drawn up by another agency.")]},
            list_no=seizure_list.list_no,
        )
    return seizure_list


def create_seizure_list(session: Session, actor: Actor, case_id: int, data: SeizureListInput) -> SeizureList:
    return _new_seizure_list(session, actor, registrable_case(session, actor, case_id), data)


@dataclass(frozen=True)
class ItemInput:
    """One item as entered (API body, form or import row); ``check_registration`` validates it."""

    name: str
    category: ItemCategory
    quantity: Decimal | str | int
    unit: str
    measure: Measure = Measure.SEIZED
    measure_doc_no: str | None = None
    measure_date: date | None = None  # default: the local date of seized_at
    seized_at: datetime | None = None  # default: now
    seizure_list_id: int | None = None
    features: str | None = None
    specification: str | None = None
    condition_at_seizure: str | None = None
    source: str | None = None
    is_perishable: bool = False
    estimated_value_fen: int | None = None
    details: dict[str, Any] | None = None
    owner_name: str | None = None
    owner_id_no: str | None = None
    owner_contact: str | None = None
    ownership_clear: bool = False
    external_kind: ExternalKind | None = None
    external_place: str | None = None
    external_contact: str | None = None
    # Used to create a one-off seizure list when ``seizure_list_id`` is not given.
    seizure_list: SeizureListInput | None = None


def new_personal_data_salt() -> str:
    """A fresh per-item salt: 16 random bytes as 32 lower-case hex digits."""
    return secrets.token_hex(16)


def personal_data_digest(salt: str | None, value: Any) -> str:
    """A salted commitment to personal data: ``SHA-256(salt || canonical JSON of value)``.

    The permanent record holds only this digest; the salt stays on the item row (never in an event),
    so the digest cannot be brute-forced from the few unknown digits of a phone or ID number, while
    the custodian can still prove a value by revealing it with the salt (docs/LEDGER.md §5.6).
    """
    return salted_digest(salt or "", value)  # refuses a missing salt: never an unsalted digest


def owner_data_digest(item: Item) -> str:
    """The registration commitment: the owner's name, ID number and contact, in that order."""
    return personal_data_digest(
        item.personal_data_salt, [item.owner_name, item.owner_id_no, item.owner_contact]
    )


def register_item(session: Session, actor: Actor, case_id: int, data: ItemInput) -> Item:
    """Register one seized item on a case the actor's agency handles; it starts in its custody."""
    return register_on_case(session, actor, registrable_case(session, actor, case_id), data)


def register_on_case(
    session: Session,
    actor: Actor,
    case: Case,
    data: ItemInput,
    *,
    label_code: str | None = None,
    checked_list: SeizureList | None = None,
) -> Item:
    """``register_item`` for a case already loaded and checked with ``registrable_case`` (bulk import
    checks the case and its seizure list once — ``checked_list``, from ``seizure_list_to_add_to`` or
    just created — and reserves its label numbers in one step)."""
    now = utcnow()
    seized_at = data.seized_at or now
    measure_date = data.measure_date or local_date(seized_at)
    measure_doc_no = (data.measure_doc_no or "").strip() or None
    quantity = parse_quantity(data.quantity)
    details = _checked_details(data, case, now, seized_at, measure_date, measure_doc_no, quantity)
    external_kind, external_place = _where_kept(data, details)
    seizure_list = (
        checked_list if checked_list is not None else _seizure_list_for(session, actor, case, data, seized_at)
    )
    location_state = initial_location(data.measure, external_kind)
    if location_state is LocationState.WITH_HOLDER:
        external_kind = ExternalKind.WITH_HOLDER
    item = Item(
        label_code=label_code or numbers.label_code(session, actor.agency_code, now.year),
        case_id=case.id,
        seizure_list_id=seizure_list.id,
        name=data.name.strip(),
        category=data.category,
        quantity=quantity,
        unit=data.unit.strip(),
        features=data.features,
        specification=data.specification,
        condition_at_seizure=data.condition_at_seizure,
        source=data.source,
        is_perishable=data.is_perishable,
        estimated_value_fen=data.estimated_value_fen,
        details=details,
        owner_name=data.owner_name,
        owner_id_no=data.owner_id_no,
        owner_contact=data.owner_contact,
        ownership_clear=data.ownership_clear,
        measure=data.measure,
        measure_doc_no=measure_doc_no,
        measure_date=measure_date,
        seized_at=seized_at,
        seized_by_id=actor.user_id,
        custodian_agency_id=actor.agency_id,
        custody_state=CustodyState.HELD,
        location_state=location_state,
        external_kind=external_kind,
        external_place=external_place or (WITH_HOLDER_PLACE if external_kind else None),
        external_contact=data.external_contact,
        disposition_status=DispositionStatus.NONE,
        personal_data_salt=new_personal_data_salt(),
    )
    session.add(item)
    session.flush()
    append_item_event(
        session,
        item,
        actor,
        "item.register",
        occurred_at=seized_at,
        data={**registration_data(item), "seizure_list_no": seizure_list.list_no},
    )
    return item


def _checked_details(
    data: ItemInput,
    case: Case,
    now: datetime,
    seized_at: datetime,
    measure_date: date,
    measure_doc_no: str | None,
    quantity: Decimal,
) -> dict[str, Any]:
    """The registration checked by the domain rule (``check_registration``): its cleaned details."""
    try:
        return check_registration(
            Registration(
                name=data.name,
                category=data.category,
                quantity=quantity,
                unit=data.unit,
                measure=data.measure,
                measure_doc_no=measure_doc_no,
                measure_date=measure_date,
                seized_at=seized_at,
                estimated_value_fen=data.estimated_value_fen,
                details=data.details or {},
            ),
            case_filed_on=case.filed_on,
            now=now,
        )
    except InvalidInput as error:
        if data.measure_date is None and "seized_at" in error.fields:
            error.fields.pop("measure_date", None)  # taken from seized_at: one mistake, reported once
        raise


def _where_kept(data: ItemInput, details: dict[str, Any]) -> tuple[ExternalKind | None, str | None]:
    """Where an item kept outside the centre is: what the officer states wins; otherwise accounts
    stay at their bank (``default_keeping``)."""
    if (
        data.external_kind is not None
        and not (data.external_place or "").strip()
        and data.external_kind is not ExternalKind.WITH_HOLDER
    ):
        raise InvalidInput(N_("Say where the item is kept."), fields={"external_place": [N_("Required.")]})
    external_kind = data.external_kind
    external_place = (data.external_place or "").strip() or None
    if external_kind is None:
        default = default_keeping(data.category, data.measure, details)
        if default is not None:
            external_kind = default[0]
            external_place = external_place or default[1] or INSTITUTION_PLACE
    return external_kind, external_place


def _seizure_list_for(
    session: Session, actor: Actor, case: Case, data: ItemInput, seized_at: datetime
) -> SeizureList:
    """The seizure list the item is added to: the one named, else a new one for this item."""
    if data.seizure_list_id is not None:
        return seizure_list_to_add_to(session, actor, case, data.seizure_list_id)
    list_input = data.seizure_list or SeizureListInput(seized_at=seized_at)
    if data.measure is Measure.OBTAINED and not list_input.obtained_before_filing:
        list_input = replace(list_input, obtained_before_filing=True)
    return _new_seizure_list(session, actor, case, list_input)


# -- attachments ----------------------------------------------------------------------------


def _sniff(content: bytes) -> str | None:
    for content_type, signatures in MAGIC.items():
        if any(content.startswith(sig) for sig in signatures):
            return content_type
    return None


def store_blob(upload_dir: Path, content: bytes, digest: str) -> Path:
    """Write content-addressed: the same bytes are stored once; writes are atomic (rename)."""
    target = upload_dir / digest[:2] / digest
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    os.replace(tmp, target)
    return target


def add_attachment(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    filename: str,
    content: bytes,
    declared_type: str | None,
    kind: AttachmentKind,
    upload_dir: Path,
    description: str | None = None,
) -> Attachment:
    """Attach a photo or document; its SHA-256 enters the item's history (tamper evidence)."""
    from .storage import require_keeper
    from .visibility import lock_items

    [item] = lock_items(session, actor, [item_id])
    # The custodian's officers and keepers; a centre operator's keepers for the item in their centre.
    actor = require_keeper(session, actor, Action.ATTACH_FILE, item)
    ensure_not_disposed(facts(item))
    if not content:
        raise InvalidInput(N_("The file is empty."), fields={"file": [N_("The file is empty.")]})
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(N_("The file is larger than 20 MB."), fields={"file": [N_("Larger than 20 MB.")]})
    sniffed = _sniff(content)
    if sniffed is None:
        raise InvalidInput(
            N_("Only JPEG, PNG and PDF files are accepted."),
            fields={"file": [N_("Only JPEG, PNG and PDF files are accepted.")]},
        )
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared and declared not in ("application/octet-stream", sniffed):
        raise InvalidInput(
            N_("The file's content does not match its declared type."),
            fields={"file": [N_("Content does not match the declared type.")]},
        )
    if kind is AttachmentKind.PHOTO and not sniffed.startswith("image/"):
        raise InvalidInput(N_("A photo must be a JPEG or PNG image."), fields={"file": [N_("Not an image.")]})
    digest = hashlib.sha256(content).hexdigest()
    # [DESIGN, issue 18] The same file (same SHA-256) is attached to an item once: a second upload of
    # it adds nothing to the record, only a duplicate picture.
    already = session.scalar(
        select(Attachment.filename).where(Attachment.item_id == item.id, Attachment.sha256 == digest).limit(1)
    )
    if already is not None:
        raise Conflict(
            N_("This file is already attached to the item (as %(filename)s)."),
            code="attachment.duplicate",
            filename=already,
        )
    thumbnail_digest = None
    if sniffed in images.FORMATS:
        # Decoded for real (bounded), whatever the kind: a photo must be a picture, not just its first
        # bytes; its thumbnail is made now, once, and stored beside it.
        checked = images.examine(content, sniffed)
        thumbnail_digest = hashlib.sha256(checked.thumbnail).hexdigest()
        store_blob(upload_dir, checked.thumbnail, thumbnail_digest)
    store_blob(upload_dir, content, digest)
    attachment = Attachment(
        item_id=item.id,
        kind=kind,
        filename=Path(filename or "upload").name[:200],
        content_type=sniffed,
        size_bytes=len(content),
        sha256=digest,
        thumbnail_sha256=thumbnail_digest,
        description=(description or None),
        uploaded_by_id=actor.user_id,
    )
    session.add(attachment)
    session.flush()
    append_item_event(
        session,
        item,
        actor,
        "item.attachment_add",
        data={
            "attachment_id": attachment.id,
            "kind": kind,
            "filename": attachment.filename,
            "content_type": sniffed,
            "size_bytes": len(content),
            "sha256": digest,
        },
    )
    return attachment


def _read_blob(upload_dir: Path, digest: str) -> bytes:
    """Stored bytes, checked against their recorded SHA-256 before they are handed out."""
    path = upload_dir / digest[:2] / digest
    try:
        content = path.read_bytes()
    except FileNotFoundError as exc:
        raise Conflict(N_("The stored file is missing."), code="attachment.missing") from exc
    if hashlib.sha256(content).hexdigest() != digest:
        raise Conflict(
            N_("The stored file does not match its recorded SHA-256: it was altered."),
            code="attachment.corrupted",
        )
    return content


def _visible_attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.attachment")
    get_item(session, actor, attachment.item_id)  # visibility
    return attachment


def read_attachment(
    session: Session, actor: Actor, attachment_id: int, upload_dir: Path
) -> tuple[Attachment, bytes]:
    """The stored bytes, checked against the recorded SHA-256 before they are handed out."""
    attachment = _visible_attachment(session, actor, attachment_id)
    return attachment, _read_blob(upload_dir, attachment.sha256)


@dataclass(frozen=True)
class Thumbnail:
    attachment: Attachment
    content: bytes
    content_type: str
    sha256: str
    made_now: bool  # an image from before thumbnails were stored: record it with ``record_thumbnail``


def read_thumbnail(session: Session, actor: Actor, attachment_id: int, upload_dir: Path) -> Thumbnail:
    """The stored thumbnail of an image attachment, checked against its recorded SHA-256.

    An image uploaded before thumbnails were stored gets one made now from its verified original
    (decoded with the same bounds as an upload) and stored; the caller records its hash with
    ``record_thumbnail``, so this happens once. An old "image" that does not decode is refused
    (409 ``attachment.not_an_image``)."""
    attachment = _visible_attachment(session, actor, attachment_id)
    if attachment.content_type not in images.FORMATS:
        raise Conflict(N_("Only images have thumbnails."), code="attachment.no_thumbnail")
    kind = images.thumbnail_type(attachment.content_type)
    if attachment.thumbnail_sha256:
        content = _read_blob(upload_dir, attachment.thumbnail_sha256)
        return Thumbnail(attachment, content, kind, attachment.thumbnail_sha256, made_now=False)
    original = _read_blob(upload_dir, attachment.sha256)
    try:
        checked = images.examine(original, attachment.content_type)
    except InvalidInput as exc:
        raise Conflict(exc.message, code=exc.code, **exc.params) from exc
    digest = hashlib.sha256(checked.thumbnail).hexdigest()
    store_blob(upload_dir, checked.thumbnail, digest)
    return Thumbnail(attachment, checked.thumbnail, checked.thumbnail_type, digest, made_now=True)


def record_thumbnail(session: Session, attachment_id: int, digest: str) -> None:
    """Record the hash of a thumbnail made for an older image (once: a second maker changes nothing)."""
    session.execute(
        update(Attachment)
        .where(Attachment.id == attachment_id, Attachment.thumbnail_sha256.is_(None))
        .values(thumbnail_sha256=digest)
    )


# -- queries --------------------------------------------------------------------------------

_PENDING_DISPOSAL = (DispositionStatus.PROPOSED, DispositionStatus.APPROVED)


def status_clause(status: ItemStatus) -> ColumnElement[bool]:
    """SQL for ``derive_status(item) == status`` (kept in step with it by a test)."""
    disposed = or_(
        Item.disposition_status == DispositionStatus.EXECUTED, Item.location_state == LocationState.GONE
    )
    if status is ItemStatus.DISPOSED:
        return disposed
    in_transfer = Item.custody_state == CustodyState.IN_TRANSFER
    if status is ItemStatus.IN_TRANSFER:
        return and_(not_(disposed), in_transfer)
    pending = Item.disposition_status.in_(_PENDING_DISPOSAL)
    if status is ItemStatus.DISPOSAL_PENDING:
        return and_(not_(disposed), not_(in_transfer), pending)
    location = LocationState(status.value)
    return and_(not_(disposed), not_(in_transfer), not_(pending), Item.location_state == location)


# Details searched as text (IMEI, plate, VIN, serial and registry numbers...): the identifying
# particulars every viewer sees on printed lists, except account numbers (tail digits only, below).
SEARCHED_DETAILS: tuple[str, ...] = tuple(
    sorted({key for keys in IDENTIFYING_DETAILS.values() for key in keys} - MASKED_DETAILS)
)
ACCOUNT_TAIL = 4  # digits of an account number anyone may search by: those printed (``****4455``)


def personal_data_clause(actor: Actor) -> ColumnElement[bool]:
    """SQL for ``sees_personal_data(actor, item.custodian_agency_id)`` (kept in step by a test)."""
    if actor.has_role(Role.AUDITOR):
        return true()
    if not actor.roles - {Role.ADMIN}:
        return false()
    return Item.custodian_agency_id == actor.agency_id


def search_clause(actor: Actor, q: str | None) -> ColumnElement[bool] | None:
    """The item search box [DESIGN, issue 18]: ``q`` as literal text in the item's name, label code,
    features, identifying details (IMEI, plate, VIN, serial/registry numbers...), its seizure list's
    number and its case's number of every authority; an account number's last digits; and the
    owner's and holder's names only on items whose personal data the actor sees in full (for
    others a name never matches, so a search reveals nothing a masked page hides)."""
    text = (q or "").strip()
    if not text:
        return None

    def has(*columns: Any) -> ColumnElement[bool]:
        clause = contains_text(text, *columns)
        assert clause is not None  # text is not empty
        return clause

    details = [Item.details[key].as_string() for key in SEARCHED_DETAILS]
    clauses: list[ColumnElement[bool]] = [
        has(Item.name, Item.label_code, Item.features, *details),
        Item.seizure_list_id.in_(select(SeizureList.id).where(has(SeizureList.list_no))),
        Item.case_id.in_(
            select(Case.id).where(
                has(
                    Case.police_case_no,
                    Case.procuratorate_case_no,
                    Case.court_case_no,
                    Case.appeal_case_no,
                )
            )
        ),
    ]
    if text.isdecimal() and len(text) <= ACCOUNT_TAIL:
        account = [Item.details[key].as_string() for key in sorted(MASKED_DETAILS)]
        clauses.append(or_(*(column.endswith(text, autoescape=True) for column in account)))
    full = personal_data_clause(actor)
    clauses.append(
        and_(
            full,
            or_(
                has(Item.owner_name),
                Item.seizure_list_id.in_(
                    select(SeizureList.id)
                    .join(User, User.id == SeizureList.created_by_id)
                    .where(
                        has(SeizureList.holder_name),
                        # the holder's data: the agency that drew the list up (API schema rule)
                        User.agency_id == actor.agency_id if not actor.has_role(Role.AUDITOR) else true(),
                    )
                ),
            ),
        )
    )
    return or_(*clauses)


@dataclass(frozen=True)
class ItemQuery:
    label_code: str | None = None
    case_id: int | None = None
    custodian: str | None = None  # agency id, or kind: police / procuratorate / court
    status: ItemStatus | None = None
    category: ItemCategory | None = None
    location_id: int | None = None
    seized_from: date | None = None
    seized_to: date | None = None
    q: str | None = None
    flagged: bool | None = None
    overdue: bool | None = None
    sort: str = "-id"


SORTS: dict[str, UnaryExpression[Any]] = {
    "id": Item.id.asc(),
    "-id": Item.id.desc(),
    "seized_at": Item.seized_at.asc(),
    "-seized_at": Item.seized_at.desc(),
    "label_code": Item.label_code.asc(),
    "-label_code": Item.label_code.desc(),
    "name": Item.name.asc(),
    "-name": Item.name.desc(),
    "value": Item.estimated_value_fen.asc(),
    "-value": Item.estimated_value_fen.desc(),
}


def items_query(actor: Actor, query: ItemQuery, *, visible: ColumnElement[bool] | None = None) -> Select[Any]:
    """The items ``actor`` may see that match ``query``, in its order. ``visible``: one of
    ``item_sources`` in place of the whole visibility filter (``items_page_keys``)."""
    conditions = [item_filter(actor) if visible is None else visible, *_field_conditions(query)]
    if query.custodian:
        conditions.append(_custodian_condition(query.custodian))
    matches = search_clause(actor, query.q)
    if matches is not None:
        conditions.append(matches)
    if query.flagged is not None:
        conditions.append(Item.flag_reason.is_not(None) if query.flagged else Item.flag_reason.is_(None))
    if query.overdue is not None:
        late = Item.id.in_(overdue_item_ids())
        conditions.append(late if query.overdue else ~late)
    if query.sort not in SORTS:
        raise InvalidInput(N_("Unknown sort order."), fields={"sort": [N_("Unknown sort order.")]})
    return select(Item).where(*conditions).order_by(SORTS[query.sort], Item.id.desc())


def items_page_keys(session: Session, actor: Actor, query: ItemQuery) -> Any:
    """On PostgreSQL, a function of (limit, offset) giving the ids of that page of
    ``items_query(actor, query)``, in its order: the union of one query per visibility source
    (``item_sources``), each ordered and cut at limit + offset. Each source is a semi-join the
    planner can estimate, so for an agency that sees many items it walks the id index and stops at
    the page's end, and for one that sees few it starts from them; through the whole filter's arrays
    it could not tell, and read every item a district sees to show 50 (issue 15: 12 ms → 1 ms at
    200k items). None elsewhere (SQLite plans the whole filter well: tests/services/test_scale_plans.py)
    and for actors who see everything or nothing."""
    sources = item_sources(actor)
    if sources is None or session.get_bind().dialect.name != "postgresql":
        return None
    order = SORTS.get(query.sort)
    if order is None or order.modifier not in (operators.asc_op, operators.desc_op):
        return None  # an unknown sort, or one this union cannot repeat (NULLS, COLLATE): the plain page
    column = order.element

    def keys(limit: int, offset: int) -> Select[Any]:
        branches = [
            items_query(actor, query, visible=source)
            .with_only_columns(Item.id, column.label("sort_key"))
            .limit(limit + offset)
            for source in sources
        ]
        page = union(*branches).subquery()
        again = page.c.sort_key.desc() if order.modifier is operators.desc_op else page.c.sort_key.asc()
        return select(page.c.id).order_by(again, page.c.id.desc()).limit(limit).offset(offset)

    return keys


def _field_conditions(query: ItemQuery) -> list[Any]:
    """The filters that compare one column with the value given."""
    wanted = [
        (query.label_code, lambda v: Item.label_code == v.strip().upper()),
        (query.case_id, lambda v: Item.case_id == v),
        (query.status, status_clause),
        (query.category, lambda v: Item.category == v),
        (query.location_id, lambda v: Item.storage_location_id == v),
        (query.seized_from, lambda v: Item.seized_at >= start_of_local_day(v)),
        (query.seized_to, lambda v: Item.seized_at < start_of_local_day(v + timedelta(days=1))),
    ]
    return [condition(value) for value, condition in wanted if value is not None and value != ""]


def _custodian_condition(custodian: str) -> Any:
    """An agency's id, or a kind of agency (every police agency, say)."""
    if custodian.isdecimal():
        return Item.custodian_agency_id == int(custodian)
    try:
        kind = AgencyKind(custodian)
    except ValueError as exc:
        raise InvalidInput(
            N_("Unknown custodian."),
            fields={"custodian": [N_("An agency id, or police / procuratorate / court.")]},
        ) from exc
    return Item.custodian_agency_id.in_(select(Agency.id).where(Agency.kind == kind))


def overdue_item_ids() -> Select[Any]:
    """Items out on a released check-out past its due time (late returns raise alerts)."""
    return (
        select(CheckoutLine.item_id)
        .join(Checkout, Checkout.id == CheckoutLine.checkout_id)
        .where(
            Checkout.status == CheckoutStatus.RELEASED,
            CheckoutLine.returned_at.is_(None),
            Checkout.due_at < utcnow(),
        )
    )


def mark_overdue(session: Session, page: list[Item]) -> list[Item]:
    """Set ``item.overdue`` for a page of items with one query (shown in lists)."""
    ids = {item.id for item in page}
    late = set(session.scalars(overdue_item_ids().where(CheckoutLine.item_id.in_(ids)))) if ids else set()
    for item in page:
        item.overdue = item.id in late
    return page


# -- valuables: photographed and valued [DESIGN] ------------------------------------------------


def has_photo(item: Item) -> bool:
    """Asked of the database, not of a possibly stale ``item.attachments`` collection."""
    session = object_session(item)
    if session is None:
        return any(a.kind is AttachmentKind.PHOTO for a in item.attachments)
    return bool(
        session.scalar(
            select(exists().where(Attachment.item_id == item.id, Attachment.kind == AttachmentKind.PHOTO))
        )
    )


def missing_records(item: Item) -> tuple[str, ...]:
    """What this valuable still lacks: "photo", "value" (``domain.items.valuable_missing``)."""
    if item.category is not ItemCategory.VALUABLES:
        return ()  # nothing to ask the database
    return valuable_missing(
        item.category, has_photo=has_photo(item), is_valued=item.estimated_value_fen is not None
    )


def require_documented(item: Item) -> None:
    """409 ``item.valuable_undocumented`` for a valuable without photo or value (transfer, disposal)."""
    check_valuable_documented(
        item.label_code,
        item.category,
        has_photo=has_photo(item),
        is_valued=item.estimated_value_fen is not None,
    )


def _photographed() -> ColumnElement[bool]:
    return exists(
        select(Attachment.id).where(Attachment.item_id == Item.id, Attachment.kind == AttachmentKind.PHOTO)
    )


def undocumented_clause() -> ColumnElement[bool]:
    """SQL for ``missing_records(item) != ()`` (kept in step with it by a test)."""
    return and_(
        Item.category == ItemCategory.VALUABLES,
        or_(not_(_photographed()), Item.estimated_value_fen.is_(None)),
    )


def undocumented_valuables_query(actor: Actor) -> Select[Any]:
    """Valuables the actor's agency holds (not disposed of) still without a photo or an estimated
    value: the custodian's officers see them in their inbox until both are recorded."""
    return (
        select(Item)
        .where(
            item_filter(actor),
            Item.custodian_agency_id == actor.agency_id,
            undocumented_clause(),
            not_(status_clause(ItemStatus.DISPOSED)),
        )
        .order_by(Item.seized_at, Item.id)
    )


def held_items_count(session: Session, agency_id: int, case_id: int) -> int:
    """How many items of the case the agency still holds (custodian, not disposed of)."""
    return (
        session.scalar(
            select(func.count(Item.id)).where(
                Item.case_id == case_id,
                Item.custodian_agency_id == agency_id,
                not_(status_clause(ItemStatus.DISPOSED)),
            )
        )
        or 0
    )


def label_codes(session: Session, item_ids: set[int]) -> dict[int, str]:
    """{item id: label code} of the given items (the auditor's recent activity names them)."""
    if not item_ids:
        return {}
    return dict(session.execute(select(Item.id, Item.label_code).where(Item.id.in_(item_ids))).all())
