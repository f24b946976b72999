"""Separation of duties by person: whoever approved a check-out or a disposal does not release or
execute it — even when one account holds both the approver and the keeper role. Service, API and
pages all refuse; another keeper of the agency still can."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.enums import DispositionKind, LocationState, Role
from custody.domain.errors import PermissionDenied
from custody.domain.lifecycle import CheckoutPurpose, CheckoutStatus, DispositionRecordStatus
from custody.extensions import db
from custody.models.item import Item
from custody.services import checkouts, dispositions
from custody.services.accounts import create_user

from ..conftest import TEST_PASSWORD, bearer
from ..factories import act, agency, enrol_second_factor, judge_case, stored_items
from ..web.ui import client_for, get, submit, text_of

LAB = checkouts.CounterpartyInput(name="上海市公安局物证鉴定中心", kind=checkouts.CounterpartyKind.LAB)


@pytest.fixture
def head_keeper(app):
    """A head of the police store who both approves and keeps (one account, two roles)."""
    user = create_user(
        db.session,
        None,
        username="store_head",
        display_name="钱主任",
        agency_id=agency("PDGA").id,
        roles=[Role.APPROVER, Role.KEEPER],
        password=TEST_PASSWORD,
    )
    enrol_second_factor(user)
    db.session.commit()
    return "store_head"


def _checkout_approved_by(username: str, item_ids):
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=item_ids,
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=LAB,
        due_at=app_clock.now() + timedelta(days=2),
    )
    checkouts.decide_checkout(db.session, act(username), checkout.id, approve=True)
    db.session.commit()
    return checkout


def _confiscation_approved_by(username: str):
    case, [item] = stored_items(1)
    judge_case(case)
    disposition = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[item.id], kind=DispositionKind.CONFISCATE
    )
    dispositions.decide_disposition(db.session, act(username), disposition.id, approve=True)
    db.session.commit()
    return disposition, item


def test_approver_of_a_check_out_may_not_release_it(app, head_keeper):
    case, [item] = stored_items(1)
    checkout = _checkout_approved_by(head_keeper, [item.id])
    with pytest.raises(PermissionDenied) as refused:
        checkouts.release_checkout(db.session, act(head_keeper), checkout.id, released_to=LAB.name)
    assert refused.value.code == "separation.approver_not_executor"
    db.session.rollback()
    assert db.session.get(Item, item.id).location_state is LocationState.IN_STORAGE
    checkouts.release_checkout(db.session, act("police_keeper"), checkout.id, released_to=LAB.name)
    db.session.commit()
    assert checkout.status is CheckoutStatus.RELEASED
    assert checkout.released_by_id != checkout.approved_by_id


def test_approver_of_a_disposal_may_not_execute_it(app, head_keeper):
    disposition, item = _confiscation_approved_by(head_keeper)
    with pytest.raises(PermissionDenied) as refused:
        dispositions.execute_disposition(
            db.session, act(head_keeper), disposition.id, receipt_no="国库回执 1"
        )
    assert refused.value.code == "separation.approver_not_executor"
    db.session.rollback()
    assert db.session.get(Item, item.id).location_state is LocationState.IN_STORAGE
    dispositions.execute_disposition(
        db.session, act("police_keeper"), disposition.id, receipt_no="国库回执 1"
    )
    db.session.commit()
    assert disposition.status is DispositionRecordStatus.EXECUTED


def test_the_api_refuses_release_and_execution_by_the_approver(app, client, head_keeper):
    headers = bearer(client, head_keeper)
    case, [item] = stored_items(1)
    checkout = _checkout_approved_by(head_keeper, [item.id])
    response = client.post(
        f"/api/v1/checkouts/{checkout.id}/release", json={"released_to": LAB.name}, headers=headers
    )
    assert response.status_code == 403
    assert response.json["code"] == "separation.approver_not_executor"
    disposition, _ = _confiscation_approved_by(head_keeper)
    response = client.post(
        f"/api/v1/dispositions/{disposition.id}/execute", json={"receipt_no": "国库回执 2"}, headers=headers
    )
    assert response.status_code == 403
    assert response.json["code"] == "separation.approver_not_executor"
    db.session.expire_all()
    assert checkout.status is CheckoutStatus.APPROVED
    assert disposition.status is DispositionRecordStatus.APPROVED


def test_the_pages_hide_the_release_and_execute_forms_from_the_approver_and_refuse_a_forged_post(
    app, head_keeper
):
    case, [item] = stored_items(1)
    checkout = _checkout_approved_by(head_keeper, [item.id])
    disposition, _ = _confiscation_approved_by(head_keeper)
    head = client_for(app, head_keeper)
    keeper = client_for(app, "police_keeper")

    url = f"/checkouts/{checkout.id}"
    page = get(head, url)
    assert 'name="release-submit"' not in page
    assert "另一名保管员" in page
    assert 'name="release-submit"' in get(keeper, url)
    response = submit(head, url, "release", released_to=LAB.name)
    assert response.status_code == 403
    assert "另一名保管员" in text_of(response)

    url = f"/dispositions/{disposition.id}"
    page = get(head, url)
    assert 'name="execute-submit"' not in page
    assert "另一名保管员" in page
    assert 'name="execute-submit"' in get(keeper, url)
    response = submit(head, url, "execute", receipt_no="国库回执 3")
    assert response.status_code == 403
    assert "另一名保管员" in text_of(response)
    db.session.expire_all()
    assert checkout.status is CheckoutStatus.APPROVED
    assert disposition.status is DispositionRecordStatus.APPROVED
