"""处置 at the service layer: early sale, pre-trial return, final disposal, and their refusals."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from custody.domain import clock as app_clock
from custody.domain.enums import (
    CaseStage,
    DispositionKind,
    DispositionStatus,
    ItemCategory,
    LocationState,
    TransferKind,
)
from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.domain.lifecycle import CheckoutPurpose, DispositionRecordStatus, Recipient
from custody.extensions import db
from custody.models.case import Case
from custody.models.item import Item
from custody.models.oversight import CaseClosure
from custody.services import checkouts, dispositions, storage
from custody.services.items import personal_data_digest
from custody.services.transfers import decide_lines, propose_transfer

from ..conftest import TEST_PASSWORD
from ..factories import (
    DROP_DECISION,
    JUDGMENT_NO,
    act,
    agency,
    close_case,
    dual_role_user,
    judge_case,
    location,
    photo,
    register,
    send_to_procuratorate,
    stored_items,
)
from ..helpers import events
from ..lifecycle_helpers import approve, execute, propose

JUDGMENT = "(2026)沪0115刑初88号刑事判决书"


def test_confiscation_takes_the_item_out_of_custody_for_good(app):
    case, [item] = stored_items(1)
    judge_case(case)  # the case goes to court (the items stay with the police) and is judged
    disposition = approve(propose([item.id], DispositionKind.CONFISCATE))
    assert disposition.legal_basis == JUDGMENT_NO  # cited from the recorded judgment by default
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.APPROVED
    execute(disposition, receipt_no="国库回执 2026-001")
    done = db.session.get(Item, item.id)
    assert done.disposition_status is DispositionStatus.EXECUTED
    assert done.location_state is LocationState.GONE
    assert disposition.status is DispositionRecordStatus.EXECUTED
    assert disposition.receipt_no == "国库回执 2026-001"
    assert [e.action for e in events(item_id=item.id)][-3:] == [
        "disposition.propose",
        "disposition.approve",
        "disposition.execute",
    ]
    # A disposed item accepts no further action.
    refusals = [
        lambda: storage.move(db.session, act("police_keeper"), item.id, location_id=location("R1-B-01").id),
        lambda: propose([item.id], DispositionKind.DESTROY, legal_basis=JUDGMENT),
        lambda: checkouts.request_checkout(
            db.session,
            act("police_officer"),
            item_ids=[item.id],
            purpose=CheckoutPurpose.APPRAISAL,
            counterparty=checkouts.CounterpartyInput(name="x"),
            due_at=app_clock.now() + timedelta(days=30),
        ),
        lambda: propose_transfer(
            db.session,
            act("police_officer"),
            case_id=case.id,
            to_agency_id=agency("PDFY").id,
            kind=TransferKind.OTHER,
            item_ids=[item.id],
        ),
        lambda: execute(disposition, receipt_no="again"),
    ]
    for refused in refusals:
        with pytest.raises(Conflict) as conflict:
            refused()
        assert conflict.value.code == "item.disposed"
        db.session.rollback()


def test_final_disposal_waits_for_the_judgment_or_the_closing_decision(app):
    """Return, confiscation, destruction and hand-over carry out the outcome of the case: on an open
    case they are refused whatever legal basis is typed; early sale and pre-trial return are not."""
    case, [item] = stored_items(1)
    final_kinds = (
        DispositionKind.RETURN_TO_OWNER,
        DispositionKind.CONFISCATE,
        DispositionKind.DESTROY,
        DispositionKind.HAND_OVER,
    )
    for kind in final_kinds:
        for basis in (None, "x", JUDGMENT):
            with pytest.raises(Conflict) as refused:
                propose([item.id], kind, legal_basis=basis)
            assert refused.value.code == "disposal.case_not_decided", (kind, basis)
            assert refused.value.status == 409
            db.session.rollback()
    # Still refused under prosecution review: no judgment or decision is on record yet.
    file_only = send_to_procuratorate(case, [])
    decide_lines(db.session, act("prosecutor"), file_only.id, [], accept=True, case_no="浦检[2026]77号")
    db.session.commit()
    assert db.session.get(Case, case.id).stage is CaseStage.PROSECUTION_REVIEW
    with pytest.raises(Conflict) as on_review:
        propose([item.id], DispositionKind.DESTROY, legal_basis="浦检不诉[2026]3号")
    assert on_review.value.code == "disposal.case_not_decided"
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.NONE
    assert events("disposition.propose", item_id=item.id) == []


def test_a_closed_case_allows_final_disposal_citing_its_decision(app):
    case, [item, other] = stored_items(2)
    close_case(case)
    disposition = propose([item.id], DispositionKind.CONFISCATE)
    assert disposition.legal_basis == DROP_DECISION  # the decision that closed the case
    cited = propose([other.id], DispositionKind.HAND_OVER, legal_basis="  沪公(浦)移字[2026]5号移送函  ")
    assert cited.legal_basis == "沪公(浦)移字[2026]5号移送函"  # a more specific document, as typed
    [event] = events("disposition.propose", item_id=item.id)
    assert event.data["legal_basis"] == DROP_DECISION


def _reopen(case):
    """As if the proposal had been made on an open case, before the rule existed."""
    db.session.execute(delete(CaseClosure).where(CaseClosure.case_id == case.id))
    db.session.execute(update(Case).where(Case.id == case.id).values(stage=CaseStage.INVESTIGATION))
    db.session.commit()


def test_approval_and_execution_check_the_case_outcome_again(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = propose([item.id], DispositionKind.CONFISCATE)
    _reopen(case)
    with pytest.raises(Conflict) as at_approval:
        approve(disposition)
    assert at_approval.value.code == "disposal.case_not_decided"
    db.session.rollback()
    # Rejecting stays possible: it takes nothing out of custody.
    dispositions.decide_disposition(
        db.session, act("police_approver"), disposition.id, approve=False, reason="案件尚未作出处理决定"
    )
    db.session.commit()
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.NONE

    close_case(case)
    second = approve(propose([item.id], DispositionKind.CONFISCATE))
    _reopen(case)
    with pytest.raises(Conflict) as at_execution:
        execute(second, receipt_no="国库回执 2026-002")
    assert at_execution.value.code == "disposal.case_not_decided"
    db.session.rollback()
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.APPROVED
    close_case(case)
    execute(second, receipt_no="国库回执 2026-002")
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.EXECUTED


def test_proposal_and_approval_refusals(app):
    case, [item] = stored_items(1)
    judge_case(case)
    with pytest.raises(PermissionDenied):
        propose([item.id], DispositionKind.CONFISCATE, username="police_keeper", legal_basis=JUDGMENT)
    dual_role_user()
    disposition = propose(
        [item.id], DispositionKind.CONFISCATE, username="police_chief", legal_basis=JUDGMENT
    )
    with pytest.raises(Conflict) as pending:
        propose([item.id], DispositionKind.DESTROY, legal_basis=JUDGMENT)
    assert pending.value.code == "item.disposal_pending"
    with pytest.raises(PermissionDenied) as own:
        approve(disposition, username="police_chief")
    assert own.value.code == "separation.requester_not_approver"
    with pytest.raises(Conflict):  # execution needs approval first
        execute(disposition, receipt_no="R-1")
    db.session.rollback()
    with pytest.raises(Conflict) as blocked:  # a pending disposal blocks a transfer
        propose_transfer(
            db.session,
            act("police_officer"),
            case_id=case.id,
            to_agency_id=agency("PDFY").id,
            kind=TransferKind.OTHER,
            item_ids=[item.id],
        )
    assert blocked.value.code == "item.disposal_pending"
    db.session.rollback()
    approve(disposition)
    with pytest.raises(PermissionDenied):
        execute(disposition, username="police_officer", receipt_no="R-1")
    with pytest.raises(InvalidInput):
        execute(disposition, receipt_no=" ")


def test_destruction_needs_a_witness_outside_the_chain_of_custody(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = approve(propose([item.id], DispositionKind.DESTROY))
    with pytest.raises(InvalidInput):
        execute(disposition, receipt_no="销毁记录-1")
    for in_chain in ("police_officer", "police_approver", "police_keeper"):
        with pytest.raises(Conflict) as refused:  # a fact about the item's records, not a permission
            execute(disposition, receipt_no="销毁记录-1", witness=in_chain, witness_password=TEST_PASSWORD)
        assert refused.value.code == "separation.witness_in_chain"
        assert refused.value.status == 409
    with pytest.raises(InvalidInput):
        execute(disposition, receipt_no="销毁记录-1", witness="nobody_by_that_name")
    execute(disposition, receipt_no="销毁记录-1", witness="court_keeper", witness_password=TEST_PASSWORD)
    [event] = events("disposition.execute", item_id=item.id)
    assert event.data["witness"]["username"] == "court_keeper"
    assert event.data["witness"]["confirmed_by_password"] is True


def test_early_sale_proceeds_replace_the_item_and_follow_the_case(app):
    case = stored_items(0)[0]
    car = register(
        case,
        name="白色轿车",
        category=ItemCategory.VEHICLE,
        details={"plate": "沪C11111"},
        estimated_value_fen=8_000_000,
    )
    storage.check_in(db.session, act("police_keeper"), car.id, location_id=location("Y1-A-01").id)
    db.session.commit()
    with pytest.raises(Conflict) as no_photo:
        propose([car.id], DispositionKind.EARLY_SALE, reason="车辆长期存放贬值")
    assert no_photo.value.code == "disposal.photo_required"
    photo(car)
    sale = approve(
        propose(
            [car.id], DispositionKind.EARLY_SALE, reason="车辆长期存放贬值", owner_consent="车主书面同意"
        ),
        "police_head",
    )
    with pytest.raises(InvalidInput):
        execute(sale, receipt_no="拍卖成交确认书 A-9")
    execute(sale, receipt_no="拍卖成交确认书 A-9", proceeds_fen=6_350_000)
    proceeds = db.session.get(Item, sale.lines[0].proceeds_item_id)
    assert proceeds.category is ItemCategory.CASH
    assert proceeds.source_item_id == car.id
    assert proceeds.details["amount_fen"] == 6_350_000
    assert proceeds.external_place == "涉案款专户"
    assert proceeds.location_state is LocationState.EXTERNAL
    assert proceeds.custodian_agency.code == "PDGA"
    assert db.session.get(Item, car.id).location_state is LocationState.GONE
    # The proceeds follow the case: they go to the procuratorate with it.
    transfer = send_to_procuratorate(case, [proceeds.id])
    decide_lines(
        db.session, act("prosecutor"), transfer.id, [proceeds.id], accept=True, case_no="浦检[2026]5号"
    )
    db.session.commit()
    assert db.session.get(Item, proceeds.id).custodian_agency.code == "PDJC"


def test_pre_trial_return_only_to_the_owner_or_an_authorised_agent(app):
    case = stored_items(0)[0]
    unclear = register(
        case,
        name="金项链",
        category=ItemCategory.VALUABLES,
        owner_name="受害人王某",
        estimated_value_fen=1_200_000,
    )
    with pytest.raises(Conflict) as ownership:
        propose([unclear.id], DispositionKind.PRETRIAL_RETURN)
    assert ownership.value.code == "disposal.ownership_unclear"
    ring = register(
        case,
        name="钻石戒指",
        category=ItemCategory.VALUABLES,
        owner_name="受害人王某",
        owner_id_no="310115198808081234",
        ownership_clear=True,
    )
    with pytest.raises(Conflict) as undocumented:
        propose([ring.id], DispositionKind.PRETRIAL_RETURN)
    assert undocumented.value.code == "disposal.not_documented"
    from custody.services.corrections import decide_correction, propose_correction

    correction = propose_correction(
        db.session,
        act("police_officer"),
        item_id=ring.id,
        field="estimated_value_fen",
        new_value=2_500_000,
        reason="补充估价",
    )
    decide_correction(db.session, act("police_approver"), correction.id, approve=True)
    db.session.commit()
    photo(ring)
    storage.check_in(db.session, act("police_keeper"), ring.id, location_id=location("R2-S1-01").id)
    db.session.commit()
    giving_back = approve(propose([ring.id], DispositionKind.PRETRIAL_RETURN))
    attempts = [
        (Recipient(name="李某"), "disposal.not_owner"),
        (Recipient(name="受害人王某", id_no="310115198808089999"), "disposal.not_owner"),
        (Recipient(name="王某之子", is_agent=True), "disposal.no_authorisation"),
    ]
    for recipient, code in attempts:
        with pytest.raises(Conflict) as refused:
            execute(giving_back, receipt_no="发还清单 1", recipient=recipient)
        assert refused.value.code == code
        db.session.rollback()
    with pytest.raises(InvalidInput):
        execute(
            giving_back, receipt_no="发还清单 1", recipient=Recipient(name="受害人王某")
        )  # ID not checked
    db.session.rollback()
    execute(
        giving_back,
        receipt_no="发还清单 1",
        recipient=Recipient(name="王某之子", is_agent=True, authorisation_ref="授权委托书 2026-07"),
    )
    assert giving_back.recipient.name == "王某之子"
    assert giving_back.authorisation_ref == "授权委托书 2026-07"
    assert db.session.get(Item, ring.id).disposition_kind is DispositionKind.PRETRIAL_RETURN
    # The permanent record does not hold the recipient's name in clear (it stays on the disposal row)...
    [event] = events("disposition.execute", item_id=ring.id)
    assert event.data["recipient"]["is_agent"] is True
    assert event.data["recipient"]["authorisation_ref"] == "授权委托书 2026-07"
    assert "王某之子" not in json.dumps(event.data, ensure_ascii=False)
    # ... only a commitment to it, salted per item, that the custodian can reveal to prove the name.
    salt = db.session.get(Item, ring.id).personal_data_salt
    assert event.data["recipient"]["name_sha256"] == personal_data_digest(salt, "王某之子")
    assert event.data["recipient"]["name_sha256"] != personal_data_digest("0" * 32, "王某之子")


def test_rejected_or_cancelled_disposal_frees_the_item(app):
    case, [item] = stored_items(1)
    close_case(case, legal_basis="沪公(浦)撤字[2026]4号撤销案件决定书")
    disposition = propose([item.id], DispositionKind.CONFISCATE, legal_basis="撤字[2026]4号")
    with pytest.raises(InvalidInput):
        dispositions.decide_disposition(db.session, act("police_approver"), disposition.id, approve=False)
    dispositions.decide_disposition(
        db.session, act("police_approver"), disposition.id, approve=False, reason="文号引用不完整"
    )
    db.session.commit()
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.NONE
    second = propose([item.id], DispositionKind.CONFISCATE, legal_basis=JUDGMENT)
    dispositions.cancel_disposition(db.session, act("police_officer"), second.id)
    db.session.commit()
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.NONE


def test_a_return_needs_the_owner_on_record(app):
    """发还 and 先行发还 go only to the recorded owner: with no owner name recorded, no recipient could
    ever be accepted, so the proposal is refused until a correction records the owner."""
    from custody.services.corrections import decide_correction, propose_correction

    case, [item] = stored_items(1)  # registered without an owner
    ring = register(
        case,
        name="钻石戒指",
        category=ItemCategory.VALUABLES,
        owner_name="  ",
        ownership_clear=True,
        estimated_value_fen=2_500_000,
    )
    photo(ring)
    with pytest.raises(Conflict) as early:
        propose([ring.id], DispositionKind.PRETRIAL_RETURN)
    assert early.value.code == "disposal.no_owner"
    assert early.value.status == 409
    assert "correction" in early.value.message
    db.session.rollback()
    close_case(case)
    with pytest.raises(Conflict) as final:
        propose([item.id], DispositionKind.RETURN_TO_OWNER)
    assert final.value.code == "disposal.no_owner"
    db.session.rollback()
    assert events("disposition.propose", item_id=item.id) == []
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.NONE
    propose([item.id], DispositionKind.CONFISCATE)  # other disposals need no owner

    correction = propose_correction(
        db.session,
        act("police_officer"),
        item_id=ring.id,
        field="owner_name",
        new_value="受害人王某",
        reason="补录所有人",
    )
    decide_correction(db.session, act("police_approver"), correction.id, approve=True)
    db.session.commit()
    giving_back = approve(propose([ring.id], DispositionKind.RETURN_TO_OWNER))
    execute(giving_back, receipt_no="发还清单 2", recipient=Recipient(name="受害人王某"))
    assert db.session.get(Item, ring.id).disposition_status is DispositionStatus.EXECUTED


def test_a_return_proposed_before_the_owner_rule_is_not_approved_without_an_owner(app):
    case, [item] = stored_items(1)
    close_case(case)
    db.session.execute(update(Item).where(Item.id == item.id).values(owner_name="所有人甲"))
    db.session.commit()
    disposition = propose([item.id], DispositionKind.RETURN_TO_OWNER)
    db.session.execute(
        update(Item).where(Item.id == item.id).values(owner_name=None)
    )  # as if recorded earlier
    db.session.commit()
    with pytest.raises(Conflict) as at_approval:
        approve(disposition)
    assert at_approval.value.code == "disposal.no_owner"
    db.session.rollback()
