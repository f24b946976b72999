"""The audit ledger: public key, checkpoints, inclusion and consistency proofs, verification, dossiers.

docs/LEDGER.md specifies every document served here. Who may read what is explained in
``custody.audit.service``.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from custody.access import current_actor, login_required_api, request_origin
from custody.audit import service
from custody.audit.bundle import bundle_json
from custody.audit.ledger import consistency, current_settings, public_key_document
from custody.database import writes_on_get
from custody.downloads import file_response
from custody.errors import translate
from custody.extensions import db

from .common import Schema, paginate
from .schemas import PageQuerySchema

blp = Blueprint(
    "api_audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="Tamper-evident audit ledger: checkpoints, proofs, verification, dossiers",
)

HEX = {"description": "SHA-256, 64 lower-case hex digits"}


class PreviousKeySchema(Schema):
    key_id = ma.fields.Str()
    public_key = ma.fields.Str()


class PublicKeySchema(Schema):
    algorithm = ma.fields.Str(metadata={"description": "Ed25519 (RFC 8032)"})
    origin = ma.fields.Str(metadata={"description": "the log's name, line 1 of every checkpoint body"})
    key_id = ma.fields.Str(metadata={"description": "first 8 bytes of SHA-256(raw public key), hex"})
    public_key = ma.fields.Str(metadata={"description": "raw 32-byte public key, base64"})
    public_key_sha256 = ma.fields.Str(metadata=HEX)
    previous_keys = ma.fields.List(ma.fields.Nested(PreviousKeySchema))


class CheckpointSchema(Schema):
    id = ma.fields.Int()
    origin = ma.fields.Str()
    tree_size = ma.fields.Int()
    root_hash = ma.fields.Str(metadata=HEX)
    timestamp = ma.fields.Function(
        lambda c: c["timestamp"] if isinstance(c, dict) else c.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        metadata={"description": "UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ (signed as is)"},
    )
    key_id = ma.fields.Str()
    signature = ma.fields.Str(metadata={"description": "Ed25519 signature of the checkpoint body, base64"})


class InclusionQuerySchema(Schema):
    event_id = ma.fields.Int(required=True)
    tree_size = ma.fields.Int(
        load_default=None, metadata={"description": "default: the latest checkpoint's size"}
    )


class InclusionSchema(Schema):
    event_id = ma.fields.Int()
    log_index = ma.fields.Int()
    tree_size = ma.fields.Int()
    leaf_hash = ma.fields.Str(metadata={"description": "SHA-256(0x00 || canonical entry), hex"})
    root_hash = ma.fields.Str(metadata=HEX)
    proof = ma.fields.List(
        ma.fields.Str(), metadata={"description": "RFC 9162 audit path, nearest sibling first"}
    )
    checkpoint = ma.fields.Nested(
        CheckpointSchema,
        allow_none=True,
        metadata={"description": "the signed checkpoint at tree_size, if one exists"},
    )
    entry = ma.fields.Dict(metadata={"description": "the event's canonical entry (docs/LEDGER.md §5)"})


class ConsistencyQuerySchema(Schema):
    first = ma.fields.Int(required=True)
    second = ma.fields.Int(
        load_default=None, metadata={"description": "default: the latest checkpoint's size"}
    )


class ConsistencySchema(Schema):
    first = ma.fields.Int()
    second = ma.fields.Int()
    first_root = ma.fields.Str(metadata=HEX)
    second_root = ma.fields.Str(metadata=HEX)
    proof = ma.fields.List(ma.fields.Str(), metadata={"description": "RFC 9162 consistency proof"})
    first_checkpoint = ma.fields.Nested(CheckpointSchema, allow_none=True)
    second_checkpoint = ma.fields.Nested(CheckpointSchema, allow_none=True)


class VerifyQuerySchema(Schema):
    item_id = ma.fields.Int(required=True)


class ProblemSchema(Schema):
    code = ma.fields.Str()
    message = ma.fields.Function(lambda p: translate(p.message, p.params))
    event_id = ma.fields.Int(allow_none=True)
    item_id = ma.fields.Int(allow_none=True)
    log_index = ma.fields.Int(allow_none=True)
    checkpoint_id = ma.fields.Int(allow_none=True)


class ItemVerificationSchema(Schema):
    ok = ma.fields.Bool()
    item_id = ma.fields.Int()
    events = ma.fields.Int()
    proven = ma.fields.Int(metadata={"description": "events proven to be in the checkpoint"})
    pending = ma.fields.Int(metadata={"description": "events recorded after the checkpoint"})
    checkpoint = ma.fields.Nested(CheckpointSchema, allow_none=True)
    problem_count = ma.fields.Int()
    problems = ma.fields.List(ma.fields.Nested(ProblemSchema))


class DossierQuerySchema(Schema):
    item_id = ma.fields.Int(load_default=None)
    case_id = ma.fields.Int(load_default=None)


@blp.route("/public-key")
class PublicKey(MethodView):
    @blp.response(200, PublicKeySchema)
    def get(self):
        """The Ed25519 key that signs checkpoints (no sign-in needed: anyone may verify)."""
        return public_key_document(current_settings())


@blp.route("/checkpoints/latest")
class LatestCheckpoint(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CheckpointSchema)
    def get(self):
        """The newest signed checkpoint; keep it and check the next one extends it (consistency)."""
        return service.latest_checkpoint(db.session)


@blp.route("/checkpoints")
class Checkpoints(MethodView):
    decorators = [login_required_api]

    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CheckpointSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Every signed checkpoint, largest first."""
        return paginate(db.session, service.list_checkpoints(db.session), pagination_parameters)


@blp.route("/proofs/inclusion")
class InclusionProof(MethodView):
    decorators = [login_required_api]

    @blp.arguments(InclusionQuerySchema, location="query")
    @blp.response(200, InclusionSchema)
    def get(self, query):
        """Proof that an event is in the log of ``tree_size`` entries (item viewers, auditors)."""
        return service.event_inclusion(
            db.session, current_settings(), current_actor(), query["event_id"], query["tree_size"]
        )


@blp.route("/proofs/consistency")
class ConsistencyProof(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ConsistencyQuerySchema, location="query")
    @blp.response(200, ConsistencySchema)
    def get(self, query):
        """Proof that the log of ``first`` entries is a prefix of the log of ``second`` entries."""
        return consistency(db.session, current_settings(), query["first"], query["second"])


@blp.route("/verify")
@writes_on_get
class VerifyItem(MethodView):
    decorators = [login_required_api]

    @blp.arguments(VerifyQuerySchema, location="query")
    @blp.response(200, ItemVerificationSchema)
    def get(self, query):
        """Verify one item's history and prove each event against the latest checkpoint (auditors).

        The run is recorded as a security event.
        """
        report = service.verify_item_as(db.session, current_settings(), current_actor(), query["item_id"])
        db.session.commit()
        return report


def _export(query, document: str) -> service.Export:
    return service.export_dossier(
        db.session,
        current_settings(),
        current_actor(),
        item_id=query["item_id"],
        case_id=query["case_id"],
        document=document,
        origin=request_origin(),
    )


@blp.route("/dossier")
@writes_on_get
class Dossier(MethodView):
    decorators = [login_required_api]

    @blp.arguments(DossierQuerySchema, location="query")
    @blp.response(200, description="The dossier bundle (JSON); check it with python -m custody.verify")
    def get(self, query):
        """Export the self-contained dossier of an item or a case (recorded as a security event)."""
        export = _export(query, "json")
        db.session.commit()
        return file_response(bundle_json(export.bundle), f"dossier-{export.subject}.json")


@blp.route("/certificate")
@writes_on_get
class Certificate(MethodView):
    decorators = [login_required_api]

    @blp.arguments(DossierQuerySchema, location="query")
    @blp.response(200, description="保管链证明 (PDF) of an item or a case")
    def get(self, query):
        """The printable chain-of-custody certificate (recorded as a security event)."""
        from custody.audit.certificate import certificate_pdf

        export = _export(query, "pdf")
        db.session.commit()
        return file_response(certificate_pdf(export.bundle), f"certificate-{export.subject}.pdf", inline=True)
