"""Items: search, detail, history, storage actions and attachments."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from custody.access import current_actor, login_required_api
from custody.downloads import stored_file_response
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.services import items, storage
from custody.services.visibility import get_item, require_item_visible

from .common import Blueprint, paginate
from .schemas import (
    AttachmentSchema,
    AttachmentUploadSchema,
    CheckInBatchSchema,
    CheckInReceiptSchema,
    CheckInSchema,
    ConditionSchema,
    EventSchema,
    ExternalSchema,
    ItemQuerySchema,
    ItemSchema,
    ItemSummarySchema,
    MoveBatchSchema,
    MoveSchema,
)

blp = Blueprint("api_items", __name__, url_prefix="/api/v1", description="Items, history and storage")


def upload_dir() -> Path:
    return Path(current_app.config["CUSTODY_UPLOAD_DIR"])


@blp.route("/items")
class Items(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ItemQuerySchema, location="query")
    @blp.response(200, ItemSummarySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Search items you may see; filter by label, case, custodian, status, category, location, dates."""
        actor, wanted = current_actor(), items.ItemQuery(**query)
        stmt = items.items_query(actor, wanted)
        keys = items.items_page_keys(db.session, actor, wanted)
        return items.mark_overdue(db.session, paginate(db.session, stmt, pagination_parameters, keys=keys))


@blp.route("/items/<int:item_id>")
class ItemById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, ItemSchema)
    def get(self, item_id: int):
        """An item with its four dimensions: measure, custodian_agency/custody, location, disposition."""
        return get_item(db.session, current_actor(), item_id, detail=True)


@blp.route("/items/<int:item_id>/events")
class ItemEvents(MethodView):
    decorators = [login_required_api]

    @blp.response(200, EventSchema(many=True))
    def get(self, item_id: int):
        """The item's history, oldest first (a hash chain: each event names its predecessor's hash)."""
        require_item_visible(db.session, current_actor(), item_id)
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.item_id == item_id).order_by(AuditEvent.item_seq)
        ).all()


def _storage_action(blueprint_path: str, schema, service, doc: str):
    @blp.route(blueprint_path, endpoint=service.__name__)
    class StorageAction(MethodView):
        decorators = [login_required_api]

        @blp.arguments(schema)
        @blp.response(200, ItemSchema)
        def post(self, data, item_id: int):
            item = service(db.session, current_actor(), item_id, **data)
            db.session.commit()
            return item

    StorageAction.post.__doc__ = doc
    return StorageAction


_storage_action(
    "/items/<int:item_id>/check-in",
    CheckInSchema,
    storage.check_in,
    "入库 — receive the item into a storage location (keeper of the custodian agency).",
)


@blp.route("/check-ins")
class CheckInBatch(MethodView):
    decorators = [login_required_api]

    @blp.arguments(CheckInBatchSchema)
    @blp.response(200, CheckInReceiptSchema)
    def post(self, data):
        """入库 of a scanned batch into one location: all or nothing. Every line is checked before
        anything is written; a batch with lines that cannot be checked in (kept outside the centre,
        disposed, in a transfer, another agency's, unknown, scanned twice, a location that cannot hold
        the item) is refused whole: 409 ``check_in.refused`` with ``lines`` naming each, and why.
        Answers the batch's hand-over record (入库交接单, number ``RK-…``) with its items."""
        codes = [code.strip().upper() for code in data.pop("label_codes")]
        receipt = storage.check_in_batch(db.session, current_actor(), codes, **data)
        db.session.commit()
        return receipt


@blp.route("/check-in-receipts/<receipt_no>")
class CheckInReceiptByNo(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CheckInReceiptSchema)
    def get(self, receipt_no: str):
        """One 入库交接单: the receiving keeper's agency, or an agency that may see every item on it
        (otherwise 404 ``not_found.receipt``)."""
        return storage.get_check_in_receipt(db.session, current_actor(), receipt_no)


@blp.route("/moves")
class MoveBatch(MethodView):
    decorators = [login_required_api]

    @blp.arguments(MoveBatchSchema)
    @blp.response(200, ItemSchema(many=True))
    def post(self, data):
        """移位 of a scanned batch into one location (scan the shelf, then the items): all or nothing.
        Every line is checked before anything is written; a batch with lines that cannot be moved
        (unknown, scanned twice, not in storage, another agency's, already there, in a transfer, a
        location that cannot hold the item) is refused whole: 409 ``move.refused`` with ``lines``
        naming each, and why. Answers the moved items, each with its own ``item.move`` event."""
        codes = [code.strip().upper() for code in data.pop("label_codes")]
        moved = storage.move_batch(db.session, current_actor(), codes, **data)
        db.session.commit()
        return moved


_storage_action(
    "/items/<int:item_id>/move", MoveSchema, storage.move, "Move a stored item to another location (keeper)."
)
_storage_action(
    "/items/<int:item_id>/external",
    ExternalSchema,
    storage.record_external,
    "Record that the item is kept outside the centre: with the holder, a bank, an impound lot (keeper).",
)
_storage_action(
    "/items/<int:item_id>/condition",
    ConditionSchema,
    storage.record_condition,
    "Record the item's condition (keeper).",
)


@blp.route("/items/<int:item_id>/attachments")
class ItemAttachments(MethodView):
    decorators = [login_required_api]

    @blp.response(200, AttachmentSchema(many=True))
    def get(self, item_id: int):
        return get_item(db.session, current_actor(), item_id).attachments

    @blp.arguments(AttachmentUploadSchema, location="files")
    @blp.response(201, AttachmentSchema)
    def post(self, data, item_id: int):
        """Upload a photo or document (multipart/form-data part ``file``; JPEG, PNG or PDF, at most 20 MB)."""
        upload = data.pop("file")
        attachment = items.add_attachment(
            db.session,
            current_actor(),
            item_id,
            filename=upload.filename or "upload",
            content=upload.read(),
            declared_type=upload.mimetype,
            upload_dir=upload_dir(),
            **data,
        )
        db.session.commit()
        return attachment


@blp.route("/attachments/<int:attachment_id>/content")
class AttachmentContent(MethodView):
    decorators = [login_required_api]

    @blp.response(200, description="The file, verified against its recorded SHA-256")
    def get(self, attachment_id: int):
        attachment, content = items.read_attachment(db.session, current_actor(), attachment_id, upload_dir())
        return stored_file_response(
            content, attachment.content_type, etag=attachment.sha256, original=attachment.sha256
        )
