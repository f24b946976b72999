"""Use cases of the audit API and CLI: who may see which proof, verification runs and exports.

Access [DESIGN §4, §6]: the log's head — public key, checkpoints, consistency proofs — carries no
case data (sizes and hashes only), so any signed-in user may read it: each agency is meant to
hold checkpoints and check that every new one extends the last. An event's inclusion proof and a
dossier show the event itself, so they follow visibility: item and case events to whoever may
see the item or case (auditors see all), security and administration events to holders of
``read_audit_log``. Verification is for auditors. Every verification run and export is recorded
as a security event. Like services, these functions flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.enums import EventCategory, Outcome
from custody.domain.errors import NotFound
from custody.domain.i18n import N_
from custody.domain.policy import Action, require
from custody.models.audit import AuditEvent
from custody.models.case import Case
from custody.models.item import Item
from custody.models.ledger import Checkpoint
from custody.services.visibility import get_case, get_item

from . import ledger
from .dossier import case_dossier, item_dossier
from .ledger import LedgerSettings
from .recorder import record_event
from .verification import ItemReport, LedgerReport, verify_item

# Ids are 64-bit in the database; a larger number names nothing (and SQLite cannot even bind it).
MAX_ID = 2**63 - 1


def _not_found(what: str) -> NotFound:
    return NotFound(N_("Record not found, or not visible to your agency."), code=f"not_found.{what}")


def _valid_id(value: int, what: str) -> int:
    if not 0 < value <= MAX_ID:
        raise _not_found(what)
    return value


def visible_event(session: Session, actor: Actor, event_id: int) -> AuditEvent:
    """The event if ``actor`` may see it (else 404, indistinguishable from a missing one)."""
    event = session.get(AuditEvent, _valid_id(event_id, "audit_event"))
    if event is None:
        raise _not_found("audit_event")
    if event.item_id is not None:
        get_item(session, actor, event.item_id)
    elif event.case_id is not None:
        get_case(session, actor, event.case_id)
    else:
        require(actor, Action.READ_AUDIT_LOG)
    return event


def event_inclusion(
    session: Session, settings: LedgerSettings, actor: Actor, event_id: int, tree_size: int | None
) -> dict[str, Any]:
    """Inclusion proof of a visible event, with its canonical entry so the caller can hash it."""
    from .recorder import event_entry

    event = visible_event(session, actor, event_id)
    index = ledger.log_index_of(session, event.id)
    if index is None:
        raise NotFound(N_("This event is not in the log."), code="audit.not_logged")
    proof = ledger.inclusion(session, settings, event.id, index, tree_size)
    proof["entry"] = event_entry(event)
    return proof


def require_audit_reader(actor: Actor) -> None:
    """Witness status and the security log: auditors and administrators."""
    require(actor, Action.READ_AUDIT_LOG)


def list_checkpoints(session: Session) -> Any:
    return select(Checkpoint).order_by(Checkpoint.tree_size.desc(), Checkpoint.id.desc())


def latest_checkpoint(session: Session) -> Checkpoint:
    checkpoint = ledger.latest_checkpoint(session)
    if checkpoint is None:
        raise NotFound(N_("No checkpoint has been signed yet."), code="audit.no_checkpoint")
    return checkpoint


# -- verification and exports, recorded ----------------------------------------------------------


def record_verification(
    session: Session,
    actor: Actor | None,
    scope: str,
    summary: dict[str, Any],
    *,
    origin: Any = None,
    object_id: object | None = None,
) -> AuditEvent:
    """A verification run is itself a security event: who checked what, and the verdict."""
    return record_event(
        session,
        category=EventCategory.SECURITY,
        action="audit.verify",
        outcome=Outcome.SUCCESS if summary.get("ok") else Outcome.FAILURE,
        actor=actor,
        origin=origin,
        object_type=scope,
        object_id=object_id,
        data=summary,
    )


def verify_item_as(session: Session, settings: LedgerSettings, actor: Actor, item_id: int) -> ItemReport:
    """``GET /audit/verify?item_id=``: an auditor checks one item against the latest checkpoint."""
    require(actor, Action.READ_AUDIT_LOG)
    item = get_item(session, actor, _valid_id(item_id, "item"))
    report = verify_item(session, settings, item, ledger.latest_checkpoint(session))
    record_verification(session, actor, "item", report.summary(), object_id=item.id)
    return report


def record_ledger_verification(
    session: Session,
    report: LedgerReport,
    *,
    origin: Any = None,
    against: dict[str, Any] | None = None,
    more_problems: list[str] | None = None,
) -> AuditEvent:
    summary = report.summary()
    if more_problems:  # the witness records (custody.audit.witnessing.verify_witness_records)
        summary["ok"] = False
        summary["problems"] += len(more_problems)
        summary["first_problem"] = summary["first_problem"] or more_problems[0]
    if against is not None:
        summary["against"] = {k: against.get(k) for k in ("tree_size", "root_hash", "timestamp", "key_id")}
    return record_verification(session, None, "ledger", summary, origin=origin)


@dataclass
class Export:
    bundle: dict[str, Any]
    subject: str  # "item-12" / "case-3", for file names


def _record_export(
    session: Session,
    actor: Actor | None,
    bundle: dict[str, Any],
    kind: str,
    object_id: int,
    document: str,
    origin: Any = None,
) -> None:
    checkpoint = bundle["checkpoint"]
    record_event(
        session,
        category=EventCategory.SECURITY,
        action="audit.export",
        actor=actor,
        origin=origin,
        object_type=kind,
        object_id=object_id,
        data={
            "document": document,
            "events": len(bundle["events"]),
            "tree_size": checkpoint["tree_size"],
            "root_hash": checkpoint["root_hash"],
        },
    )


def export_dossier(
    session: Session,
    settings: LedgerSettings,
    actor: Actor | None,
    *,
    item_id: int | None = None,
    case_id: int | None = None,
    document: str = "json",
    origin: Any = None,
) -> Export:
    """The dossier of an item or a case. ``actor`` None is the server operator (CLI): no visibility
    filter applies there, as with every other command-line tool."""
    if (item_id is None) == (case_id is None):
        raise ledger.ProofRequestError(N_("Give either item_id or case_id."), code="audit.dossier_subject")
    if item_id is not None:
        _valid_id(item_id, "item")
        item = get_item(session, actor, item_id) if actor is not None else session.get(Item, item_id)
        if item is None:
            raise _not_found("item")
        bundle = item_dossier(session, settings, item)
        _record_export(session, actor, bundle, "item", item.id, document, origin)
        return Export(bundle, f"item-{item.id}")
    if case_id is None:  # exactly one of the two was given (checked above)
        raise ledger.ProofRequestError(N_("Give either item_id or case_id."), code="audit.dossier_subject")
    _valid_id(case_id, "case")
    case = get_case(session, actor, case_id) if actor is not None else session.get(Case, case_id)
    if case is None:
        raise _not_found("case")
    bundle = case_dossier(session, settings, case)
    _record_export(session, actor, bundle, "case", case.id, document, origin)
    return Export(bundle, f"case-{case.id}")
