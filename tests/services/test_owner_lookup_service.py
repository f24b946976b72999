"""当事人查询 at the service layer: its events stay out of the case's record, and the rate limit
holds under parallel guessing (PostgreSQL, separate connections)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import func, select

from custody.audit.ledger import current_settings
from custody.audit.service import export_dossier
from custody.domain import clock as app_clock
from custody.domain.actor import Origin
from custody.domain.enums import ItemCategory
from custody.domain.owner_lookup import MAX_FAILURES, LookupOutcome
from custody.extensions import db
from custody.models.oversight import OwnerLookupAttempt
from custody.services import owner_lookup
from custody.services.items import ItemInput, SeizureListInput, create_seizure_list, register_item

from ..factories import act, open_case
from ..helpers import events

OWNER = Origin(ip="203.0.113.7", user_agent="Mozilla/5.0 (owner's phone)")


def _seizure_list():
    case = open_case("王某盗窃案")
    officer = act("police_officer")
    seizure_list = create_seizure_list(
        db.session,
        officer,
        case.id,
        SeizureListInput(seized_at=app_clock.now() - timedelta(hours=1), holder_name="王某"),
    )
    db.session.flush()
    register_item(
        db.session,
        officer,
        case.id,
        ItemInput(
            name="电动自行车",
            category=ItemCategory.GOODS,
            quantity=1,
            unit="辆",
            seizure_list_id=seizure_list.id,
            seized_at=app_clock.now() - timedelta(hours=1),
        ),
    )
    db.session.commit()
    return case, seizure_list


def test_owner_lookups_are_security_events_outside_the_case_dossier(app):
    case, seizure_list = _seizure_list()
    result = owner_lookup.lookup(
        db.session, list_no=seizure_list.list_no, code=seizure_list.verification_code, origin=OWNER
    )
    owner_lookup.lookup(db.session, list_no=seizure_list.list_no, code="WRONG", origin=OWNER)
    db.session.commit()
    assert result.outcome is LookupOutcome.SUCCESS
    assert len(result.items) == 1
    success, failure = events("owner.lookup")
    assert success.case_id is None
    assert failure.case_id is None
    assert success.object_type == "seizure_list"
    assert success.data == {
        "list_no": seizure_list.list_no,
        "result": "success",
        "items": 1,
    }
    assert success.origin_ip == OWNER.ip  # kept for the security log
    dossier = export_dossier(db.session, current_settings(), None, case_id=case.id).bundle
    assert "owner.lookup" not in {e["entry"]["action"] for e in dossier["events"]}
    assert OWNER.ip not in str(dossier)
    assert "owner's phone" not in str(dossier)


def test_parallel_wrong_codes_are_limited_to_the_maximum(postgres_app):
    _, seizure_list = _seizure_list()
    guesses = 3 * MAX_FAILURES
    barrier = threading.Barrier(guesses)
    outcomes: list[LookupOutcome] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        with postgres_app.app_context():
            try:
                barrier.wait()
                # All from one address (each to a list of its own would change nothing: the limit
                # is per address), all at once: the advisory lock counts them one after another.
                result = owner_lookup.lookup(
                    db.session,
                    list_no=seizure_list.list_no,
                    code=f"BAD{n:05d}",
                    origin=Origin(ip="198.51.100.1", user_agent="bot"),
                )
                time.sleep(0.2)  # hold the transaction open: the others really are in parallel
                db.session.commit()
            finally:
                db.session.remove()
        with lock:
            outcomes.append(result.outcome)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a guess never finished"
    assert outcomes.count(LookupOutcome.FAILURE) == MAX_FAILURES
    assert outcomes.count(LookupOutcome.LIMITED) == guesses - MAX_FAILURES
    db.session.commit()
    stored = db.session.scalar(
        select(func.count())
        .select_from(OwnerLookupAttempt)
        .where(
            OwnerLookupAttempt.ip == "198.51.100.1",
            OwnerLookupAttempt.outcome == LookupOutcome.FAILURE,
        )
    )
    assert stored == MAX_FAILURES
