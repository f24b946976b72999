"""Check-outs, disposals, freezes and corrections: the rest of an item's life, as JSON endpoints."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from custody.access import current_actor, login_required_api, require_recent_confirmation
from custody.domain.errors import InvalidInput
from custody.domain.i18n import N_
from custody.domain.lifecycle import ExternalWitness, Recipient
from custody.domain.money import AuctionLot
from custody.extensions import db
from custody.services import checkouts, corrections, dispositions, freezes

from .common import paginate
from .lifecycle_schemas import (
    ActivateSchema,
    CheckoutCreateSchema,
    CheckoutQuerySchema,
    CheckoutSchema,
    CorrectionCreateSchema,
    CorrectionQuerySchema,
    CorrectionSchema,
    DispositionCreateSchema,
    DispositionQuerySchema,
    DispositionSchema,
    ExecuteSchema,
    ExtendSchema,
    FreezeCreateSchema,
    FreezeQuerySchema,
    FreezeReleaseSchema,
    FreezeSchema,
    ReasonSchema,
    RefundSchema,
    ReleaseSchema,
    RenewSchema,
    RequiredReasonSchema,
    ReturnSchema,
)

blp = Blueprint(
    "api_lifecycle",
    __name__,
    url_prefix="/api/v1",
    description="Check-out and return, disposal, freezes, corrections",
)


CONFIRM_HEADER = {
    "name": "X-Custody-Confirm",
    "in": "header",
    "required": False,
    "description": "Re-authentication: the current second-factor code (or the password of an account "
    "without one). Needed unless this browser session confirmed within the last minutes.",
    "schema": {"type": "string", "maxLength": 256},
}


def _action(path: str, schema, response_schema, handler, doc: str, name: str, *, reauth: bool = False):
    """One POST endpoint: parse ``schema``, call ``handler(actor, id, data)``, commit, dump.
    ``reauth``: the step needs a recent proof of identity (``access.require_recent_confirmation``)."""

    class Action(MethodView):
        decorators = [login_required_api]

        @blp.arguments(schema)
        @blp.response(200, response_schema)
        def post(self, data, record_id: int):
            if reauth:
                require_recent_confirmation()
            result = handler(current_actor(), record_id, data)
            db.session.commit()
            return result

    if reauth:
        documented = blp.doc(parameters=[CONFIRM_HEADER])(
            blp.alt_response(401, description="Re-authentication required (X-Custody-Confirm)")(Action.post)
        )
        setattr(Action, "post", documented)  # noqa: B010 - the method is replaced by its documented self

    Action.post.__doc__ = doc
    Action.__name__ = name
    blp.route(path, endpoint=name)(Action)


# -- check-outs -------------------------------------------------------------------------------


@blp.route("/checkouts")
class Checkouts(MethodView):
    decorators = [login_required_api]

    @blp.arguments(CheckoutQuerySchema, location="query")
    @blp.response(200, CheckoutSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Check-outs of cases you may see; ``overdue=true`` lists late returns."""
        return paginate(
            db.session, checkouts.checkouts_query(current_actor(), **query), pagination_parameters
        )

    @blp.arguments(CheckoutCreateSchema)
    @blp.response(201, CheckoutSchema)
    def post(self, data):
        """调用申请 — request a check-out of items your agency holds, for a legal purpose, until a due time."""
        data["counterparty"] = checkouts.CounterpartyInput(**data["counterparty"])
        checkout = checkouts.request_checkout(db.session, current_actor(), **data)
        db.session.commit()
        return checkout


@blp.route("/checkouts/<int:record_id>")
class CheckoutById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CheckoutSchema)
    def get(self, record_id: int):
        return checkouts.get_checkout(db.session, current_actor(), record_id)


_action(
    "/checkouts/<int:record_id>/approve",
    ReasonSchema,
    CheckoutSchema,
    lambda actor, cid, data: checkouts.decide_checkout(db.session, actor, cid, approve=True, **data),
    "Approve (an approver of the custodian agency, not the requester).",
    "CheckoutApprove",
)
_action(
    "/checkouts/<int:record_id>/reject",
    RequiredReasonSchema,
    CheckoutSchema,
    lambda actor, cid, data: checkouts.decide_checkout(db.session, actor, cid, approve=False, **data),
    "Reject with a reason.",
    "CheckoutReject",
)
_action(
    "/checkouts/<int:record_id>/cancel",
    ReasonSchema,
    CheckoutSchema,
    lambda actor, cid, data: checkouts.cancel_checkout(db.session, actor, cid, **data),
    "Withdraw the request before release.",
    "CheckoutCancel",
)
_action(
    "/checkouts/<int:record_id>/release",
    ReleaseSchema,
    CheckoutSchema,
    lambda actor, cid, data: checkouts.release_checkout(db.session, actor, cid, **data),
    "出库 — the keeper releases the approved items to the named person.",
    "CheckoutRelease",
)


def _return(actor, checkout_id, data):
    discrepancy = data.pop("discrepancy") or {}
    return checkouts.return_items(
        db.session,
        actor,
        checkout_id,
        discrepancy=discrepancy.get("kind"),
        discrepancy_note=data.pop("discrepancy_note") or discrepancy.get("note"),
        **data,
    )


_action(
    "/checkouts/<int:record_id>/return",
    ReturnSchema,
    CheckoutSchema,
    _return,
    "归还 — the keeper takes items back, recording condition and any damage, shortage or substitution.",
    "CheckoutReturn",
)


def _extend(actor, checkout_id, data):
    checkouts.request_extension(db.session, actor, checkout_id, **data)
    return checkouts.get_checkout(db.session, actor, checkout_id)


_action(
    "/checkouts/<int:record_id>/extend",
    ExtendSchema,
    CheckoutSchema,
    _extend,
    "Request a later due time (an approver decides at /extension/approve or /extension/reject).",
    "CheckoutExtend",
)
_action(
    "/checkouts/<int:record_id>/extension/approve",
    ReasonSchema,
    CheckoutSchema,
    lambda actor, cid, data: checkouts.decide_extension(db.session, actor, cid, approve=True, **data),
    "Approve the pending extension (not the person who asked).",
    "CheckoutExtensionApprove",
)
_action(
    "/checkouts/<int:record_id>/extension/reject",
    RequiredReasonSchema,
    CheckoutSchema,
    lambda actor, cid, data: checkouts.decide_extension(db.session, actor, cid, approve=False, **data),
    "Reject the pending extension.",
    "CheckoutExtensionReject",
)


# -- dispositions -----------------------------------------------------------------------------


@blp.route("/dispositions")
class Dispositions(MethodView):
    decorators = [login_required_api]

    @blp.arguments(DispositionQuerySchema, location="query")
    @blp.response(200, DispositionSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        return paginate(
            db.session, dispositions.dispositions_query(current_actor(), **query), pagination_parameters
        )

    @blp.arguments(DispositionCreateSchema)
    @blp.response(201, DispositionSchema)
    def post(self, data):
        """处置 — propose early sale, pre-trial return, or final disposal citing the judgment/decision."""
        disposition = dispositions.propose_disposition(db.session, current_actor(), **data)
        db.session.commit()
        return disposition


@blp.route("/dispositions/<int:record_id>")
class DispositionById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, DispositionSchema)
    def get(self, record_id: int):
        return dispositions.get_disposition(db.session, current_actor(), record_id)


def _line_proceeds(raw: dict[str, int] | None) -> dict[int, int] | None:
    if not raw:
        return None
    try:
        return {int(key): value for key, value in raw.items()}
    except ValueError as error:
        raise InvalidInput(
            N_("Key the prices by item id."), fields={"line_proceeds": [N_("Not an item id.")]}
        ) from error


def _execute(actor, disposition_id, data):
    recipient = Recipient(**data.pop("recipient")) if data.get("recipient") else None
    data.pop("recipient", None)
    external = ExternalWitness(**data.pop("external_witness")) if data.get("external_witness") else None
    data.pop("external_witness", None)
    data["line_proceeds"] = _line_proceeds(data.get("line_proceeds"))
    data["lot"] = AuctionLot(**data["lot"]) if data.get("lot") else None
    return dispositions.execute_disposition(
        db.session, actor, disposition_id, recipient=recipient, external_witness=external, **data
    )


_action(
    "/dispositions/<int:record_id>/approve",
    ReasonSchema,
    DispositionSchema,
    lambda actor, did, data: dispositions.decide_disposition(db.session, actor, did, approve=True, **data),
    "Approve (an approver of the custodian agency, not the proposer); needs re-authentication.",
    "DispositionApprove",
    reauth=True,
)
_action(
    "/dispositions/<int:record_id>/reject",
    RequiredReasonSchema,
    DispositionSchema,
    lambda actor, did, data: dispositions.decide_disposition(db.session, actor, did, approve=False, **data),
    "Reject with a reason.",
    "DispositionReject",
)
_action(
    "/dispositions/<int:record_id>/cancel",
    ReasonSchema,
    DispositionSchema,
    lambda actor, did, data: dispositions.cancel_disposition(db.session, actor, did, **data),
    "Withdraw before execution.",
    "DispositionCancel",
)
_action(
    "/dispositions/<int:record_id>/execute",
    ExecuteSchema,
    DispositionSchema,
    _execute,
    "执行 — the keeper executes: receipt number; witness for destruction; proceeds for a sale; "
    "recipient (owner or authorised agent) for a return.",
    "DispositionExecute",
)


_action(
    "/dispositions/<int:record_id>/refund",
    RefundSchema,
    DispositionSchema,
    lambda actor, did, data: dispositions.record_refund(db.session, actor, did, **data),
    "退库 — record the treasury refund of confiscated unclaimed property to its proven owner.",
    "DispositionRefund",
)


# -- freezes ----------------------------------------------------------------------------------


@blp.route("/freezes")
class Freezes(MethodView):
    decorators = [login_required_api]

    @blp.arguments(FreezeQuerySchema, location="query")
    @blp.response(200, FreezeSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Freezes; ``expiring_before=YYYY-MM-DD`` lists active ones due for renewal."""
        return paginate(db.session, freezes.freezes_query(current_actor(), **query), pagination_parameters)

    @blp.arguments(FreezeCreateSchema)
    @blp.response(201, FreezeSchema)
    def post(self, data):
        """冻结 — record a freeze (period by asset type, at most the legal maximum)."""
        freeze = freezes.create_freeze(db.session, current_actor(), **data)
        db.session.commit()
        return freeze


@blp.route("/freezes/<int:record_id>")
class FreezeById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, FreezeSchema)
    def get(self, record_id: int):
        return freezes.get_freeze(db.session, current_actor(), record_id)


_action(
    "/freezes/<int:record_id>/renew",
    RenewSchema,
    FreezeSchema,
    lambda actor, fid, data: freezes.renew_freeze(db.session, actor, fid, **data),
    "续冻 — renew before expiry (after it the freeze has lapsed).",
    "FreezeRenew",
)
_action(
    "/freezes/<int:record_id>/release",
    FreezeReleaseSchema,
    FreezeSchema,
    lambda actor, fid, data: freezes.release_freeze(db.session, actor, fid, **data),
    "解除冻结 — release an active freeze.",
    "FreezeRelease",
)


_action(
    "/freezes/<int:record_id>/activate",
    ActivateSchema,
    FreezeSchema,
    lambda actor, fid, data: freezes.activate_queued(db.session, actor, fid, **data),
    "A queued freeze (轮候冻结) takes effect when the earlier one ends, from the date the institution states.",
    "FreezeActivate",
)


# -- corrections ------------------------------------------------------------------------------


@blp.route("/corrections")
class Corrections(MethodView):
    decorators = [login_required_api]

    @blp.arguments(CorrectionQuerySchema, location="query")
    @blp.response(200, CorrectionSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        return paginate(
            db.session, corrections.corrections_query(current_actor(), **query), pagination_parameters
        )

    @blp.arguments(CorrectionCreateSchema)
    @blp.response(201, CorrectionSchema)
    def post(self, data):
        """更正 — propose a new value for a wrongly registered field, with the reason."""
        correction = corrections.propose_correction(db.session, current_actor(), **data)
        db.session.commit()
        return correction


@blp.route("/corrections/<int:record_id>")
class CorrectionById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CorrectionSchema)
    def get(self, record_id: int):
        return corrections.get_correction(db.session, current_actor(), record_id)


_action(
    "/corrections/<int:record_id>/approve",
    ReasonSchema,
    CorrectionSchema,
    lambda actor, cid, data: corrections.decide_correction(db.session, actor, cid, approve=True, **data),
    "Approve (not the proposer): the item takes the new value; history keeps both.",
    "CorrectionApprove",
)
_action(
    "/corrections/<int:record_id>/reject",
    RequiredReasonSchema,
    CorrectionSchema,
    lambda actor, cid, data: corrections.decide_correction(db.session, actor, cid, approve=False, **data),
    "Reject with a reason.",
    "CorrectionReject",
)
