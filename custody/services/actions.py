"""What a user may do with a record now: the policy's permission and the record's state, asked in
one place so that the pages (which offer buttons) and the API (``actions`` in its JSON) agree with
the services that carry the actions out.

Each function answers names, in the order of the record's life; the pages turn them into links.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.enums import (
    CaseStage,
    CustodyState,
    DispositionStatus,
    ItemStatus,
    LocationState,
    Measure,
    TransferStatus,
)
from custody.domain.items import ItemFacts, derive_status
from custody.domain.lifecycle import CHECKOUT_FROM
from custody.domain.policy import Action, Relation, allowed
from custody.domain.transfers import transfer_problem
from custody.models.case import Case
from custody.models.item import Item
from custody.models.oversight import CaseJudgment
from custody.models.transfer import Transfer

from .storage import custodian_relations, keeper_relations

ITEM_ACTIONS = (
    "check_in",
    "bring_in",
    "move",
    "record_external",
    "record_condition",
    "transfer",
    "request_checkout",
    "propose_disposition",
    "record_freeze",
    "propose_correction",
    "attach",
)
CASE_ACTIONS = ("register", "transfer", "move_case", "record_judgment")
TRANSFER_ACTIONS = ("sign_for", "recall")


def item_actions(actor: Actor, item: Item) -> list[str]:
    """The actions ``actor`` may take on ``item`` now (names from ``ITEM_ACTIONS``, in that order).

    Keeper work (check-in, moves, placement, condition, files) is the custodian's or the operator's
    of the centre the item is in; the case workflows are the custodian's."""
    facts = ItemFacts(item.custody_state, item.location_state, item.disposition_status)
    keeping = keeper_relations(actor, item)
    # Attaching a file stays possible on a disposed item until it has left for good.
    attach = allowed(actor, Action.ATTACH_FILE, keeping) and item.location_state is not LocationState.GONE
    if derive_status(facts) is ItemStatus.DISPOSED:
        return ["attach"] if attach else []
    custodian = custodian_relations(actor, item)
    # Checking in: a centre operator's keeper receives any agency's item into its centre.
    receiving = keeping | ({Relation.CENTRE_OPERATOR} if actor.operated_centre_ids else set())
    settled = item.custody_state is not CustodyState.IN_TRANSFER
    no_disposal = item.disposition_status is DispositionStatus.NONE
    location = item.location_state
    may = {
        "check_in": settled
        and location is LocationState.AWAITING_CHECK_IN
        and allowed(actor, Action.CHECK_IN, receiving),
        "bring_in": settled
        and location in (LocationState.WITH_HOLDER, LocationState.EXTERNAL)
        and allowed(actor, Action.CHECK_IN, receiving),
        "move": settled
        and location is LocationState.IN_STORAGE
        and allowed(actor, Action.MOVE_ITEM, keeping),
        "record_external": settled
        and location is not LocationState.CHECKED_OUT
        and allowed(actor, Action.RECORD_EXTERNAL, keeping),
        "record_condition": allowed(actor, Action.RECORD_CONDITION, keeping),
        "transfer": transfer_problem(facts) is None and allowed(actor, Action.PROPOSE_TRANSFER, custodian),
        # kept outside (impound lot, bank, holder) too: the law says 等
        "request_checkout": settled
        and no_disposal
        and location in CHECKOUT_FROM
        and allowed(actor, Action.REQUEST_CHECKOUT, custodian),
        "propose_disposition": settled
        and no_disposal
        and location is not LocationState.CHECKED_OUT
        and allowed(actor, Action.PROPOSE_DISPOSITION, custodian),
        "record_freeze": item.measure is Measure.FROZEN and allowed(actor, Action.MANAGE_FREEZE, custodian),
        "propose_correction": allowed(actor, Action.PROPOSE_CORRECTION, custodian),
        "attach": attach,
    }
    return [name for name in ITEM_ACTIONS if may[name]]


def _handler(actor: Actor, case: Case) -> set[Relation]:
    return {Relation.CASE_HANDLER} if case.handling_agency_id == actor.agency_id else set()


def case_actions(session: Session, actor: Actor, case: Case) -> list[str]:
    """The actions ``actor`` may take on ``case`` now (names from ``CASE_ACTIONS``, in that order).

    A transfer is built by the agency handling the case (which sends the case) or by one holding
    items of it (which proposes them); the judgment is recorded by the handling court while the case
    is on trial and has none."""
    handler = _handler(actor, case)
    open_ = case.stage is not CaseStage.CLOSED
    sends = allowed(actor, Action.SEND_CASE, handler)
    may_propose = not sends and allowed(actor, Action.PROPOSE_TRANSFER, {Relation.CUSTODIAN})
    may_judge = case.stage is CaseStage.TRIAL and allowed(actor, Action.RECORD_JUDGMENT, handler)
    holds_items = judged = False
    if may_propose or may_judge:  # one statement asks both, and only when the answer matters
        holds_items, judged = session.execute(
            select(
                exists().where(Item.case_id == case.id, Item.custodian_agency_id == actor.agency_id),
                exists().where(CaseJudgment.case_id == case.id),
            )
        ).one()
    may = {
        "register": open_ and allowed(actor, Action.REGISTER_ITEM, handler),
        "transfer": sends or (may_propose and bool(holds_items)),
        "move_case": open_ and allowed(actor, Action.MOVE_CASE, handler),
        "record_judgment": may_judge and not judged,
    }
    return [name for name in CASE_ACTIONS if may[name]]


def transfer_actions(actor: Actor, transfer: Transfer) -> list[str]:
    """The actions ``actor`` may take on ``transfer`` now (names from ``TRANSFER_ACTIONS``): the
    receiver signs for its lines while some are undecided; the sender recalls it until then."""
    receiver = {Relation.RECEIVER} if transfer.to_agency_id == actor.agency_id else set()
    sender = {Relation.SENDER} if transfer.from_agency_id == actor.agency_id else set()
    may = {
        "sign_for": transfer.status in (TransferStatus.PENDING, TransferStatus.PARTIAL)
        and allowed(actor, Action.DECIDE_TRANSFER, receiver),
        "recall": transfer.status is TransferStatus.PENDING
        and allowed(actor, Action.RECALL_TRANSFER, sender),
    }
    return [name for name in TRANSFER_ACTIONS if may[name]]
