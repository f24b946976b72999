"""Printed and downloaded documents (打印、导出) — each recorded as a security event.

Seizure lists, transfer lists, check-out slips, return lists, label sheets and stocktake reports
carry case and personal data out of the system on paper or as files; an auditor must be able to
see who took which document, when and from where — as for ledger exports (services/ledgers.py) and
dossiers (audit/service.py). The event names the document and its object but no case: a staff
member's address and user agent belong in the security log, not in the case's dossier.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.enums import EventCategory

# document → the object it is about, as named in the event.
DOCUMENTS = {
    "seizure_list": "seizure_list",
    "transfer_list": "transfer",
    "checkout_slip": "checkout",
    "return_list": "disposition",
    "destruction_record": "disposition",
    "execution_record": "disposition",
    "spot_check_record": "spot_check",
    "label_sheet": "item",
    "stocktake_report": "stocktake",
    "location_labels": "storage_location",
    "check_in_receipt": "check_in_receipt",
    "sub_ledger": "money_ledger",
    "restitution_list": "restitution_plan",
    "reconciliation_report": "bank_statement",
}


def record_document(
    session: Session,
    actor: Actor,
    document: str,
    object_id: object | None,
    *,
    format: str = "pdf",
    **details: Any,
) -> None:
    """Record that ``actor`` printed or downloaded ``document``; the caller commits before sending it."""
    record_event(
        session,
        category=EventCategory.SECURITY,
        action="export",
        actor=actor,
        object_type=DOCUMENTS[document],
        object_id=object_id,
        data={"document": document, "format": format, **details},
    )
