"""Building the self-contained dossier of an item or a case (docs/LEDGER.md §8).

The bundle carries each event's canonical entry, its log index and inclusion proof, one signed
checkpoint covering them all, the public key, and a manifest signed with the log's key that fixes
the subject, each item's head (event count and last hash) and the set of events — so a dossier
with events left out no longer verifies. ``custody.audit.bundle.verify_bundle`` (and
``python -m custody.verify``) checks it without the app or its database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custody.models.audit import AuditEvent
from custody.models.case import Case
from custody.models.item import Item
from custody.models.ledger import Checkpoint, LogEntry
from custody.orm import utcnow

from . import witnessing
from .bundle import BUNDLE_FORMAT, BUNDLE_VERSION, manifest_body, sign_manifest
from .canonical import format_timestamp
from .ledger import LedgerSettings, checkpoint_covering, checkpoint_document, create_checkpoint, log_tree
from .recorder import event_entry
from .signing import public_key_to_text
from .tlog import Policy, PolicyVerdict
from .verification import check_live_state


def _case_numbers(case: Case) -> dict[str, str | None]:
    return dict(case.case_numbers)


def _witnessed(
    session: Session, settings: LedgerSettings, size: int
) -> tuple[Checkpoint, PolicyVerdict, Policy]:
    """The checkpoint a dossier is proven against: the latest one the witnesses' quorum cosigned
    (signed with the log's current key). With no witness registered, the latest checkpoint,
    signed now if it does not cover ``size`` entries (the dossier then says it is unwitnessed)."""
    policy = witnessing.current_policy(session, settings)
    if policy.quorum == "none":
        checkpoint = checkpoint_covering(session, settings, size)
        if checkpoint.key_id != settings.key_id or checkpoint.origin != settings.origin:
            # Signed before a key rotation or renaming: the dossier's key and origin must be the checkpoint's.
            checkpoint = create_checkpoint(session, settings)
        return checkpoint, witnessing.judge(settings, policy, checkpoint), policy
    found = witnessing.latest_witnessed(session, settings, policy, key_id=settings.key_id)
    if found is None:
        witnessing.witnessed_checkpoint_or_fail(session, settings, policy)  # raises NotWitnessed
        raise AssertionError("unreachable")
    return found[0], found[1], policy


def _live_state(session: Session, subject: dict[str, Any]) -> dict[str, Any]:
    """The subject's live rows against their whole history, now (docs/LEDGER.md §9.1): the same
    check as ``verify-audit``'s, stated in the dossier and signed in its manifest."""
    kind = subject["type"]
    report = check_live_state(session, **{f"{kind}_id": subject[f"{kind}_id"]}, max_problems=20)
    return {
        "matches": report.ok,
        "records": sum(report.records.values()),
        "problems": report.problem_count,
        "details": [problem.text() for problem in report.problems],
    }


def _bundle(
    session: Session,
    settings: LedgerSettings,
    subject: dict[str, Any],
    items: list[Item],
    events: list[tuple[AuditEvent, int | None]],
) -> dict[str, Any]:
    logged = [index for _, index in events if index is not None]
    checkpoint, verdict, policy = _witnessed(session, settings, max(logged) + 1 if logged else 0)
    # The dossier is the history as of that checkpoint: events logged after it are left for a later
    # dossier, and each item's head is where its history stands at the checkpoint.
    included = [
        (event, index) for event, index in events if index is not None and index < checkpoint.tree_size
    ]
    later = len(events) - len(included)
    chains: dict[int, list[AuditEvent]] = {}
    for event, _ in included:
        if event.item_id is not None:
            chains.setdefault(event.item_id, []).append(event)
    heads = []
    for item in items:
        chain = sorted(chains.get(item.id, []), key=lambda e: e.item_seq or 0)
        heads.append(
            {
                "item_id": item.id,
                "label_code": item.label_code,
                "name": item.name,
                "event_count": len(chain),
                "last_event_hash": chain[-1].hash if chain else None,
            }
        )
    tree = log_tree(session, settings, checkpoint.tree_size)
    entries = [
        {
            "event_id": event.id,
            "log_index": index,
            "hash": event.hash,
            "entry": event_entry(event),
            "inclusion_proof": [p.hex() for p in tree.inclusion_proof(index)],
        }
        for event, index in included
    ]
    created_at = format_timestamp(utcnow())
    live = _live_state(session, subject)
    kind = subject["type"]
    manifest = manifest_body(
        origin=settings.origin,
        key=settings.key_id,
        subject={"type": kind, f"{kind}_id": subject[f"{kind}_id"]},
        heads=heads,
        event_hashes=[event.hash for event, _ in sorted(included, key=lambda e: e[1])],
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash,
        created_at=created_at,
        live_state=live,
    )
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "generated_at": created_at,
        "subject": subject,
        "items": heads,
        "log": {
            "origin": settings.origin,
            "algorithm": "Ed25519",
            "key_id": settings.key_id,
            "public_key": public_key_to_text(settings.public_key),
            "vkey": settings.note_key.vkey,
        },
        "checkpoint": {
            **checkpoint_document(checkpoint),
            "note": witnessing.checkpoint_note(settings, checkpoint),
        },
        "witnesses": {
            "policy": witnessing.policy_text(policy),
            "quorum": policy.describe_quorum(),
            "cosigned": [
                {"witness": name, "timestamp": format_timestamp(datetime.fromtimestamp(when, UTC))}
                for name, when in sorted(verdict.members.items())
            ],
            "missing": verdict.missing,
        },
        "later_events": later,
        "live_state": {"checked_at": created_at, **live},
        "manifest": sign_manifest(settings.private_key, manifest),
        "events": entries,
    }


def _events(session: Session, *conditions: Any) -> list[tuple[AuditEvent, int | None]]:
    rows = session.execute(
        select(AuditEvent, LogEntry.log_index)
        .outerjoin(LogEntry, LogEntry.event_id == AuditEvent.id)
        .where(*conditions)
        .order_by(LogEntry.log_index, AuditEvent.id)
    ).all()
    return [(event, index) for event, index in rows]


def item_dossier(session: Session, settings: LedgerSettings, item: Item) -> dict[str, Any]:
    """Every event in the item's history (it is a complete chain from the first)."""
    case = item.case
    subject = {
        "type": "item",
        "item_id": item.id,
        "case_id": item.case_id,
        "label_code": item.label_code,
        "name": item.name,
        "case_title": case.title,
        "case_numbers": _case_numbers(case),
    }
    return _bundle(session, settings, subject, [item], _events(session, AuditEvent.item_id == item.id))


def case_dossier(session: Session, settings: LedgerSettings, case: Case) -> dict[str, Any]:
    """Every event recorded about the case: case-level events and its items' whole histories."""
    items = list(session.scalars(select(Item).where(Item.case_id == case.id).order_by(Item.id)))
    subject = {"type": "case", "case_id": case.id, "title": case.title, "case_numbers": _case_numbers(case)}
    return _bundle(session, settings, subject, items, _events(session, AuditEvent.case_id == case.id))
