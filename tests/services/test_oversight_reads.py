"""What the oversight pages read through the services: a case typed by its number for a draw, the
words for a draw's recorded scope, stocktakes and their discrepancies listed and counted, and what
each count, discrepancy and spot-check line lets the actor do."""

from __future__ import annotations

import pytest

from custody.domain.enums import ItemCategory, Role
from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.domain.spot_checks import SpotCheckResult
from custody.domain.stocktake import DiscrepancyStatus, StocktakeStatus
from custody.extensions import db
from custody.models.user import User
from custody.services import spot_checks, stocktake
from custody.services.accounts import create_user

from ..factories import act, agency, location, open_case, stored_items


def test_a_case_is_named_by_any_of_its_numbers_and_an_unknown_number_is_refused_at_its_field(app):
    case = open_case(police_case_no="沪公(浦)立字[2026]7001号")
    assert spot_checks.case_id_for_number(db.session, " 沪公(浦)立字[2026]7001号 ") == case.id
    assert spot_checks.case_id_for_number(db.session, "  ") is None
    with pytest.raises(InvalidInput) as refused:
        spot_checks.case_id_for_number(db.session, "沪公(浦)立字[2026]7999号")
    assert refused.value.fields == {"case_no": [refused.value.message]}
    assert ("沪公(浦)立字[2026]7001号", case.title) in spot_checks.case_numbers(db.session)
    assert len(spot_checks.case_numbers(db.session, limit=1)) == 1


def test_a_draws_scope_is_told_with_names(app):
    case = open_case(title="李某盗窃案")
    police, place = agency("PDGA"), location("R1-A")
    words = spot_checks.scope_in_words(
        db.session,
        {
            "custodian_agency_id": police.id,
            "category": "goods",
            "location_id": place.id,
            "case_id": case.id,
            "other": 5,
        },
    )
    assert words == {
        "custodian_agency_id": police.name,
        "category": ItemCategory.GOODS,
        "location_id": place.path,
        "case_id": f"{case.first_number} 李某盗窃案",
        "other": "5",
    }
    # A row since removed (or a hand-made scope) is told by what was recorded.
    assert spot_checks.scope_in_words(db.session, {"case_id": 999_999, "category": "nonsense"}) == {
        "case_id": "999999",
        "category": "nonsense",
    }


def test_stocktakes_and_their_discrepancies_are_listed_and_counted(app):
    _, items = stored_items(2)  # R1-A-01, R1-A-02
    keeper = act("police_keeper")
    record = stocktake.start_stocktake(db.session, keeper, location_id=location("R1-A").id)
    db.session.commit()
    assert [s.id for s in stocktake.list_stocktakes(db.session, keeper, status=StocktakeStatus.OPEN)] == [
        record.id
    ]
    stocktake.scan(db.session, keeper, record.id, label_code=items[0].label_code)
    stocktake.finish_stocktake(db.session, keeper, record.id)
    db.session.commit()
    assert stocktake.list_stocktakes(db.session, keeper, status=StocktakeStatus.OPEN) == []
    approver = act("police_approver")
    [missing] = stocktake.list_discrepancies(db.session, approver, stocktake_id=record.id)
    assert missing.item_id == items[1].id
    assert stocktake.count_discrepancies(db.session, approver, status=DiscrepancyStatus.OPEN) == 1
    assert stocktake.count_discrepancies(db.session, approver, status=DiscrepancyStatus.RESOLVED) == 0
    # Another agency's approver resolves none of the police's discrepancies.
    assert stocktake.count_discrepancies(db.session, act("prosecutor_approver")) == 0


# -- what each record offers the actor: the same answer as the service that acts on it -------------


def test_a_count_may_be_worked_on_by_a_keeper_while_it_is_open(app):
    stored_items(1)
    keeper = act("police_keeper")
    record = stocktake.start_stocktake(db.session, keeper, location_id=location("R1-A-01").id)
    db.session.commit()
    assert stocktake.may_count(keeper, record)
    assert not stocktake.may_count(act("auditor"), record)
    with pytest.raises(PermissionDenied):
        stocktake.finish_stocktake(db.session, act("auditor"), record.id)
    db.session.rollback()
    stocktake.finish_stocktake(db.session, keeper, record.id)
    db.session.commit()
    assert not stocktake.may_count(keeper, record)
    with pytest.raises(Conflict):
        stocktake.cancel_stocktake(db.session, keeper, record.id, reason="重复")
    db.session.rollback()


def test_a_discrepancy_may_be_resolved_by_the_responsible_approver_who_did_not_count(app):
    create_user(
        db.session,
        None,
        username="keeper_head",
        display_name="钱组长",
        agency_id=agency("PDGA").id,
        roles=[Role.KEEPER, Role.APPROVER],
        password="Keeper-head-2026",
    )
    db.session.commit()
    stored_items(1)
    head = act("keeper_head")
    record = stocktake.start_stocktake(db.session, head, location_id=location("R1-A-01").id)
    db.session.commit()
    stocktake.finish_stocktake(db.session, head, record.id)
    db.session.commit()
    [missing] = stocktake.list_discrepancies(db.session, head, stocktake_id=record.id)
    may = {
        name: stocktake.may_resolve(act(name), missing)
        for name in ("police_approver", "keeper_head", "police_keeper", "auditor", "prosecutor_approver")
    }
    assert may == {
        "police_approver": True,
        "keeper_head": False,  # started the count
        "police_keeper": False,
        "auditor": False,
        "prosecutor_approver": False,
    }
    with pytest.raises(PermissionDenied):
        stocktake.resolve_discrepancy(db.session, head, missing.id, reason="自己盘点自己处理")
    db.session.rollback()
    stocktake.resolve_discrepancy(db.session, act("police_approver"), missing.id, reason="经查已移交")
    db.session.commit()
    assert not stocktake.may_resolve(act("police_approver"), missing)


def test_a_spot_check_line_may_be_recorded_by_its_inspector_while_pending(app):
    stored_items(2)
    check = spot_checks.draw_spot_check(db.session, act("auditor"), size=1)
    db.session.commit()
    [line] = check.items
    inspector = act(db.session.get(User, line.inspector_id).username)
    others = [
        act(u)
        for u in ("auditor", "police_approver", "court_approver")
        if act(u).user_id != line.inspector_id
    ]
    assert spot_checks.may_record(inspector, line)
    assert not any(spot_checks.may_record(other, line) for other in others)
    spot_checks.record_result(
        db.session, inspector, check.id, line.item_id, result=SpotCheckResult.CONFORMING
    )
    db.session.commit()
    assert not spot_checks.may_record(inspector, line)
