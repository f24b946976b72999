"""双随机: the draw is reproducible from its recorded seed and covers the requested scope only."""

from __future__ import annotations

import pytest

from custody.domain.enums import ItemCategory, TransferKind
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.domain.spot_checks import SpotCheckResult, SpotCheckStatus, candidates_digest, draw
from custody.extensions import db
from custody.models.item import Item
from custody.models.user import User
from custody.services import spot_checks
from custody.services.spot_checks import Scope, candidates, inspector_pool
from custody.services.transfers import decide_lines, propose_transfer

from ..factories import act, agency, location, open_case, register, stored_items
from ..helpers import events


@pytest.fixture
def holdings(app):
    """Eight police items in R1/R3, four of them handed to the procuratorate, plus two phones."""
    case, stored = stored_items(8)
    moved = [i.id for i in stored[:4]]
    transfer = propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.PROSECUTION,
        item_ids=moved,
    )
    db.session.commit()
    decide_lines(db.session, act("prosecutor"), transfer.id, moved, accept=True, case_no="浦检[2026]7号")
    db.session.commit()
    other = open_case()
    phones = [register(other, name=f"手机{n}") for n in range(2)]
    return {"case": case, "stored": stored, "phones": phones}


def test_draw_records_what_makes_it_reproducible(holdings):
    check = spot_checks.draw_spot_check(
        db.session,
        act("auditor"),
        size=3,
        scope=Scope(custodian_agency_id=agency("PDGA").id),
        note="季度抽查",
    )
    db.session.commit()
    assert check.check_no.startswith("CC-PDJC-")
    assert check.status is SpotCheckStatus.OPEN
    assert len(check.seed) == 32
    assert int(check.seed, 16) >= 0
    police = agency("PDGA").id
    in_scope = [c for c in candidates(db.session, Scope(custodian_agency_id=police))]
    assert check.candidate_count == len(in_scope) == 6  # 4 police goods + 2 phones
    assert check.candidates_sha256 == candidates_digest(in_scope)
    assert check.scope == {"custodian_agency_id": police}
    assert len(check.items) == 3
    assert [line.position for line in check.items] == [1, 2, 3]
    # Scope only: every sampled item is in police custody; inspectors come from other agencies.
    for line in check.items:
        assert db.session.get(Item, line.item_id).custodian_agency_id == police
        assert db.session.get(User, line.inspector_id).agency_id != police
    # Redo the draw from the record alone.
    again = draw(
        check.seed, candidates(db.session, Scope.from_json(check.scope)), inspector_pool(db.session), 3
    )
    assert [(c.item_id, i) for c, i in zip(again.items, again.inspectors, strict=True)] == [
        (line.item_id, line.inspector_id) for line in check.items
    ]
    verification = spot_checks.verify_draw(db.session, act("auditor"), check.id)
    assert verification.candidates_match
    assert verification.pool_match
    assert verification.sample_match
    [event] = events("spot_check.draw")
    assert event.data["seed"] == check.seed
    assert event.data["candidates_sha256"] == check.candidates_sha256
    assert [row[0] for row in event.data["sample"]] == [line.item_id for line in check.items]


def test_same_seed_same_draw_and_data_changes_are_detected(holdings):
    first = spot_checks.draw_spot_check(db.session, act("auditor"), size=4)
    db.session.commit()
    second = spot_checks.draw_spot_check(db.session, act("auditor"), size=4, seed=first.seed)
    db.session.commit()
    assert [(i.item_id, i.inspector_id) for i in first.items] == [
        (i.item_id, i.inspector_id) for i in second.items
    ]
    register(open_case(), name="新登记物品")  # the candidate list changes
    verification = spot_checks.verify_draw(db.session, act("auditor"), first.id)
    assert not verification.candidates_match
    assert verification.candidate_count_now == first.candidate_count + 1


@pytest.mark.parametrize("scope_name", ["location", "category", "case", "custodian"])
def test_the_sample_covers_the_requested_scope_only(holdings, scope_name):
    stored, phones = holdings["stored"], holdings["phones"]
    scope = {
        "location": Scope(location_id=location("R1-A").id),
        "category": Scope(category=ItemCategory.PHONE),
        "case": Scope(case_id=holdings["case"].id),
        "custodian": Scope(custodian_agency_id=agency("PDJC").id),
    }[scope_name]
    allowed = {
        "location": {i.id for i in stored if i.storage_location.code.startswith("R1-A")},
        "category": {p.id for p in phones},
        "case": {i.id for i in stored},
        "custodian": {i.id for i in stored[:4]},
    }[scope_name]
    for _ in range(2):
        check = spot_checks.draw_spot_check(db.session, act("auditor"), size=50, scope=scope)
        db.session.commit()
        assert {line.item_id for line in check.items} == allowed  # all of them, and nothing else
        assert check.candidate_count == len(allowed)
    small = spot_checks.draw_spot_check(db.session, act("auditor"), size=1, scope=scope)
    assert {line.item_id for line in small.items} <= allowed


def test_only_the_drawn_inspector_records_and_the_check_completes(holdings):
    check = spot_checks.draw_spot_check(
        db.session, act("auditor"), size=2, scope=Scope(custodian_agency_id=agency("PDJC").id)
    )
    db.session.commit()
    by_inspector: dict[int, list] = {}
    for line in check.items:
        by_inspector.setdefault(line.inspector_id, []).append(line)
    for inspector_id, lines in by_inspector.items():
        inspector = db.session.get(User, inspector_id)
        assert inspector.agency.code != "PDJC"
        me = act(inspector.username)
        assert {line.item_id for line in spot_checks.assigned_items(db.session, me, check)} == {
            line.item_id for line in lines
        }
        for line in lines:
            with pytest.raises(InvalidInput):
                spot_checks.record_result(
                    db.session, me, check.id, line.item_id, result=SpotCheckResult.NONCONFORMING
                )
            db.session.rollback()
    line = check.items[0]
    outsider = next(
        u
        for u in ("police_approver", "court_approver", "auditor", "prosecutor_approver")
        if act(u).user_id != line.inspector_id and act(u).agency_code != "PDJC"
    )
    with pytest.raises((PermissionDenied, NotFound)):
        spot_checks.record_result(
            db.session, act(outsider), check.id, line.item_id, result=SpotCheckResult.CONFORMING
        )
    db.session.rollback()
    for line in check.items:
        inspector = db.session.get(User, line.inspector_id)
        spot_checks.record_result(
            db.session, act(inspector.username), check.id, line.item_id, result=SpotCheckResult.CONFORMING
        )
        db.session.commit()
    assert check.status is SpotCheckStatus.COMPLETED
    assert check.completed_at is not None
    with pytest.raises(Conflict):
        inspector = db.session.get(User, check.items[0].inspector_id)
        spot_checks.record_result(
            db.session,
            act(inspector.username),
            check.id,
            check.items[0].item_id,
            result=SpotCheckResult.CONFORMING,
        )
    db.session.rollback()
    assert [e.data["result"] for e in events("spot_check.result", item_id=check.items[0].item_id)] == [
        "conforming"
    ]


def test_who_draws_and_who_sees(holdings):
    with pytest.raises(PermissionDenied):
        spot_checks.draw_spot_check(db.session, act("police_approver"), size=1)
    db.session.rollback()
    with pytest.raises(InvalidInput):
        spot_checks.draw_spot_check(db.session, act("auditor"), size=0)
    db.session.rollback()
    with pytest.raises(Conflict):
        spot_checks.draw_spot_check(
            db.session, act("auditor"), size=1, scope=Scope(category=ItemCategory.VESSEL)
        )
    db.session.rollback()
    check = spot_checks.draw_spot_check(db.session, act("auditor"), size=1)
    db.session.commit()
    inspector = db.session.get(User, check.items[0].inspector_id)
    assert spot_checks.get_spot_check(db.session, act(inspector.username), check.id) is check
    with pytest.raises(NotFound):
        spot_checks.get_spot_check(db.session, act("police_officer"), check.id)
