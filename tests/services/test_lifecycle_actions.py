"""What each role may do to a check-out, disposal, freeze or correction now: the services answer
(``*_actions``) with the same rules their steps apply, and a refused step says why (``*_problem``)."""

from __future__ import annotations

import pytest

from custody.domain.enums import DispositionKind
from custody.domain.errors import PermissionDenied
from custody.domain.lifecycle import FreezeStatus
from custody.extensions import db
from custody.services import checkouts, corrections, dispositions, freezes

from ..factories import act, dual_role_user, judge_case, stored_items
from ..lifecycle_helpers import (
    approve,
    approved,
    correct,
    execute,
    expired_freeze,
    freeze,
    frozen_account,
    propose,
    released,
    request,
)


def actions(record_actions, record):
    return {name: record_actions(act(name), record) for name in ROLES}


ROLES = ("police_officer", "police_approver", "police_keeper", "auditor")


def test_check_out_actions_follow_each_step(app):
    case, stored = stored_items(3)
    requested = request([stored[0].id])
    assert actions(checkouts.checkout_actions, requested) == {
        "police_officer": ["cancel"],
        "police_approver": ["approve", "reject"],
        "police_keeper": [],
        "auditor": [],
    }
    ready = approved([stored[1].id])
    assert actions(checkouts.checkout_actions, ready) == {
        "police_officer": ["cancel", "extend"],
        "police_approver": [],
        "police_keeper": ["release"],
        "auditor": [],
    }
    out = released([stored[2].id])
    assert actions(checkouts.checkout_actions, out)["police_keeper"] == ["return"]
    assert actions(checkouts.checkout_actions, out)["police_officer"] == ["extend"]
    checkouts.return_items(db.session, act("police_keeper"), out.id, condition="封存完好")
    db.session.commit()
    assert actions(checkouts.checkout_actions, out) == dict.fromkeys(ROLES, [])


def test_the_refusal_says_why_a_step_is_not_offered(app):
    case, [item] = stored_items(1)
    dual_role_user()
    own = request([item.id], username="police_chief")
    problem = checkouts.checkout_problem(act("police_chief"), own, "approve")
    assert isinstance(problem, PermissionDenied)
    assert problem.code == "separation.requester_not_approver"
    assert checkouts.checkout_problem(act("police_keeper"), own, "approve").code == "policy.approve_checkout"
    assert checkouts.checkout_problem(act("police_keeper"), own, "release").code == "checkout.not_approved"
    assert checkouts.slip_problem(own).code == "checkout.not_printable"
    checkouts.decide_checkout(db.session, act("police_approver"), own.id, approve=True)
    db.session.commit()
    assert checkouts.slip_problem(own) is None


def test_disposal_actions_follow_each_step(app):
    case, [item] = stored_items(1)
    judge_case(case)
    proposed = propose([item.id], DispositionKind.CONFISCATE)
    assert actions(dispositions.disposition_actions, proposed) == {
        "police_officer": ["cancel"],
        "police_approver": ["approve", "reject"],
        "police_keeper": [],
        "auditor": [],
    }
    approve(proposed)
    assert actions(dispositions.disposition_actions, proposed)["police_keeper"] == ["execute"]
    assert dispositions.document_problem(proposed, "execution_record") is None
    assert dispositions.document_problem(proposed, "return_list").code == "disposition.no_return_list"
    execute(proposed, receipt_no="国库回执 2026-009")
    assert actions(dispositions.disposition_actions, proposed) == dict.fromkeys(ROLES, [])


def test_freeze_actions_follow_its_state(app):
    case, account = frozen_account()
    order = freeze(account)
    assert actions(freezes.freeze_actions, order) == {
        "police_officer": ["renew", "release"],
        "police_approver": [],
        "police_keeper": [],
        "auditor": [],
    }
    freezes.release_freeze(db.session, act("police_officer"), order.id, doc_no="解除冻结通知书 1号")
    db.session.commit()
    assert actions(freezes.freeze_actions, order) == dict.fromkeys(ROLES, [])
    assert freezes.freeze_problem(act("police_officer"), order, "renew").code == "freeze.released"


def test_correction_actions_leave_out_the_proposer(app):
    case, [item] = stored_items(1)
    proposal = correct(item, "name", "苹果手机（白色）")
    assert actions(corrections.correction_actions, proposal) == {
        "police_officer": [],
        "police_approver": ["approve", "reject"],
        "police_keeper": [],
        "auditor": [],
    }


def test_the_overview_a_page_reads(app):
    case, [item] = stored_items(1)
    ready = approved([item.id])
    overview = checkouts.checkout_overview(db.session, act("police_keeper"), ready.id)
    assert overview.record.case.id == case.id  # Checkout.case
    assert overview.actions == ["release"]
    assert overview.problems["approve"].code == "policy.approve_checkout"
    assert {ready.requested_by_id, ready.approved_by_id} <= set(overview.people)
    approver = checkouts.checkout_overview(db.session, act("police_approver"), ready.id)
    assert approver.refused_as("release", "policy.release_item")


def test_label_codes_name_the_items_the_user_may_see(app):
    case, stored = stored_items(2)
    codes = [stored[0].label_code, "PDGA-2026-999999"]
    assert checkouts.items_by_label_code(db.session, act("police_officer"), codes) == (
        [stored[0].id],
        ["PDGA-2026-999999"],
    )
    assert checkouts.items_by_label_code(db.session, act("prosecutor"), [stored[1].label_code]) == (
        [],
        [stored[1].label_code],
    )


@pytest.mark.live_rows_diverge(reason="back-dates a freeze with a direct update (expired_freeze)")
def test_the_freeze_list_filters_on_what_the_law_says_today(app):
    case, account = frozen_account()
    _, other = frozen_account(case)
    in_force, lapsed = freeze(account), expired_freeze(other)  # stored "active", its last day past

    def listed(effective):
        stmt = freezes.freezes_query(act("police_officer"), effective=effective)
        return {f.id for f in db.session.scalars(stmt)} & {in_force.id, lapsed.id}

    assert listed(FreezeStatus.ACTIVE) == {in_force.id}
    assert listed(FreezeStatus.LAPSED) == {lapsed.id}
    assert listed(FreezeStatus.QUEUED) == set()
    assert listed(None) == {in_force.id, lapsed.id}
