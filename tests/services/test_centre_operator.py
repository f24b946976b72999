"""三方共管 with a neutral operator (issue 12 §4, last point): a custody centre may be run by an operator
agency whose keepers do the keeper work there for every custodian agency, recorded as acting for the
custodian. Each test is named after the rule it proves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from custody.domain import clock as app_clock
from custody.domain.cases import CaseOrigin
from custody.domain.enums import (
    AgencyKind,
    DispositionKind,
    ExternalKind,
    ItemCategory,
    LocationState,
    Role,
    StorageKind,
    TransferKind,
)
from custody.domain.errors import InvalidInput, NotFound, PermissionDenied
from custody.domain.lifecycle import CheckoutPurpose, DisposalGround
from custody.domain.policy import Action, Relation, allowed
from custody.extensions import db
from custody.models.agency import CustodyCentre
from custody.models.audit import AuditEvent
from custody.models.case import Case
from custody.models.item import Item
from custody.services import accounts, cases, checkouts, dispositions, items, storage, transfers

from ..factories import act, agency, location, open_case, photo, register

CENTRE = "PDZX"
OPERATOR_PASSWORD = "Operator-pass-2026"


def _centre(code: str = CENTRE) -> CustodyCentre:
    return db.session.scalar(select(CustodyCentre).where(CustodyCentre.code == code))


def neutral_operator(*, run_centre: bool = True, username: str = "operator_keeper"):
    """A third party (kind centre_operator) with one keeper; by default it runs the demo centre."""
    operator = accounts.create_agency(
        db.session,
        None,
        code="ZXYY",
        name="浦东新区涉案财物管理中心运营公司",
        kind=AgencyKind.CENTRE_OPERATOR,
    )
    accounts.create_user(
        db.session,
        None,
        username=username,
        display_name="中心保管员",
        agency_id=operator.id,
        roles=[Role.KEEPER],
        password=OPERATOR_PASSWORD,
    )
    if run_centre:
        accounts.set_centre_operator(db.session, act("admin"), _centre().id, operator_agency_id=operator.id)
    db.session.commit()
    return operator


def _prosecutors_item(name="账册", category=ItemCategory.DOCUMENTS):
    case = cases.open_case(
        db.session,
        act("prosecutor"),
        origin=CaseOrigin.PROCURATORATE_INVESTIGATION,
        case_no=f"浦检刑侦[2026]{name}号",
        title="某滥用职权案",
        filed_on=app_clock.today() - timedelta(days=2),
    )
    db.session.commit()
    return case, register(case, name=name, category=category, username="prosecutor", unit="本")


def _actions(item_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.item_id == item_id).order_by(AuditEvent.item_seq)
        )
    )


def test_keepers_of_the_centres_operator_act_for_every_custodian_agency_in_that_centre(app):
    """Check-in, move, condition, release and return, executing a disposal — for police and procuratorate
    items alike — each event recorded as the operator's keeper acting for the item's custodian."""
    operator = neutral_operator()
    keeper = act("operator_keeper")
    assert keeper.operated_centre_ids == frozenset({_centre().id})
    police_case = open_case()
    phone = register(police_case)
    _, ledger = _prosecutors_item()
    for item, bin_code in ((phone, "R3-A-01"), (ledger, "R1-A-01")):
        storage.check_in(db.session, keeper, item.id, location_id=location(bin_code).id, condition="封存完好")
        db.session.commit()
        assert db.session.get(Item, item.id).location_state is LocationState.IN_STORAGE
    storage.move(db.session, keeper, ledger.id, location_id=location("R1-A-02").id, reason="调整库位用途")
    storage.record_condition(db.session, keeper, ledger.id, condition="外包装轻微破损")
    db.session.commit()

    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=[phone.id],
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=checkouts.CounterpartyInput(name="物证鉴定中心", kind=checkouts.CounterpartyKind.LAB),
        due_at=app_clock.now() + timedelta(days=2),
    )
    checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=True)
    db.session.commit()
    checkouts.release_checkout(db.session, keeper, checkout.id)
    db.session.commit()
    checkouts.return_items(db.session, keeper, checkout.id, condition="完好")
    db.session.commit()
    assert db.session.get(Item, phone.id).location_state is LocationState.IN_STORAGE

    knife = register(police_case, name="管制刀具", category=ItemCategory.CONTRABAND)
    storage.check_in(db.session, keeper, knife.id, location_id=location("R1-B-01").id)
    db.session.commit()
    photo(knife, username="operator_keeper")  # keepers photograph what they receive
    handed = dispositions.propose_disposition(
        db.session,
        act("police_officer"),
        item_ids=[knife.id],
        kind=DispositionKind.HAND_OVER,
        ground=DisposalGround.CONTRABAND,
        reason="管制刀具，无需作为证据",
    )
    dispositions.decide_disposition(db.session, act("police_approver"), handed.id, approve=True)
    db.session.commit()
    dispositions.execute_disposition(db.session, keeper, handed.id, receipt_no="治安支队接收单 9")
    db.session.commit()
    assert db.session.get(Item, knife.id).location_state is LocationState.GONE

    # Legal custody never moved: the custodian is the same agency as before.
    assert db.session.get(Item, ledger.id).custodian_agency_id == agency("PDJC").id
    assert db.session.get(Item, phone.id).custodian_agency_id == agency("PDGA").id
    for item, custodian in ((phone, "PDGA"), (ledger, "PDJC"), (knife, "PDGA")):
        by_keeper = [e for e in _actions(item.id) if e.actor_user_id == keeper.user_id]
        assert by_keeper, item.name
        for event in by_keeper:
            assert event.actor_agency_id == operator.id
            assert event.actor["acting_for"]["agency_code"] == custodian, event.action
    kinds = {e.action for e in _actions(phone.id) + _actions(ledger.id) + _actions(knife.id)}
    assert {
        "item.check_in",
        "item.move",
        "item.condition",
        "item.release",
        "item.return",
        "item.attachment_add",
        "disposition.execute",
    } <= kinds
    # The custodian's own keepers still work there.
    storage.record_condition(db.session, act("procuratorate_keeper"), ledger.id, condition="已重新封装")
    db.session.commit()
    assert "acting_for" not in _actions(ledger.id)[-1].actor


def test_without_an_operator_only_the_custodians_keepers_act(app):
    neutral_operator(run_centre=False)
    keeper = act("operator_keeper")
    assert keeper.operated_centre_ids == frozenset()
    item = register(open_case())
    with pytest.raises(NotFound):  # it does not even see other agencies' items
        storage.check_in(db.session, keeper, item.id, location_id=location("R1-A-01").id)
    db.session.rollback()
    with pytest.raises(NotFound):  # nor does another case agency's keeper
        storage.check_in(db.session, act("court_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.rollback()
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    assert "acting_for" not in _actions(item.id)[-1].actor


def test_the_operators_keepers_act_only_in_the_centre_it_operates(app):
    neutral_operator()
    keeper = act("operator_keeper")
    other = accounts.create_centre(db.session, None, code="CSZX", name="川沙涉案财物管理中心")
    elsewhere = accounts.create_location(
        db.session, None, centre_id=other.id, kind=StorageKind.ROOM, code="CS-R1", name="一号库房"
    )
    db.session.commit()
    item = register(open_case())
    with pytest.raises(PermissionDenied) as refused:
        storage.check_in(db.session, keeper, item.id, location_id=elsewhere.id)
    assert refused.value.code == "policy.check_in"
    db.session.rollback()
    storage.check_in(db.session, keeper, item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    with pytest.raises(PermissionDenied) as out_of_centre:
        storage.move(db.session, keeper, item.id, location_id=elsewhere.id, reason="转移至川沙中心")
    assert out_of_centre.value.code == "policy.move_item"
    db.session.rollback()
    # Kept outside the centre (impound lot), the item is its custodian's keepers' work again.
    storage.record_external(
        db.session, act("police_keeper"), item.id, kind=ExternalKind.IMPOUND_LOT, place="川沙停车场"
    )
    db.session.commit()
    with pytest.raises(PermissionDenied):
        storage.record_condition(db.session, keeper, item.id, condition="x")


def test_the_operator_holds_no_custody_requests_or_approvals_only_keeper_work(app):
    """Custody, requests, approvals and transfers stay with the case agencies."""
    operator = neutral_operator()
    keeper = act("operator_keeper")
    for action in (
        Action.REQUEST_CHECKOUT,
        Action.APPROVE_CHECKOUT,
        Action.PROPOSE_DISPOSITION,
        Action.APPROVE_DISPOSITION,
        Action.PROPOSE_TRANSFER,
        Action.DECIDE_TRANSFER,
        Action.PROPOSE_CORRECTION,
        Action.MANAGE_FREEZE,
    ):
        assert not allowed(keeper, action, {Relation.CENTRE_OPERATOR}), action
    with pytest.raises(InvalidInput) as officer:
        accounts.create_user(
            db.session,
            None,
            username="operator_officer",
            display_name="运营公司员工",
            agency_id=operator.id,
            roles=[Role.OFFICER],
            password=OPERATOR_PASSWORD,
        )
    assert "roles" in officer.value.fields
    db.session.rollback()
    case = open_case()
    item = register(case)
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    with pytest.raises(InvalidInput) as transfer:
        transfers.propose_transfer(
            db.session,
            act("police_officer"),
            case_id=case.id,
            to_agency_id=operator.id,
            kind=TransferKind.OTHER,
            item_ids=[item.id],
        )
    assert transfer.value.code == "transfer.operator_not_party"


def test_a_case_agency_may_operate_the_centre_for_the_others_and_only_its_keepers_see_their_cases(app):
    """The police run the centre for the procuratorate and the court: the police keeper works on the
    procuratorate's items; the police officers do not see the procuratorate's case through it."""
    accounts.set_centre_operator(db.session, act("admin"), _centre().id, operator_agency_id=agency("PDGA").id)
    db.session.commit()
    case, ledger = _prosecutors_item()
    keeper = act("police_keeper")
    storage.check_in(db.session, keeper, ledger.id, location_id=location("R1-A-01").id)
    db.session.commit()
    assert _actions(ledger.id)[-1].actor["acting_for"]["agency_code"] == "PDJC"
    visible = {c.id for c in db.session.scalars(cases.list_cases_query(keeper))}
    assert case.id in visible
    officer_cases = {c.id for c in db.session.scalars(cases.list_cases_query(act("police_officer")))}
    assert case.id not in officer_cases
    # After the item has left the centre, the keeper still finds the case it worked on.
    storage.record_external(
        db.session, act("procuratorate_keeper"), ledger.id, kind=ExternalKind.OTHER, place="某鉴定所"
    )
    db.session.commit()
    assert db.session.get(Case, case.id).id in {
        c.id for c in db.session.scalars(cases.list_cases_query(keeper))
    }


def test_the_operators_keepers_see_items_awaiting_check_in_and_in_their_centre_but_not_elsewhere(app):
    neutral_operator()
    keeper = act("operator_keeper")
    waiting = register(open_case())
    outside = register(
        open_case(),
        name="车辆",
        category=ItemCategory.VEHICLE,
        details={"plate": "沪A12345"},
        external_kind=ExternalKind.IMPOUND_LOT,
        external_place="某停车场",
    )
    seen = {i.id for i in db.session.scalars(items.items_query(keeper, items.ItemQuery()))}
    assert waiting.id in seen
    assert outside.id not in seen
    # The operator's other staff would see nothing: it has keepers only, and no admins see case data.
    assert act("admin").operated_centre_ids == frozenset()


def test_changing_the_operator_is_an_administration_event_and_refuses_an_unknown_agency(app):
    operator = neutral_operator(run_centre=False)
    centre = _centre()
    with pytest.raises(PermissionDenied):
        accounts.set_centre_operator(
            db.session, act("police_keeper"), centre.id, operator_agency_id=operator.id
        )
    with pytest.raises(InvalidInput) as unknown:
        accounts.set_centre_operator(db.session, act("admin"), centre.id, operator_agency_id=987654)
    assert unknown.value.code == "centre.operator_unknown"
    db.session.rollback()
    accounts.set_centre_operator(db.session, act("admin"), centre.id, operator_agency_id=operator.id)
    accounts.set_centre_operator(db.session, act("admin"), centre.id, operator_agency_id=None)
    db.session.commit()
    changes = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "centre.operator").order_by(AuditEvent.id)
        )
    )
    assert [
        (c.data["before"]["operator_agency_id"], c.data["after"]["operator_agency_id"]) for c in changes
    ] == [
        (None, operator.id),
        (operator.id, None),
    ]
    assert _centre().operator_agency_id is None
