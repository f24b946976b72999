"""随案移送 — transfer with the case: routes, stage effects and per-line decisions [LAW + DESIGN §3].

Custody of an accepted line moves at the moment of acceptance; a rejected line stays with the
sender and the item is flagged; the sender may recall the whole transfer until the receiver has
decided any line. The case file moves to the receiver with its first acceptance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .enums import (
    AgencyKind,
    CaseStage,
    CustodyState,
    DispositionStatus,
    ItemStatus,
    LabelledEnum,
    LineDecision,
    LocationState,
    TransferKind,
    TransferStatus,
    register_labels,
)
from .errors import Conflict, InvalidInput
from .i18n import N_
from .items import ItemFacts, derive_status

MAX_SUPPLEMENTARY_ROUNDS = 2  # [LAW] 退回补充侦查 at most twice
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class Route:
    from_kind: AgencyKind | None  # None: any kind
    to_kind: AgencyKind | None
    from_stage: frozenset[CaseStage]
    to_stage: CaseStage | None  # the case's stage after the receiver signs; None: unchanged
    number_for: AgencyKind | None  # whose case number the receiver records on first sign-for
    moves_file: bool = True  # the case file (and the handling of the case) moves to the receiver
    same_kind: bool = False  # between two agencies of the same kind (移送管辖: police → police …)
    # Items only, following the case: from an agency that holds them but no longer handles the case
    # to the agency that handles it now.
    to_handler: bool = False


ROUTES: dict[TransferKind, Route] = {
    TransferKind.PROSECUTION: Route(
        AgencyKind.POLICE,
        AgencyKind.PROCURATORATE,
        frozenset({CaseStage.INVESTIGATION}),
        CaseStage.PROSECUTION_REVIEW,
        AgencyKind.PROCURATORATE,
    ),
    TransferKind.INDICTMENT: Route(
        AgencyKind.PROCURATORATE,
        AgencyKind.COURT,
        frozenset({CaseStage.PROSECUTION_REVIEW}),
        CaseStage.TRIAL,
        AgencyKind.COURT,
    ),
    TransferKind.SUPPLEMENTARY_INVESTIGATION: Route(
        AgencyKind.PROCURATORATE,
        AgencyKind.POLICE,
        frozenset({CaseStage.PROSECUTION_REVIEW}),
        CaseStage.INVESTIGATION,
        None,
    ),
    # [LAW] 2021解释 art. 440: on appeal or protest the first-instance court sends the evidence on.
    TransferKind.APPEAL: Route(
        AgencyKind.COURT, AgencyKind.COURT, frozenset({CaseStage.TRIAL}), CaseStage.TRIAL, AgencyKind.COURT
    ),
    # [LAW] 程序规定 art. 184, 185: jurisdiction transferred (or merged investigation) — the file, the
    # evidence and the property go with the case; the receiver records its own number.
    TransferKind.JURISDICTION: Route(
        None,
        None,
        frozenset({CaseStage.INVESTIGATION, CaseStage.PROSECUTION_REVIEW, CaseStage.TRIAL}),
        None,
        None,
        same_kind=True,
    ),
    # [LAW] Property follows the case (随案移送, 刑事诉讼法 art. 245 ¶1; 程序规定 art. 288): items that
    # stayed behind when the file moved (a file-only stage transfer, a rejected line, items held by the
    # appeal court when the case returns to the first instance, 2021解释 art. 447) are sent on to the
    # agency handling the case — and nowhere else: no route hands a case's property to an agency that
    # has no part in it.
    TransferKind.OTHER: Route(
        None,
        None,
        frozenset(CaseStage) - {CaseStage.CLOSED},
        None,
        None,
        moves_file=False,
        to_handler=True,
    ),
}

# Items must be somewhere on record to be handed over by record or physically.
TRANSFERABLE_LOCATIONS = frozenset(
    {LocationState.IN_STORAGE, LocationState.WITH_HOLDER, LocationState.EXTERNAL}
)


def check_route(
    kind: TransferKind,
    *,
    from_kind: AgencyKind,
    to_kind: AgencyKind,
    same_agency: bool,
    case_stage: CaseStage,
    supplementary_rounds: int,
    item_count: int,
    sender_handles_case: bool,
    receiver_handles_case: bool,
) -> None:
    route = ROUTES[kind]
    if same_agency:
        raise InvalidInput(
            N_("A transfer goes to another agency."), fields={"to_agency_id": [N_("Same agency.")]}
        )
    if AgencyKind.CENTRE_OPERATOR in (from_kind, to_kind):
        # [DESIGN] 三方共管: a centre's operator keeps items for the custodian agencies; legal custody
        # never passes to it.
        raise InvalidInput(
            N_("A centre operator holds no legal custody: transfers go between the case agencies."),
            code="transfer.operator_not_party",
            fields={"to_agency_id": [N_("A centre operator is not a party to transfers.")]},
        )
    if route.to_handler and (sender_handles_case or not receiver_handles_case):
        raise InvalidInput(
            N_(
                "An items-only transfer sends items that stayed behind on to the agency now handling the "
                "case; the agency handling the case sends its items with a stage transfer."
            ),
            code="transfer.wrong_route",
            fields={
                "to_agency_id": [N_("Only the agency handling the case receives an items-only transfer.")]
            },
        )
    if (
        (route.from_kind and from_kind is not route.from_kind)
        or (route.to_kind and to_kind is not route.to_kind)
        or (route.same_kind and from_kind is not to_kind)
    ):
        raise InvalidInput(
            N_(
                "This kind of transfer does not go between these kinds of agency "
                "(police → procuratorate for prosecution review, procuratorate → court for prosecution, "
                "procuratorate → police for supplementary investigation, court → appeal court, "
                "jurisdiction to an agency of the same kind)."
            ),
            code="transfer.wrong_route",
            fields={"to_agency_id": [N_("Wrong kind of receiving agency for this transfer.")]},
        )
    _check_stage(kind, case_stage, supplementary_rounds)
    # A stage transfer may carry the file alone (items already with the receiver, or staying put);
    # an "other" transfer exists only to move items.
    if item_count == 0 and not route.moves_file:
        raise InvalidInput(
            N_("Choose at least one item."), fields={"item_ids": [N_("Choose at least one item.")]}
        )


def _check_stage(kind: TransferKind, case_stage: CaseStage, supplementary_rounds: int) -> None:
    if case_stage not in ROUTES[kind].from_stage:
        raise Conflict(
            N_("The case is not at a stage where this transfer is possible."), code="transfer.wrong_stage"
        )
    if kind is TransferKind.SUPPLEMENTARY_INVESTIGATION and supplementary_rounds >= MAX_SUPPLEMENTARY_ROUNDS:
        raise Conflict(
            N_("The case has already been returned for supplementary investigation twice."),
            code="transfer.supplementary_limit",
        )


def moves_case(kind: TransferKind) -> bool:
    """Whether signing for this transfer moves the case file (and stage) to the receiver."""
    return ROUTES[kind].moves_file


STAGE_KINDS = frozenset(kind for kind in TransferKind if moves_case(kind))


def file_only_while_holding(kind: TransferKind, line_count: int, held_count: int) -> bool:
    """A stage transfer with no items while the sender still holds items of the case: allowed (the
    items stay in its custody, by record), but the pages say so before and after sending."""
    return moves_case(kind) and line_count == 0 and held_count > 0


def check_no_stage_transfer_waiting(waiting_transfer_no: str | None) -> None:
    """[DESIGN] One case file, one move at a time: while a stage transfer of the case waits to be
    signed for, no other may be proposed (otherwise the later acceptance would act on a stage the
    case has already left)."""
    if waiting_transfer_no is not None:
        raise Conflict(
            N_(
                "Transfer %(no)s of the case file is still waiting to be signed for; "
                "it must be signed for or recalled first."
            ),
            code="transfer.stage_pending",
            no=waiting_transfer_no,
        )


def check_case_receivable(
    kind: TransferKind, *, case_stage: CaseStage, sender_handles_case: bool, supplementary_rounds: int
) -> None:
    """At the first sign-for of a stage transfer the case must still be where the route takes it
    from: the proposal was checked, but the case may have moved or closed since."""
    if case_stage is CaseStage.CLOSED:
        raise Conflict(
            N_(
                "The case has been closed; its file can no longer be signed for. "
                "Ask the sender to recall the transfer."
            ),
            code="transfer.case_closed",
        )
    _check_stage(kind, case_stage, supplementary_rounds)
    if not sender_handles_case:
        raise Conflict(
            N_("The sending agency no longer handles the case; ask it to recall the transfer."),
            code="transfer.sender_not_handler",
        )


def check_items_receivable(kind: TransferKind, *, receiver_handles_case: bool) -> None:
    """At each sign-for of an items-only transfer the receiver must still handle the case: the items
    follow the case, and the case may have moved on since they were offered."""
    if ROUTES[kind].to_handler and not receiver_handles_case:
        raise Conflict(
            N_("Your agency no longer handles the case; ask the sender to recall the transfer."),
            code="transfer.receiver_not_handler",
        )


def check_no_open_checkout(label_code: str, checkout_no: str | None) -> None:
    """An item requested, approved or released on a check-out stays with its custodian until the
    check-out is over: otherwise the old custodian's approval could be used after custody moved."""
    if checkout_no is not None:
        raise Conflict(
            N_(
                "Item %(label)s is on check-out %(no)s, which is still open; "
                "return the item or cancel the check-out before transferring it."
            ),
            code="item.checkout_open",
            label=label_code,
            no=checkout_no,
        )


# Why an item cannot be offered in a transfer, by refusal code (``transfer_problem``).
TRANSFER_REFUSALS: dict[str, str] = {
    "item.disposed": N_("This item has been disposed of and accepts no further action."),
    "item.in_transfer": N_(
        "This item is in a transfer awaiting the receiver's decision; recall or wait for it first."
    ),
    "item.disposal_pending": N_("The item has a disposal in progress; finish or cancel it first."),
    "item.checked_out": N_("A checked-out item must be returned before it is transferred."),
    "item.not_received": N_(
        "An item must be received into storage (or recorded as kept outside) before it is transferred."
    ),
}


def transfer_problem(facts: ItemFacts, *, stage: bool = False) -> str | None:
    """Why an item cannot be offered in a transfer now (a code of ``TRANSFER_REFUSALS``), or None.

    Pages ask this to say why an item is not offered; ``check_item_transferable`` raises it. A stage
    transfer lists all the property the case still has (刑事诉讼法 art. 245; 程序规定 art. 288): an
    item out on a check-out (e.g. for appraisal) is listed and flagged, not refused."""
    if derive_status(facts) is ItemStatus.DISPOSED:
        return "item.disposed"
    if facts.custody_state is CustodyState.IN_TRANSFER:
        return "item.in_transfer"
    if facts.disposition_status in (DispositionStatus.PROPOSED, DispositionStatus.APPROVED):
        return "item.disposal_pending"
    if facts.location_state is LocationState.CHECKED_OUT:
        return None if stage else "item.checked_out"
    if facts.location_state not in TRANSFERABLE_LOCATIONS:
        return "item.not_received"
    return None


def check_item_transferable(facts: ItemFacts, *, stage: bool = False) -> None:
    """Whether an item can be offered (``transfer_problem``): a Conflict naming why not."""
    problem = transfer_problem(facts, stage=stage)
    if problem is not None:
        raise Conflict(TRANSFER_REFUSALS[problem], code=problem)


def check_reject_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("A reason is required to reject a line."), fields={"reason": [N_("Required.")]})
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(N_("The reason is too long."), fields={"reason": [N_("Too long.")]})
    return reason


def check_lines_pending(decisions: Iterable[LineDecision]) -> None:
    if any(d is not LineDecision.PENDING for d in decisions):
        raise Conflict(N_("A line has already been decided."), code="transfer.line_decided")


def check_every_line_decided(pending: Iterable[int], decided: Iterable[int]) -> None:
    """A sign-for (签收) decides every undecided line, one by one: accepted after checking it against
    the item, or rejected with the reason. Nothing is signed for by default [DESIGN: a signature
    that means it — the receiver answers for each line it accepts]."""
    missing = sorted(set(pending) - set(decided))
    if missing:
        raise InvalidInput(
            N_("Check every line: %(count)s lines are still undecided."),
            code="transfer.lines_undecided",
            fields={"lines": [N_("Accept or reject each line.")]},
            extra={"undecided_item_ids": missing},
            count=len(missing),
        )


class TransferOutcome(LabelledEnum):
    """What a transfer's list and page say about it: its status, and for a finished one whether
    anything was rejected (a completed transfer with a rejected line is not simply "completed")."""

    AWAITING = "awaiting"
    PARTLY_DECIDED = "partly_decided"
    SIGNED_FOR = "signed_for"
    PARTLY_REJECTED = "partly_rejected"
    REJECTED = "rejected"
    RECALLED = "recalled"


register_labels(
    [
        (TransferOutcome.AWAITING, N_("Awaiting decision")),
        (TransferOutcome.PARTLY_DECIDED, N_("Partly decided")),
        (TransferOutcome.SIGNED_FOR, N_("Signed for")),
        (TransferOutcome.PARTLY_REJECTED, N_("Partly rejected")),
        (TransferOutcome.REJECTED, N_("All rejected")),
        (TransferOutcome.RECALLED, N_("Recalled")),
    ]
)


def outcome(status: TransferStatus, decisions: Iterable[LineDecision]) -> TransferOutcome:
    decisions = list(decisions)
    return outcome_of_counts(status, len(decisions), sum(d is LineDecision.REJECTED for d in decisions))


def outcome_of_counts(status: TransferStatus, lines: int, rejected: int) -> TransferOutcome:
    """``outcome`` from the number of lines and of rejected lines (a list counts them in SQL)."""
    if status is TransferStatus.RECALLED:
        return TransferOutcome.RECALLED
    if status is TransferStatus.PENDING:
        return TransferOutcome.AWAITING
    if status is TransferStatus.PARTIAL:
        return TransferOutcome.PARTLY_DECIDED
    if rejected and rejected == lines:
        return TransferOutcome.REJECTED
    return TransferOutcome.PARTLY_REJECTED if rejected else TransferOutcome.SIGNED_FOR


def check_recall(status: TransferStatus) -> None:
    if status is not TransferStatus.PENDING:
        raise Conflict(
            N_("The transfer can no longer be recalled: the receiver has already decided on it."),
            code="transfer.not_recallable",
        )


def status_after(decisions: Iterable[LineDecision]) -> TransferStatus:
    decisions = list(decisions)
    if not decisions:
        return TransferStatus.PENDING
    if all(d is LineDecision.RECALLED for d in decisions):
        return TransferStatus.RECALLED
    pending = sum(d is LineDecision.PENDING for d in decisions)
    if pending == len(decisions):
        return TransferStatus.PENDING
    return TransferStatus.COMPLETED if pending == 0 else TransferStatus.PARTIAL


def check_case_number(
    kind: TransferKind, existing: str | None, given: str | None, *, always: bool = False
) -> str | None:
    """On first sign-for, the receiving procuratorate or court records its own case number (on a
    transfer of jurisdiction or an appeal, the receiver always records its own). ``existing`` is the
    number the receiving agency already has on this case (None if it has none). Returns the number to
    record (None: nothing to record). A number that differs from the one on record is refused, never
    silently dropped or overwritten (``check_same_case_number``)."""
    route = ROUTES[kind]
    given = _clean_case_number(given)
    if route.number_for is None and not always:
        check_same_case_number(existing, given)
        return None
    if (existing is None or always) and given is None:
        raise InvalidInput(
            N_("Record your agency's case number when signing for the case."),
            fields={"case_no": [N_("Required on first sign-for.")]},
        )
    if not always and existing is not None:
        check_same_case_number(existing, given)
    return given


def check_same_case_number(existing: str | None, given: str | None) -> None:
    """[DESIGN] A sign-for that records no new number may repeat the receiver's number on record, but
    a second, different number is refused (409), and so is a number where none is recorded (422) —
    neither is dropped without a word. A number is changed only through its own step (a transfer of
    jurisdiction or an appeal records a new one)."""
    given = _clean_case_number(given)
    if given is None or given == existing:
        return
    if existing is None:
        raise InvalidInput(
            N_("This sign-for records no case number; leave the case number empty."),
            code="transfer.case_no_not_recorded",
            fields={"case_no": [N_("Not recorded on this sign-for.")]},
        )
    raise Conflict(
        N_("Your agency's number for this case is already %(existing)s; a different case number is refused."),
        code="transfer.case_no_differs",
        fields={"case_no": [N_("Differs from the number on record.")]},
        existing=existing,
    )


def _clean_case_number(given: str | None) -> str | None:
    given = (given or "").strip() or None
    if given is not None and len(given) > 64:
        raise InvalidInput(N_("Too long."), fields={"case_no": [N_("Too long.")]})
    return given
