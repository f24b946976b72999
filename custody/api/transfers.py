"""随案移送 — transfers of a case's items between agencies, signed for line by line."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from custody.access import current_actor, login_required_api
from custody.extensions import db
from custody.services import transfers

from .common import paginate
from .schemas import (
    TransferAcceptSchema,
    TransferCreateSchema,
    TransferQuerySchema,
    TransferRecallSchema,
    TransferRejectSchema,
    TransferSchema,
)

blp = Blueprint(
    "api_transfers", __name__, url_prefix="/api/v1/transfers", description="Transfers with the case"
)


@blp.route("")
class Transfers(MethodView):
    decorators = [login_required_api]

    @blp.arguments(TransferQuerySchema, location="query")
    @blp.response(200, TransferSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Transfers to (incoming) or from (outgoing) your agency."""
        stmt = transfers.transfers_query(current_actor(), **query)
        return paginate(db.session, stmt, pagination_parameters)

    @blp.arguments(TransferCreateSchema)
    @blp.response(201, TransferSchema)
    def post(self, data):
        """Propose a transfer of items your agency holds (kind decides the route and the case stage).

        ``item_ids`` lists the items to hand over, one line each; the receiver signs for them line by line.

        **An empty ``item_ids`` (``[]``) moves the case file alone.** Only a stage transfer may be empty
        (``kind`` ``prosecution`` 移送审查起诉, ``indictment`` 提起公诉, or ``supplementary_investigation``
        退回补充侦查); an ``other`` transfer needs at least one item. The receiver's acceptance
        (``POST /transfers/{transfer_id}/accept`` with ``item_ids: []``, and ``case_no`` on a procuratorate's
        or court's first sign-for) moves the case to its next stage; no item changes hands. Items the
        receiver already holds stay with it; **items the sender still holds stay in the sender's custody**
        (only the items listed are transferred with the case). They can be handed over later by a
        transfer of ``kind`` ``other``; meanwhile the case's ``items_summary.by_custodian`` shows who holds what.
        """
        lines = {line.pop("item_id"): transfers.LineInput(**line) for line in data.pop("lines")}
        transfer = transfers.propose_transfer(db.session, current_actor(), lines=lines, **data)
        db.session.commit()
        return transfer


@blp.route("/<int:transfer_id>")
class TransferById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, TransferSchema)
    def get(self, transfer_id: int):
        return transfers.get_transfer(db.session, current_actor(), transfer_id)


@blp.route("/<int:transfer_id>/accept")
class TransferAccept(MethodView):
    decorators = [login_required_api]

    @blp.arguments(TransferAcceptSchema)
    @blp.response(200, TransferSchema)
    def post(self, data, transfer_id: int):
        """签收 — accept lines; custody of each moves to your agency now (one action, many lines)."""
        transfer = transfers.decide_lines(
            db.session, current_actor(), transfer_id, data["item_ids"], accept=True, case_no=data["case_no"]
        )
        db.session.commit()
        return transfer


@blp.route("/<int:transfer_id>/reject")
class TransferReject(MethodView):
    decorators = [login_required_api]

    @blp.arguments(TransferRejectSchema)
    @blp.response(200, TransferSchema)
    def post(self, data, transfer_id: int):
        """Reject lines with a reason; they stay with the sender and are flagged."""
        transfer = transfers.decide_lines(
            db.session, current_actor(), transfer_id, data["item_ids"], accept=False, reason=data["reason"]
        )
        db.session.commit()
        return transfer


@blp.route("/<int:transfer_id>/recall")
class TransferRecall(MethodView):
    decorators = [login_required_api]

    @blp.arguments(TransferRecallSchema)
    @blp.response(200, TransferSchema)
    def post(self, data, transfer_id: int):
        """Recall a transfer your agency sent, before the receiver has decided any line."""
        transfer = transfers.recall_transfer(db.session, current_actor(), transfer_id, data["reason"])
        db.session.commit()
        return transfer
