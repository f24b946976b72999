"""The audit ledger: public key, checkpoints, inclusion and consistency proofs, verification, dossiers.

docs/LEDGER.md specifies every document served here. Who may read what is explained in
``custody.audit.service``.
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from custody.access import current_actor, login_required_api, request_origin
from custody.audit import service, witnessing
from custody.audit.bundle import bundle_json
from custody.audit.ledger import consistency, current_settings, public_key_document
from custody.database import run_apart, writes_on_get
from custody.downloads import file_response
from custody.errors import translate
from custody.extensions import db
from custody.models.ledger import Checkpoint

from .common import Schema, dumper, paginate
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
    vkey = ma.fields.Str(
        metadata={"description": "C2SP signed-note verifier key: origin+keyid+base64(0x01 || key)"}
    )
    origin = ma.fields.Str(metadata={"description": "the log's name, line 1 of every checkpoint body"})
    key_id = ma.fields.Str(metadata={"description": "first 8 bytes of SHA-256(raw public key), hex"})
    public_key = ma.fields.Str(metadata={"description": "raw 32-byte public key, base64"})
    public_key_sha256 = ma.fields.Str(metadata=HEX)
    previous_keys = ma.fields.List(ma.fields.Nested(PreviousKeySchema))


class CosignatureSchema(Schema):
    witness = ma.fields.Function(lambda c: c.key.witness.name)
    key_name = ma.fields.Function(lambda c: c.key.key_name)
    key_id = ma.fields.Function(lambda c: c.key.key_id, metadata={"description": "signed-note key ID, hex"})
    timestamp = ma.fields.Function(
        lambda c: c.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"), metadata={"description": "the witness's time"}
    )


def _note(checkpoint) -> str | None:
    if isinstance(checkpoint, dict):
        return checkpoint.get("note")
    return witnessing.checkpoint_note(current_settings(), checkpoint)


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
    note = ma.fields.Function(
        _note,
        allow_none=True,
        metadata={
            "description": "the checkpoint as a C2SP signed note: its text, the log's signature line and the "
            "witnesses' cosignature lines"
        },
    )
    cosignatures = ma.fields.Function(
        lambda c: (
            dumper(CosignatureSchema, many=True).dump(c.cosignatures) if not isinstance(c, dict) else []
        ),
        metadata={"description": "the witnesses' cosignatures (cosignature/v1)"},
    )


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
    record = ma.fields.Str(
        allow_none=True,
        metadata={
            "description": "a live row that does not match its history: item, case, transfer, checkout, "
            "disposition, freeze or correction"
        },
    )
    record_id = ma.fields.Int(allow_none=True)
    field = ma.fields.Str(allow_none=True, metadata={"description": "the row's field (column) concerned"})


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


@blp.route("/checkpoints/witnessed")
class WitnessedCheckpoint(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CheckpointSchema)
    def get(self):
        """The newest checkpoint the witnesses' quorum cosigned (409 ``audit.not_witnessed`` if none)."""
        checkpoint, _ = witnessing.witnessed_checkpoint_or_fail(db.session, current_settings())
        return checkpoint


@blp.route("/checkpoints")
class Checkpoints(MethodView):
    decorators = [login_required_api]

    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CheckpointSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Every signed checkpoint, largest first."""
        return paginate(
            db.session,
            service.list_checkpoints(db.session).options(selectinload(Checkpoint.cosignatures)),
            pagination_parameters,
        )


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
    settings = current_settings()
    # Ask the witnesses to cosign the current head first (their own short transactions).
    run_apart(lambda: witnessing.push_if_configured(db.engine, settings, origin=request_origin()))
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


# -- witnesses (docs/LEDGER.md §11) -------------------------------------------------------------------


class WitnessKeySchema(Schema):
    key_name = ma.fields.Str()
    key_id = ma.fields.Str()
    vkey = ma.fields.Str(metadata={"description": "C2SP verifier key, signature type 0x04 (cosignature/v1)"})
    added_at = ma.fields.DateTime()
    retired_at = ma.fields.DateTime(allow_none=True)


class WitnessStatusSchema(Schema):
    name = ma.fields.Str(metadata={"description": "its name in the trust policy"})
    display_name = ma.fields.Str()
    agency = ma.fields.Str(allow_none=True)
    mode = ma.fields.Str(
        metadata={"description": "push (the log sends checkpoints) or poll (it fetches them)"}
    )
    active = ma.fields.Bool()
    keys = ma.fields.List(ma.fields.Nested(WitnessKeySchema))
    last_cosigned_size = ma.fields.Int(allow_none=True)
    last_cosigned_at = ma.fields.DateTime(allow_none=True)
    cosigned_latest = ma.fields.Bool(metadata={"description": "it cosigned the latest checkpoint"})
    lag = ma.fields.Int(metadata={"description": "entries of the latest checkpoint beyond what it cosigned"})
    last_status = ma.fields.Str(allow_none=True)
    last_message = ma.fields.Str(allow_none=True)
    last_attempt_at = ma.fields.DateTime(allow_none=True)
    last_success_at = ma.fields.DateTime(allow_none=True)


class WitnessOverviewSchema(Schema):
    origin = ma.fields.Str()
    log_size = ma.fields.Int()
    quorum = ma.fields.Str(
        metadata={"description": "e.g. 2 of agencies (PDFY, PDGA, PDJC); none: unwitnessed"}
    )
    required = ma.fields.Int(metadata={"description": "how many witnesses must cosign"})
    configured_quorum = ma.fields.Int()
    policy = ma.fields.Str(metadata={"description": "the trust policy (C2SP tlog-policy)"})
    policy_version = ma.fields.Int(allow_none=True)
    policy_recorded = ma.fields.Bool()
    latest_checkpoint = ma.fields.Nested(CheckpointSchema, allow_none=True)
    witnessed_checkpoint = ma.fields.Nested(CheckpointSchema, allow_none=True)
    witnessed_by = ma.fields.List(ma.fields.Str())
    witnesses = ma.fields.List(ma.fields.Nested(WitnessStatusSchema))


class StoredCosignaturesSchema(Schema):
    checkpoint_id = ma.fields.Function(lambda r: r.checkpoint.id)
    tree_size = ma.fields.Function(lambda r: r.checkpoint.tree_size)
    stored = ma.fields.Function(lambda r: [c.key.witness.name for c in r.stored])
    known = ma.fields.List(
        ma.fields.Str(), metadata={"description": "witnesses whose cosignature was there already"}
    )
    ignored = ma.fields.Int(
        metadata={"description": "signatures by keys that are not registered witness keys"}
    )


@blp.route("/witness-policy")
class WitnessPolicyText(MethodView):
    @blp.response(200, description="The trust policy (C2SP tlog-policy text); no sign-in needed")
    def get(self):
        """The log's keys, the agencies' witness keys and the quorum: what ``python -m custody.verify --policy`` takes."""
        text = witnessing.policy_text(witnessing.current_policy(db.session, current_settings()))
        return Response(text, mimetype="text/plain")


@blp.route("/witnesses")
class Witnesses(MethodView):
    decorators = [login_required_api]

    @blp.response(200, WitnessOverviewSchema)
    def get(self):
        """Who cosigned the latest checkpoint and when, who is missing or lagging (auditors, admins)."""
        service.require_audit_reader(current_actor())
        return witnessing.witness_overview(db.session, current_settings())


@blp.route("/cosignatures")
class Cosignatures(MethodView):
    decorators = [login_required_api]

    @blp.doc(
        requestBody={
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "the checkpoint as a signed note with the witness's cosignature line(s) appended",
        }
    )
    @blp.response(200, StoredCosignaturesSchema)
    def post(self):
        """A polling witness posts its cosignature of a checkpoint (verified against its registered key)."""
        result = witnessing.accept_cosigned_note(db.session, current_settings(), request.get_data())
        db.session.commit()
        return result
