"""The rest of an item's life: check-out and return, disposal, freezes, corrections [LAW + DESIGN §3].

Pure rules over plain values; services load rows, ask these functions, then change rows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .enums import (
    AgencyKind,
    CaseStage,
    DispositionKind,
    DispositionStatus,
    ItemCategory,
    LabelledEnum,
    LocationState,
    register_labels,
)
from .errors import Conflict, InvalidInput, PermissionDenied
from .i18n import N_
from .items import MAX_FEN, ItemFacts, ensure_not_disposed, ensure_not_in_transfer

# -- check-out (调用) ---------------------------------------------------------------------------


class CheckoutPurpose(LabelledEnum):
    """The legal purposes for taking an item out of storage [LAW]."""

    INTERROGATION = "interrogation"  # 讯问、询问
    APPRAISAL = "appraisal"  # 鉴定
    IDENTIFICATION = "identification"  # 辨认
    TESTING = "testing"  # 检验、检测
    INSPECTION = "inspection"  # 勘验、检查
    COURT_PRESENTATION = "court_presentation"  # 庭审出示
    OTHER = "other"  # 等: another need of the case, stated in the note


class CheckoutStatus(LabelledEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RELEASED = "released"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class ExtensionStatus(LabelledEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class Discrepancy(LabelledEnum):
    """What the keeper found on return that differs from what left."""

    DAMAGE = "damage"  # 损坏
    SHORTAGE = "shortage"  # 短少
    SUBSTITUTION = "substitution"  # 调换


class CounterpartyKind(LabelledEnum):
    PERSON = "person"
    LAB = "lab"
    COURT = "court"
    BANK = "bank"
    AUTHORITY = "authority"
    OTHER = "other"


def require_not_requester(requester_id: int, approver_id: int) -> None:
    """[DESIGN §4] Separation of duties: nobody approves their own request."""
    if requester_id == approver_id:
        raise PermissionDenied(
            N_("You cannot approve your own request: another approver must decide."),
            code="separation.requester_not_approver",
        )


def require_not_approver(approver_id: int | None, executor_id: int) -> None:
    """[DESIGN §4] Separation of duties by person: whoever approved a check-out or a disposal does
    not also release or execute it (one account may hold approver and keeper roles; the two steps
    still need two people)."""
    if approver_id is not None and approver_id == executor_id:
        raise PermissionDenied(
            N_("You approved this request, so another keeper must carry it out."),
            code="separation.approver_not_executor",
        )


# [LAW] Items kept outside the centre (an impound lot, a bank, the holder) can be taken out for
# appraisal or identification too: the law lists the purposes, not the place (公安部 2015 规定 art. 11).
CHECKOUT_FROM = frozenset({LocationState.IN_STORAGE, LocationState.EXTERNAL, LocationState.WITH_HOLDER})


@dataclass(frozen=True)
class RecordLine:
    """One item of a workflow record being built: which case it is of, who holds it."""

    item_id: int
    case_id: int
    custodian_agency_id: int


def out_of_place_lines(lines: list[RecordLine], agency_id: int) -> list[RecordLine]:
    """[DESIGN] A check-out or disposal covers items of one case held by one agency. When the chosen
    items mix cases or custodians, the lines that do not belong: those outside the case and custodian
    of the first item the acting agency holds (else of the first item) — the rest stays a valid record.
    Empty when every line belongs."""
    if not lines:
        return []
    keep = next((line for line in lines if line.custodian_agency_id == agency_id), lines[0])
    return [
        line
        for line in lines
        if (line.case_id, line.custodian_agency_id) != (keep.case_id, keep.custodian_agency_id)
    ]


def check_one_case_and_custodian(lines: list[RecordLine], agency_id: int) -> tuple[int, int]:
    """The record's case and custodian; refused with the offending lines named (``extra.lines``)."""
    wrong = out_of_place_lines(lines, agency_id)
    if wrong:
        raise InvalidInput(
            N_("All items must belong to one case and one custodian agency."),
            fields={"item_ids": [N_("Items of different cases or custodians.")]},
            extra={
                "lines": [
                    {
                        "item_id": line.item_id,
                        "case_id": line.case_id,
                        "custodian_agency_id": line.custodian_agency_id,
                    }
                    for line in wrong
                ]
            },
        )
    return lines[0].case_id, lines[0].custodian_agency_id


def check_checkout_item(facts: ItemFacts, *, releasing: bool = False) -> None:
    ensure_not_disposed(facts)
    ensure_not_in_transfer(facts)
    if facts.disposition_status is not DispositionStatus.NONE:
        raise Conflict(N_("The item has a disposal in progress."), code="item.disposal_pending")
    if facts.location_state is LocationState.CHECKED_OUT:
        raise Conflict(N_("The item is already checked out."), code="item.checked_out")
    if facts.location_state not in CHECKOUT_FROM:
        raise Conflict(
            N_("Only an item in storage or kept outside the centre can be checked out."),
            code="item.not_in_storage",
        )


def check_purpose(purpose: CheckoutPurpose, note: str | None) -> None:
    """[LAW] The law lists the purposes with 等 (and the like): another purpose is allowed with its
    reason stated."""
    if purpose is CheckoutPurpose.OTHER and not (note or "").strip():
        raise InvalidInput(
            N_("Say what the item is needed for."), fields={"note": [N_("Required for another purpose.")]}
        )


def check_due(due_at: datetime, now: datetime, *, after: datetime | None = None) -> None:
    if due_at <= now:
        raise InvalidInput(
            N_("The due time must be in the future."), fields={"due_at": [N_("Must be in the future.")]}
        )
    if after is not None and due_at <= after:
        raise InvalidInput(
            N_("An extension must move the due time later."),
            fields={"due_at": [N_("Must be later than the current due time.")]},
        )


# A check-out in one of these states is over: nothing more happens on it.
CLOSED_CHECKOUT_STATUSES = frozenset(
    {CheckoutStatus.RETURNED, CheckoutStatus.CANCELLED, CheckoutStatus.REJECTED}
)


def require_checkout_status(status: CheckoutStatus, *allowed: CheckoutStatus) -> None:
    if status not in allowed and status in CLOSED_CHECKOUT_STATUSES:
        # Returned, cancelled or rejected: "not released yet" or "not approved yet" would mislead.
        raise Conflict(N_("The check-out is over."), code="checkout.closed")
    if status not in allowed:
        messages = {
            CheckoutStatus.APPROVED: N_("The check-out must be approved first."),
            CheckoutStatus.RELEASED: N_("The items have not been released."),
            CheckoutStatus.REQUESTED: N_("The request has already been decided."),
        }
        raise Conflict(
            messages.get(allowed[0], N_("Not possible in the check-out's current state.")),
            code=f"checkout.not_{allowed[0].value}",
        )


def _spaceless(name: str | None) -> str:
    return "".join((name or "").split())


def check_released_to(released_to: str | None, registered_name: str) -> str:
    """[LAW] Items leave storage only to the person the check-out was approved for: the name given at
    release must be the registered one (whitespace ignored); none given means that person. Returns the
    name to record."""
    if (released_to or "").strip() and _spaceless(released_to) != _spaceless(registered_name):
        raise InvalidInput(
            N_("The items can be released only to the person registered on the check-out: %(name)s."),
            code="checkout.not_registered_recipient",
            fields={"released_to": [N_("Not the person registered on the check-out.")]},
            name=registered_name,
        )
    return registered_name


def is_overdue(status: CheckoutStatus, due_at: datetime, now: datetime) -> bool:
    return status is CheckoutStatus.RELEASED and now > due_at


# -- disposition (处置) -------------------------------------------------------------------------

FINAL_KINDS = frozenset(
    {
        DispositionKind.RETURN_TO_OWNER,
        DispositionKind.CONFISCATE,
        DispositionKind.DESTROY,
        DispositionKind.HAND_OVER,
    }
)


class DisposalGround(LabelledEnum):
    """Why a final disposal may happen now (docs/DOMAIN.md "Disposal").

    ``judgment``: the case's effective judgment or closing decision. Before any judgment the law
    itself orders three disposals: property found unrelated to the case is returned within 3 days
    (刑诉法 145); contraband and dangerous goods not needed as evidence are handed to the competent
    authority or destroyed (程序规定 236 ¶2, 2021解释 441(三)); unrelated property nobody claimed
    after its notice period goes to the treasury (程序规定 233; court-ordered returns 2021解释 445 ¶3).
    """

    JUDGMENT = "judgment"
    UNRELATED = "unrelated"
    CONTRABAND = "contraband"
    UNCLAIMED = "unclaimed"


# [LAW] Which final disposals each ground allows.
GROUND_KINDS: dict[DisposalGround, frozenset[DispositionKind]] = {
    DisposalGround.JUDGMENT: FINAL_KINDS,
    DisposalGround.UNRELATED: frozenset({DispositionKind.RETURN_TO_OWNER}),
    DisposalGround.CONTRABAND: frozenset({DispositionKind.HAND_OVER, DispositionKind.DESTROY}),
    DisposalGround.UNCLAIMED: frozenset({DispositionKind.CONFISCATE}),
}


class DispositionRecordStatus(LabelledEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTED = "executed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class DisposalFacts:
    """What the disposal rules need to know about one item."""

    facts: ItemFacts
    category: ItemCategory
    is_perishable: bool
    ownership_clear: bool
    has_photo: bool
    is_valued: bool
    has_owner: bool = True  # an owner name is recorded (returns go only to the recorded owner)
    has_holder: bool = False  # the seizure list names the holder (unrelated property goes back to them)
    found_unrelated: bool = False  # an UnrelatedFinding is on record (刑诉法 145)
    notice_period_over: bool = False  # a public notice of the item has run its full period unclaimed


@dataclass(frozen=True)
class CaseOutcome:
    """What the case has decided, as far as the final disposal of its property goes [LAW].

    ``judgment_no`` is the court's effective judgment (recording it puts the case in execution);
    ``closing_decision`` the number of the decision that closed the case: not to prosecute, to drop
    the case, or closing it after the judgment was executed.
    """

    stage: CaseStage
    judgment_no: str | None = None
    closing_decision: str | None = None

    @property
    def decided(self) -> bool:
        if self.stage is CaseStage.EXECUTION:
            return bool(self.judgment_no)
        if self.stage is CaseStage.CLOSED:
            return bool(self.judgment_no or self.closing_decision)
        return False

    @property
    def reference(self) -> str | None:
        """What a final disposal cites unless told otherwise: the judgment, else the closing decision."""
        if not self.decided:
            return None
        return self.judgment_no or self.closing_decision


def default_ground(kind: DispositionKind, ground: DisposalGround | None) -> DisposalGround | None:
    """A final disposal carries a ground (the judgment unless another is named); early sale and
    pre-trial return have their own rules and no ground."""
    if kind not in FINAL_KINDS:
        return None
    return ground or DisposalGround.JUDGMENT


def check_ground_kind(kind: DispositionKind, ground: DisposalGround | None) -> None:
    if kind not in FINAL_KINDS:
        if ground is not None:
            raise InvalidInput(
                N_("A ground applies only to a final disposal."),
                fields={"ground": [N_("Not applicable to this kind of disposal.")]},
            )
        return
    assert ground is not None
    if kind not in GROUND_KINDS[ground]:
        raise InvalidInput(
            N_(
                "This ground does not allow this kind of disposal: unrelated property is returned, "
                "contraband is handed over or destroyed, unclaimed property is confiscated."
            ),
            code="disposal.ground_kind",
            fields={"ground": [N_("Does not allow this kind of disposal.")]},
        )


def check_disposal_ground(
    kind: DispositionKind,
    case: CaseOutcome,
    ground: DisposalGround | None = None,
    item: DisposalFacts | None = None,
) -> None:
    """[LAW] A final disposal carries out the outcome of the case (the court's effective judgment, or
    the decision not to prosecute or to drop the case), or one of the disposals the law orders before
    any judgment: unrelated property returned (刑诉法 145), contraband handed over or destroyed
    (程序规定 236 ¶2), unclaimed unrelated property confiscated after its notice period (程序规定 233,
    2021解释 445 ¶3). Early sale and pre-trial return keep their own rules.

    Checked at proposal, and again at approval and execution (a proposal recorded before this rule
    must not slip through).
    """
    if kind not in FINAL_KINDS:
        return
    ground = ground or DisposalGround.JUDGMENT
    if ground is DisposalGround.JUDGMENT:
        if not case.decided:
            raise Conflict(
                N_(
                    "A final disposal carries out the outcome of the case: first record the court's "
                    "effective judgment, or close the case with the decision not to prosecute or to "
                    "drop it. Before judgment only unrelated property (returned), contraband "
                    "(handed over or destroyed) and unclaimed property after its notice period "
                    "(confiscated) may be disposed of."
                ),
                code="disposal.case_not_decided",
            )
        return
    if item is None:
        return
    if ground is DisposalGround.UNRELATED and not item.found_unrelated:
        raise Conflict(
            N_("Record first that the item was found unrelated to the case."),
            code="disposal.not_unrelated",
        )
    if ground is DisposalGround.UNCLAIMED and not item.notice_period_over:
        raise Conflict(
            N_(
                "Unclaimed property goes to the treasury only after its public notice has run its full "
                "period (6 months; court-ordered returns 1 year) without a claim."
            ),
            code="disposal.notice_period_running",
        )


def disposal_legal_basis(
    kind: DispositionKind,
    legal_basis: str | None,
    case: CaseOutcome,
    ground: DisposalGround | None = None,
) -> str | None:
    """The legal basis to record: as given, or for a disposal under the judgment the recorded
    judgment or decision."""
    given = (legal_basis or "").strip() or None
    if (
        given is None
        and kind in FINAL_KINDS
        and (ground or DisposalGround.JUDGMENT) is DisposalGround.JUDGMENT
    ):
        return case.reference
    return given


def check_disposal_proposal(
    kind: DispositionKind,
    item: DisposalFacts,
    legal_basis: str | None,
    reason: str | None,
    *,
    case: CaseOutcome,
    ground: DisposalGround | None = None,
    notice_ref: str | None = None,
) -> None:
    ensure_not_disposed(item.facts)
    ensure_not_in_transfer(item.facts)
    if item.facts.disposition_status is not DispositionStatus.NONE:
        raise Conflict(N_("The item already has a disposal in progress."), code="item.disposal_pending")
    if item.facts.location_state is LocationState.CHECKED_OUT:
        raise Conflict(N_("A checked-out item must be returned first."), code="item.checked_out")
    check_ground_kind(kind, ground)
    check_disposal_ground(kind, case, ground, item)
    if kind in FINAL_KINDS and not (legal_basis or "").strip():
        raise InvalidInput(
            N_("Cite the judgment or decision that orders this disposal."),
            fields={"legal_basis": [N_("Required.")]},
        )
    if ground is DisposalGround.UNRELATED and not (notice_ref or "").strip():
        # [LAW] 程序规定 247 / 检察院规则 215: the owner is told (通知) when the property is released.
        raise InvalidInput(
            N_("Record how the owner was notified of the release (notice no. or means)."),
            fields={"notice_ref": [N_("Required.")]},
        )
    _check_reason_and_photo(kind, ground, reason, item)
    check_owner_recorded(kind, item.has_owner or (ground is DisposalGround.UNRELATED and item.has_holder))
    if kind is DispositionKind.PRETRIAL_RETURN:
        if not item.ownership_clear:
            raise Conflict(
                N_("Pre-trial return needs ownership recorded as clear and undisputed."),
                code="disposal.ownership_unclear",
            )
        if not (item.has_photo and item.is_valued):
            raise Conflict(
                N_("Register, photograph and value the item before returning it."),
                code="disposal.not_documented",
            )


def _check_reason_and_photo(
    kind: DispositionKind, ground: DisposalGround | None, reason: str | None, item: DisposalFacts
) -> None:
    """Contraband destroyed before judgment, and an early sale, each need a stated reason and a photo."""
    if ground is DisposalGround.CONTRABAND:
        if not (reason or "").strip():
            raise InvalidInput(
                N_("Say why the item is contraband or dangerous and not needed as evidence."),
                fields={"reason": [N_("Required.")]},
            )
        if not item.has_photo:
            # [LAW] 2021解释 441(三): the photos and the list follow the case after the item is gone.
            raise Conflict(
                N_("Photograph the item first: the photos and the list stay with the case."),
                code="disposal.photo_required",
            )
    if kind is DispositionKind.EARLY_SALE:
        # [LAW] The kinds of property are an open list (等): any item, with the reason stated.
        if not (reason or "").strip():
            raise InvalidInput(
                N_("Give the reason for early disposal."), fields={"reason": [N_("Required.")]}
            )
        if not item.has_photo:
            raise Conflict(N_("Photograph the item before early disposal."), code="disposal.photo_required")


def consent_required(kind: DispositionKind, custodian_kind: AgencyKind, category: ItemCategory) -> bool:
    """[LAW] Early sale needs the owner's application or consent during trial (2021解释 439: 经权利人
    申请或者同意), and a written application for securities (程序规定 246, 检察院规则 214)."""
    if kind is not DispositionKind.EARLY_SALE:
        return False
    return custodian_kind is AgencyKind.COURT or category is ItemCategory.SECURITIES


def check_owner_consent(required: bool, owner_consent: str | None) -> None:
    if required and not (owner_consent or "").strip():
        raise InvalidInput(
            N_("Record the owner's application or consent (for securities: the written application)."),
            code="disposal.consent_required",
            fields={"owner_consent": [N_("Required.")]},
        )


RETURN_KINDS = frozenset({DispositionKind.RETURN_TO_OWNER, DispositionKind.PRETRIAL_RETURN})


def check_owner_recorded(kind: DispositionKind, has_owner: bool) -> None:
    """[LAW] A return (发还, 先行发还) goes only to the recorded owner or an agent the owner authorised in
    writing: with no owner recorded, no recipient could ever be accepted. Checked at proposal,
    approval and execution; the owner is recorded by a correction of the item's owner name.
    Unrelated property may also go back to the holder it was taken from (``has_owner`` is then true
    when the seizure list names the holder)."""
    if kind in RETURN_KINDS and not has_owner:
        raise Conflict(
            N_(
                "No owner is recorded for this item, and a return goes only to the recorded owner: "
                "first record the owner's name by a correction of the item."
            ),
            code="disposal.no_owner",
        )


class RecipientRelation(LabelledEnum):
    """Who collects a returned item, in relation to its owner [LAW]."""

    OWNER = "owner"  # 所有人、合法权利人
    HOLDER = "holder"  # 原持有人 (unrelated property, 刑诉法 145 予以退还)
    HEIR = "heir"  # 合法继承人 (检察院规则 249)
    ORGANISATION = "organisation"  # 单位的经办人 (owner is an organisation)
    AGENT = "agent"  # 受委托人 with a written power of attorney (程序规定 234 ¶2)


@dataclass(frozen=True)
class Recipient:
    """Who receives a returned item: the owner, or someone entitled to collect for them."""

    name: str
    id_no: str | None = None
    is_agent: bool = False
    authorisation_ref: str | None = None  # 授权委托书, 继承证明, 单位介绍信 — number/reference
    relation: RecipientRelation | None = None
    organisation: str | None = None

    @property
    def kind(self) -> RecipientRelation:
        if self.relation is not None:
            return self.relation
        return RecipientRelation.AGENT if self.is_agent else RecipientRelation.OWNER


def _same(a: str | None, b: str | None) -> bool:
    return "".join((a or "").split()) == "".join((b or "").split()) and bool((a or "").strip())


def check_recipient(
    recipient: Recipient | None,
    owner_name: str | None,
    owner_id_no: str | None,
    *,
    holder_name: str | None = None,
    unrelated: bool = False,
    staff_names: frozenset[str] = frozenset(),
) -> None:
    """[LAW] Returns go only to the owner or someone entitled to collect: an agent holding a written
    authorisation, an heir with proof of inheritance, an organisation's representative with its
    letter; unrelated property also back to the holder it was taken from. Staff of the (police)
    custodian may not collect for others (程序规定 234 ¶2: 侦查人员或者公安机关其他工作人员不得代为领取)."""
    if recipient is None or not recipient.name.strip():
        raise InvalidInput(N_("Name the person receiving the item."), fields={"recipient": [N_("Required.")]})
    kind = recipient.kind
    if kind is not RecipientRelation.OWNER and "".join(recipient.name.split()) in staff_names:
        raise Conflict(
            N_("Staff of the custodian agency may not collect property for others."),
            code="disposal.staff_collects",
        )
    if kind in (RecipientRelation.AGENT, RecipientRelation.HEIR, RecipientRelation.ORGANISATION):
        if not (recipient.authorisation_ref or "").strip():
            messages = {
                RecipientRelation.AGENT: N_(
                    "An agent may receive the item only with a recorded written authorisation."
                ),
                RecipientRelation.HEIR: N_("Record the proof of inheritance the heir showed."),
                RecipientRelation.ORGANISATION: N_(
                    "Record the organisation's letter authorising its representative."
                ),
            }
            raise Conflict(messages[kind], code="disposal.no_authorisation")
        if kind is RecipientRelation.ORGANISATION and not _same(recipient.organisation, owner_name):
            raise Conflict(N_("The organisation is not the recorded owner."), code="disposal.not_owner")
        return
    if kind is RecipientRelation.HOLDER:
        if not unrelated:
            raise Conflict(
                N_("Only property found unrelated to the case goes back to the holder."),
                code="disposal.not_owner",
            )
        if not _same(recipient.name, holder_name):
            raise Conflict(
                N_("The recipient is not the holder named on the seizure list."), code="disposal.not_owner"
            )
        return
    if not owner_name or recipient.name.strip() != owner_name.strip():
        raise Conflict(N_("The recipient is not the recorded owner."), code="disposal.not_owner")
    if owner_id_no and recipient.id_no and recipient.id_no.strip().upper() != owner_id_no.strip().upper():
        raise Conflict(
            N_("The recipient's ID number does not match the recorded owner."), code="disposal.not_owner"
        )
    if owner_id_no and not recipient.id_no:
        raise InvalidInput(
            N_("Check and record the recipient's ID number."), fields={"recipient.id_no": [N_("Required.")]}
        )


class WitnessKind(LabelledEnum):
    """Who witnessed a destruction [DESIGN §4 + issue 12]: a system user outside the chain of custody
    (confirming with their own password), or an external person recorded by name and ID."""

    USER = "user"
    DISCIPLINE_INSPECTOR = "discipline_inspector"  # 纪检监察人员
    OTHER_AUTHORITY = "other_authority"  # 其他机关人员
    CITIZEN = "citizen"  # 群众


EXTERNAL_WITNESS_KINDS = frozenset(WitnessKind) - {WitnessKind.USER}


@dataclass(frozen=True)
class ExternalWitness:
    kind: WitnessKind
    name: str
    id_no: str
    organisation: str | None = None


def check_external_witness(witness: ExternalWitness) -> None:
    errors: dict[str, list[str]] = {}
    if witness.kind not in EXTERNAL_WITNESS_KINDS:
        errors["witness_kind"] = [N_("Not an external witness.")]
    if not witness.name.strip():
        errors["witness_name"] = [N_("Required.")]
    if not witness.id_no.strip():
        errors["witness_id_no"] = [N_("Required.")]
    if errors:
        raise InvalidInput(N_("Record the external witness's name and ID number."), fields=errors)


def witness_disqualified(chain_of_custody_user_ids: set[int], executor_user_id: int) -> set[int]:
    """[DESIGN §4] Who may not witness a destruction: everyone in the items' chain of custody and
    the executing keeper. The execute form lists the other active users; ``check_witness`` refuses
    these — one rule for both."""
    return set(chain_of_custody_user_ids) | {executor_user_id}


def check_witness(
    witness_user_id: int | None, chain_of_custody_user_ids: set[int], *, is_admin: bool = False
) -> None:
    """[DESIGN §4] A destruction witness must appear nowhere in the item's chain of custody, and a
    system administrator (who holds no custody role) is never a witness."""
    if witness_user_id is None:
        raise InvalidInput(N_("Destruction needs a witness."), fields={"witness": [N_("Required.")]})
    if is_admin:
        raise Conflict(
            N_("A system administrator cannot witness a destruction."), code="separation.witness_admin"
        )
    if witness_user_id in chain_of_custody_user_ids:
        # A fact about this item's records, not about the actor's permissions: a conflict (409).
        raise Conflict(
            N_("The witness has handled this item and cannot witness its destruction."),
            code="separation.witness_in_chain",
        )


def check_execution(kind: DispositionKind, receipt_no: str | None, proceeds_fen: int | None) -> None:
    if not (receipt_no or "").strip():
        raise InvalidInput(
            N_("Record the execution receipt number (执行回单)."), fields={"receipt_no": [N_("Required.")]}
        )
    if kind is DispositionKind.EARLY_SALE:
        if proceeds_fen is None or proceeds_fen < 0 or proceeds_fen > MAX_FEN:
            raise InvalidInput(
                N_("Record the sale proceeds in fen."), fields={"proceeds_fen": [N_("Required.")]}
            )
    elif proceeds_fen is not None:
        raise InvalidInput(
            N_("Proceeds apply only to an early sale."), fields={"proceeds_fen": [N_("Not applicable.")]}
        )


def check_lot_proceeds(item_ids: list[int], total_fen: int, per_item: dict[int, int] | None) -> None:
    """An early sale of a lot (拍卖 of many items at once) records the lot's total; the per-item
    prices, when the auction reports them, cover every item of the lot and add up to the total."""
    if not per_item:
        return
    if set(per_item) != set(item_ids):
        raise InvalidInput(
            N_("Give a price for every item of the lot, or none."),
            fields={"line_proceeds": [N_("Every item of the lot, or none.")]},
        )
    if any(v < 0 or v > MAX_FEN for v in per_item.values()) or sum(per_item.values()) != total_fen:
        raise InvalidInput(
            N_("The prices of the items must add up to the lot's proceeds."),
            fields={"line_proceeds": [N_("Does not add up to the proceeds.")]},
        )


# -- freezes (冻结) -----------------------------------------------------------------------------


class FreezeAssetType(LabelledEnum):
    DEPOSIT = "deposit"  # 存款
    REMITTANCE = "remittance"  # 汇款
    BROKERAGE_FUNDS = "brokerage_funds"  # 证券交易结算资金
    FUTURES_MARGIN = "futures_margin"  # 期货保证金
    BONDS = "bonds"  # 债券
    STOCKS = "stocks"  # 股票
    FUND_UNITS = "fund_units"  # 基金份额
    EQUITY = "equity"  # 股权
    INSURANCE = "insurance"  # 保单权益
    INVESTMENT_RIGHTS = "investment_rights"  # 其他投资权益


class FreezeStatus(LabelledEnum):
    ACTIVE = "active"
    QUEUED = "queued"  # 轮候冻结: waits behind an earlier freeze of the same account
    LAPSED = "lapsed"  # not renewed before expiry: the freeze ended by itself
    RELEASED = "released"  # 解除冻结


class ApprovalLevel(LabelledEnum):
    """Who approved the freeze, as the police's rules rank it (程序规定 art. 239)."""

    COUNTY = "county"  # 县级以上公安机关负责人
    CITY = "city"  # 设区的市一级以上
    PROVINCE = "province"  # 省级以上


_LEVEL_RANK = {ApprovalLevel.COUNTY: 1, ApprovalLevel.CITY: 2, ApprovalLevel.PROVINCE: 3}

# [LAW] 程序规定 art. 243–245: the police's maximum period per freeze or renewal, in months.
FREEZE_PERIOD_MONTHS: dict[FreezeAssetType, int] = {
    FreezeAssetType.DEPOSIT: 6,
    FreezeAssetType.REMITTANCE: 6,
    FreezeAssetType.BROKERAGE_FUNDS: 6,
    FreezeAssetType.FUTURES_MARGIN: 6,
    FreezeAssetType.BONDS: 24,
    FreezeAssetType.STOCKS: 24,
    FreezeAssetType.FUND_UNITS: 24,
    FreezeAssetType.EQUITY: 6,
    FreezeAssetType.INSURANCE: 6,
    FreezeAssetType.INVESTMENT_RIGHTS: 6,
}
MAJOR_CASE_MONTHS = 12
MAJOR_CASE_TYPES = frozenset(
    {
        FreezeAssetType.DEPOSIT,
        FreezeAssetType.REMITTANCE,
        FreezeAssetType.BROKERAGE_FUNDS,
        FreezeAssetType.FUTURES_MARGIN,
    }
)
# [LAW] 民诉法解释 art. 485 (through 2021解释 art. 450): the court freezes bank deposits for at most one
# year and other property rights for at most three.
COURT_DEPOSIT_MONTHS = 12
COURT_OTHER_RIGHTS_MONTHS = 36
# [DESIGN] 检察院规则 art. 212–216 set no period: the procuratorate's freezes are bounded only by this
# input limit (ten years) and by the date on the institution's receipt; the police periods are offered
# as the suggestion.
LONGEST_PERIOD_MONTHS = 120

ASSET_TYPES_FOR_CATEGORY: dict[ItemCategory, frozenset[FreezeAssetType]] = {
    ItemCategory.BANK_ACCOUNT: frozenset(
        {FreezeAssetType.DEPOSIT, FreezeAssetType.REMITTANCE, FreezeAssetType.FUTURES_MARGIN}
    ),
    ItemCategory.SECURITIES: frozenset(
        {
            FreezeAssetType.BROKERAGE_FUNDS,
            FreezeAssetType.FUTURES_MARGIN,
            FreezeAssetType.BONDS,
            FreezeAssetType.STOCKS,
            FreezeAssetType.FUND_UNITS,
        }
    ),
    ItemCategory.EQUITY: frozenset({FreezeAssetType.EQUITY, FreezeAssetType.INVESTMENT_RIGHTS}),
    ItemCategory.INSURANCE: frozenset({FreezeAssetType.INSURANCE}),
    # [DESIGN] the balance of a third-party payment account is frozen like a deposit (its platform
    # assists as a bank does: 公安部 2015 规定 on freezing 存款、汇款 and other property).
    ItemCategory.PAYMENT_ACCOUNT: frozenset({FreezeAssetType.DEPOSIT, FreezeAssetType.REMITTANCE}),
}


def max_period_months(
    asset_type: FreezeAssetType, major_case: bool, agency_kind: AgencyKind = AgencyKind.POLICE
) -> int:
    """The longest freeze (or renewal) the freezing agency's rules allow for this asset."""
    if agency_kind is AgencyKind.COURT:
        return COURT_DEPOSIT_MONTHS if asset_type in MAJOR_CASE_TYPES else COURT_OTHER_RIGHTS_MONTHS
    if agency_kind is AgencyKind.PROCURATORATE:
        return LONGEST_PERIOD_MONTHS
    if major_case and asset_type in MAJOR_CASE_TYPES:
        return MAJOR_CASE_MONTHS
    return FREEZE_PERIOD_MONTHS[asset_type]


def suggested_period_months(asset_type: FreezeAssetType, major_case: bool, agency_kind: AgencyKind) -> int:
    """The period offered by default: the agency's maximum, the police's for the procuratorate."""
    if agency_kind is AgencyKind.PROCURATORATE:
        return max_period_months(asset_type, major_case, AgencyKind.POLICE)
    return max_period_months(asset_type, major_case, agency_kind)


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def freeze_expiry(start: date, months: int) -> date:
    """The suggested last day: a 6-month freeze from 1 March holds until 31 August. The freeze's
    real end is the date the institution states on its receipt (回执), recorded with the freeze."""
    return add_months(start, months) - timedelta(days=1)


def check_freeze_period(
    asset_type: FreezeAssetType,
    major_case: bool,
    months: int | None,
    agency_kind: AgencyKind = AgencyKind.POLICE,
) -> int:
    limit = max_period_months(asset_type, major_case, agency_kind)
    months = suggested_period_months(asset_type, major_case, agency_kind) if months is None else months
    if months < 1 or months > limit:
        raise InvalidInput(
            N_("The period must be 1 to %(months)s months for this asset type."),
            code="freeze.period_too_long",
            fields={"period_months": [N_("Longer than the law allows for this asset type.")]},
            months=limit,
        )
    return months


def check_receipt_end(start: date, months: int, receipt_end_on: date | None) -> date:
    """[LAW] The freeze ends on the date the institution's receipt states; the computed end is only a
    suggestion. A receipt date before the start, or beyond the period decided, is a typing error."""
    suggested = freeze_expiry(start, months)
    if receipt_end_on is None:
        return suggested
    if receipt_end_on < start or receipt_end_on > add_months(start, months):
        raise InvalidInput(
            N_("The receipt's end date must lie within the period decided (%(start)s to %(last)s)."),
            code="freeze.receipt_end",
            fields={"receipt_end_on": [N_("Outside the period decided.")]},
            start=start.isoformat(),
            last=add_months(start, months).isoformat(),
        )
    return receipt_end_on


def check_freeze_category(category: ItemCategory, asset_type: FreezeAssetType) -> None:
    if asset_type not in ASSET_TYPES_FOR_CATEGORY.get(category, frozenset()):
        raise InvalidInput(
            N_("This asset type does not match the item's category."),
            fields={"asset_type": [N_("Does not match the item's category.")]},
        )


@dataclass(frozen=True)
class FreezeDecision:
    """What the notice to the institution (协助冻结财产通知书) records, and who approved it."""

    approved_by: str  # the approving head or the approval document
    approval_level: ApprovalLevel | None = None
    covers_fruits: bool = False  # 是否及于孳息
    scope: str | None = None  # 冻结范围
    listed_company: bool = False  # equity of a listed company
    major_case_approval: str | None = None  # 1-year option: the city-level head's approval


def required_level(asset_type: FreezeAssetType, listed_company: bool, major_case: bool) -> ApprovalLevel:
    """[LAW] 程序规定 art. 239 ¶1–3 and art. 243 ¶2: county-level head; equity and insurance rights a
    city-level head; listed-company equity a provincial head; the 1-year period of a major case a
    city-level head."""
    if asset_type is FreezeAssetType.EQUITY and listed_company:
        return ApprovalLevel.PROVINCE
    if asset_type in (FreezeAssetType.EQUITY, FreezeAssetType.INSURANCE) or major_case:
        return ApprovalLevel.CITY
    return ApprovalLevel.COUNTY


def check_freeze_decision(
    decision: FreezeDecision, asset_type: FreezeAssetType, major_case: bool, agency_kind: AgencyKind
) -> None:
    errors: dict[str, list[str]] = {}
    if not decision.approved_by.strip():
        errors["approved_by"] = [N_("Required.")]
    if major_case and agency_kind is AgencyKind.POLICE and not (decision.major_case_approval or "").strip():
        errors["major_case_approval"] = [N_("Record who approved the one-year period.")]
    if errors:
        raise InvalidInput(N_("Record who approved the freeze."), fields=errors)
    if agency_kind is AgencyKind.POLICE:
        needed = required_level(asset_type, decision.listed_company, major_case)
        level = decision.approval_level or ApprovalLevel.COUNTY
        if _LEVEL_RANK[level] < _LEVEL_RANK[needed]:
            messages = {
                ApprovalLevel.CITY: N_(
                    "This freeze needs the approval of a head of a city-level (设区的市一级以上) police agency."
                ),
                ApprovalLevel.PROVINCE: N_(
                    "Freezing a listed company's equity needs the approval of a provincial police head."
                ),
            }
            raise InvalidInput(
                messages.get(needed, N_("Too low for this freeze.")),
                code="freeze.approval_level",
                fields={"approval_level": [N_("Too low for this freeze.")]},
            )


def check_not_duplicate(active_nos: list[str], queued: bool) -> None:
    """[LAW] 刑事诉讼法 art. 144 ¶2: property already frozen is not frozen again — but a queued freeze
    (轮候冻结, 程序规定 art. 242) may be recorded behind it."""
    if active_nos and not queued:
        raise Conflict(
            N_(
                "This account is already frozen (%(nos)s): it may not be frozen again, but a queued "
                "freeze (轮候冻结) can be recorded behind it."
            ),
            code="freeze.duplicate",
            nos="、".join(active_nos),
        )


def check_freeze_not_expired(expires_on: date, today: date) -> None:
    """[LAW] A freeze is recorded while it holds: one whose last day has already passed would have
    lapsed on the day it was recorded (and alert at once as overdue). Record the freeze or renewal
    notice that is in force instead."""
    if expires_on < today:
        raise InvalidInput(
            N_(
                "A freeze starting on this day would have ended on %(last)s: it has already lapsed. "
                "Record the freeze notice in force (the latest renewal) with its own start date."
            ),
            code="freeze.already_expired",
            fields={"start_on": [N_("The freeze period from this day is already over.")]},
            last=expires_on.isoformat(),
        )


def freeze_status_on(status: FreezeStatus, expires_on: date, today: date) -> FreezeStatus:
    """An active freeze whose last day has passed has lapsed, whether or not that was recorded yet."""
    if status is FreezeStatus.ACTIVE and today > expires_on:
        return FreezeStatus.LAPSED
    return status


def check_renewal(status: FreezeStatus, expires_on: date, today: date) -> None:
    """[LAW] 程序规定 art. 240: renewal any time before the freeze's last day has passed (afterwards it
    has lapsed by itself); each renewal for at most the same period, counted on from the old end."""
    effective = freeze_status_on(status, expires_on, today)
    if effective is FreezeStatus.LAPSED:
        raise Conflict(
            N_("The freeze expired without renewal and has lapsed; it cannot be renewed."),
            code="freeze.lapsed",
        )
    if effective is FreezeStatus.RELEASED:
        raise Conflict(N_("The freeze has been released."), code="freeze.released")
    if effective is FreezeStatus.QUEUED:
        raise Conflict(N_("A queued freeze is renewed once it takes effect."), code="freeze.queued")


# -- corrections (更正) -------------------------------------------------------------------------


class CorrectionStatus(LabelledEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


# Registration fields that a correction may change (custody, location and disposition change only
# through their own workflows, never by correction).
CORRECTABLE_FIELDS = (
    "name",
    "quantity",
    "unit",
    "features",
    "specification",
    "condition_at_seizure",
    "source",
    "estimated_value_fen",
    "owner_name",
    "owner_id_no",
    "owner_contact",
    "ownership_clear",
    "is_perishable",
    "measure_doc_no",
    "measure_date",
    "details",
)


def check_correction_field(field: str) -> None:
    if field not in CORRECTABLE_FIELDS:
        raise InvalidInput(
            N_("This field cannot be corrected."), fields={"field": [N_("Not a correctable field.")]}
        )


def check_correction_still_valid(recorded_old: Any, current: Any) -> None:
    if recorded_old != current:
        raise Conflict(
            N_("The field changed since the correction was proposed; propose it again."),
            code="correction.stale",
        )


register_labels(
    [
        (CheckoutPurpose.INTERROGATION, N_("Interrogation")),
        (CheckoutPurpose.APPRAISAL, N_("Appraisal")),
        (CheckoutPurpose.IDENTIFICATION, N_("Identification")),
        (CheckoutPurpose.TESTING, N_("Testing")),
        (CheckoutPurpose.INSPECTION, N_("Inspection")),
        (CheckoutPurpose.COURT_PRESENTATION, N_("Court presentation")),
        (CheckoutPurpose.OTHER, N_("Other (reason stated)")),
        (CheckoutStatus.REQUESTED, N_("Requested")),
        (CheckoutStatus.APPROVED, N_("Approved")),
        (CheckoutStatus.REJECTED, N_("Not approved")),
        (CheckoutStatus.RELEASED, N_("Released")),
        (CheckoutStatus.RETURNED, N_("Returned")),
        (CheckoutStatus.CANCELLED, N_("Cancelled")),
        (ExtensionStatus.REQUESTED, N_("Requested")),
        (ExtensionStatus.APPROVED, N_("Approved")),
        (ExtensionStatus.REJECTED, N_("Not approved")),
        (Discrepancy.DAMAGE, N_("Damage")),
        (Discrepancy.SHORTAGE, N_("Shortage")),
        (Discrepancy.SUBSTITUTION, N_("Substitution")),
        (CounterpartyKind.PERSON, N_("Person")),
        (CounterpartyKind.LAB, N_("Laboratory")),
        (CounterpartyKind.COURT, N_("Court")),
        (CounterpartyKind.BANK, N_("Bank")),
        (CounterpartyKind.AUTHORITY, N_("Authority")),
        (CounterpartyKind.OTHER, N_("Other")),
        (DisposalGround.JUDGMENT, N_("The judgment or closing decision")),
        (DisposalGround.UNRELATED, N_("Unrelated to the case (return within 3 days)")),
        (DisposalGround.CONTRABAND, N_("Contraband or dangerous goods not needed as evidence")),
        (DisposalGround.UNCLAIMED, N_("Unclaimed after the public notice period")),
        (RecipientRelation.OWNER, N_("The owner")),
        (RecipientRelation.HOLDER, N_("The holder it was taken from")),
        (RecipientRelation.HEIR, N_("An heir")),
        (RecipientRelation.ORGANISATION, N_("The owner organisation's representative")),
        (RecipientRelation.AGENT, N_("An agent with written authorisation")),
        (WitnessKind.USER, N_("A user of the system")),
        (WitnessKind.DISCIPLINE_INSPECTOR, N_("Discipline inspector")),
        (WitnessKind.OTHER_AUTHORITY, N_("Official of another authority")),
        (WitnessKind.CITIZEN, N_("Citizen")),
        (DispositionRecordStatus.PROPOSED, N_("Proposed")),
        (DispositionRecordStatus.APPROVED, N_("Approved")),
        (DispositionRecordStatus.REJECTED, N_("Not approved")),
        (DispositionRecordStatus.EXECUTED, N_("Executed")),
        (DispositionRecordStatus.CANCELLED, N_("Cancelled")),
        (FreezeAssetType.DEPOSIT, N_("Deposit")),
        (FreezeAssetType.REMITTANCE, N_("Remittance")),
        (FreezeAssetType.BROKERAGE_FUNDS, N_("Brokerage funds")),
        (FreezeAssetType.FUTURES_MARGIN, N_("Futures margin")),
        (FreezeAssetType.INVESTMENT_RIGHTS, N_("Other investment rights")),
        (FreezeStatus.QUEUED, N_("Queued (轮候)")),
        (ApprovalLevel.COUNTY, N_("County-level head")),
        (ApprovalLevel.CITY, N_("City-level head")),
        (ApprovalLevel.PROVINCE, N_("Provincial head")),
        (FreezeAssetType.BONDS, N_("Bonds")),
        (FreezeAssetType.STOCKS, N_("Stocks")),
        (FreezeAssetType.FUND_UNITS, N_("Fund units")),
        (FreezeAssetType.EQUITY, N_("Equity")),
        (FreezeAssetType.INSURANCE, N_("Insurance")),
        (FreezeStatus.ACTIVE, N_("In force")),
        (FreezeStatus.LAPSED, N_("Lapsed")),
        (FreezeStatus.RELEASED, N_("Unfrozen")),
        (CorrectionStatus.PROPOSED, N_("Proposed")),
        (CorrectionStatus.APPROVED, N_("Approved")),
        (CorrectionStatus.REJECTED, N_("Not approved")),
    ]
)
