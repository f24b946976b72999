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
    DispositionStatus,
    LineDecision,
    LocationState,
    TransferKind,
    TransferStatus,
)
from .errors import Conflict, InvalidInput
from .i18n import N_
from .items import ItemFacts, ensure_not_disposed

MAX_SUPPLEMENTARY_ROUNDS = 2  # [LAW] 退回补充侦查 at most twice
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class Route:
    from_kind: AgencyKind | None  # None: any kind
    to_kind: AgencyKind | None
    from_stage: frozenset[CaseStage]
    to_stage: CaseStage | None  # the case's stage after the receiver signs; None: unchanged
    number_for: AgencyKind | None  # whose case number the receiver records on first sign-for


ROUTES: dict[TransferKind, Route] = {
    TransferKind.PROSECUTION: Route(
        AgencyKind.POLICE, AgencyKind.PROCURATORATE, frozenset({CaseStage.INVESTIGATION}),
        CaseStage.PROSECUTION_REVIEW, AgencyKind.PROCURATORATE,
    ),
    TransferKind.INDICTMENT: Route(
        AgencyKind.PROCURATORATE, AgencyKind.COURT, frozenset({CaseStage.PROSECUTION_REVIEW}),
        CaseStage.TRIAL, AgencyKind.COURT,
    ),
    TransferKind.SUPPLEMENTARY_INVESTIGATION: Route(
        AgencyKind.PROCURATORATE, AgencyKind.POLICE, frozenset({CaseStage.PROSECUTION_REVIEW}),
        CaseStage.INVESTIGATION, None,
    ),
    TransferKind.OTHER: Route(None, None, frozenset(CaseStage) - {CaseStage.CLOSED}, None, None),
}

# Items must be somewhere on record to be handed over by record or physically.
TRANSFERABLE_LOCATIONS = frozenset({LocationState.IN_STORAGE, LocationState.WITH_HOLDER, LocationState.EXTERNAL})


def check_route(
    kind: TransferKind,
    *,
    from_kind: AgencyKind,
    to_kind: AgencyKind,
    same_agency: bool,
    case_stage: CaseStage,
    supplementary_rounds: int,
    item_count: int,
) -> None:
    route = ROUTES[kind]
    if same_agency:
        raise InvalidInput(N_("A transfer goes to another agency."), fields={"to_agency_id": [N_("Same agency.")]})
    if (route.from_kind and from_kind is not route.from_kind) or (route.to_kind and to_kind is not route.to_kind):
        raise InvalidInput(
            N_("This kind of transfer does not go between these kinds of agency "
               "(police → procuratorate for prosecution review, procuratorate → court for prosecution, "
               "procuratorate → police for supplementary investigation)."),
            code="transfer.wrong_route",
            fields={"to_agency_id": [N_("Wrong kind of receiving agency for this transfer.")]},
        )
    if case_stage not in route.from_stage:
        raise Conflict(N_("The case is not at a stage where this transfer is possible."), code="transfer.wrong_stage")
    if kind is TransferKind.SUPPLEMENTARY_INVESTIGATION and supplementary_rounds >= MAX_SUPPLEMENTARY_ROUNDS:
        raise Conflict(
            N_("The case has already been returned for supplementary investigation twice."),
            code="transfer.supplementary_limit",
        )
    # A stage transfer may carry the file alone (items already with the receiver, or staying put);
    # an "other" transfer exists only to move items.
    if item_count == 0 and route.to_stage is None:
        raise InvalidInput(N_("Choose at least one item."), fields={"item_ids": [N_("Choose at least one item.")]})


def moves_case(kind: TransferKind) -> bool:
    """Whether signing for this transfer moves the case file (and stage) to the receiver."""
    return ROUTES[kind].to_stage is not None


def check_item_transferable(facts: ItemFacts) -> None:
    ensure_not_disposed(facts)
    if facts.disposition_status in (DispositionStatus.PROPOSED, DispositionStatus.APPROVED):
        raise Conflict(N_("The item has a disposal in progress; finish or cancel it first."),
                       code="item.disposal_pending")
    if facts.location_state is LocationState.CHECKED_OUT:
        raise Conflict(N_("A checked-out item must be returned before it is transferred."), code="item.checked_out")
    if facts.location_state not in TRANSFERABLE_LOCATIONS:
        raise Conflict(
            N_("An item must be received into storage (or recorded as kept outside) before it is transferred."),
            code="item.not_received",
        )


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


def check_case_number(kind: TransferKind, existing: str | None, given: str | None) -> str | None:
    """On first sign-for, the receiving procuratorate or court records its own case number."""
    route = ROUTES[kind]
    given = (given or "").strip() or None
    if route.number_for is None:
        return None
    if existing is None and given is None:
        raise InvalidInput(
            N_("Record your agency's case number when signing for the case."),
            fields={"case_no": [N_("Required on first sign-for.")]},
        )
    if given is not None and len(given) > 64:
        raise InvalidInput(N_("Too long."), fields={"case_no": [N_("Too long.")]})
    return given
