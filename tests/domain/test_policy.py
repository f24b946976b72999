"""The policy table, tested exhaustively: every action × role × agency kind × relation.

The expectations below are written out independently of custody/domain/policy.py, as the
product's specification of who may do what (DESIGN §4); the code must agree with every cell.
"""

from __future__ import annotations

import itertools

import pytest

from custody.domain.actor import Actor
from custody.domain.enums import AgencyKind, Role
from custody.domain.errors import PermissionDenied
from custody.domain.policy import (
    POLICY,
    Action,
    Relation,
    agency_role_problems,
    allowed,
    require,
    role_combination_problems,
)

P, J, C = AgencyKind.POLICE, AgencyKind.PROCURATORATE, AgencyKind.COURT
ANY_KIND = set(AgencyKind)  # a neutral centre operator too: its accounts hold keepers only (accounts)

# action → (roles allowed, agency kinds allowed, relation required or None)
SPEC: dict[Action, tuple[set[Role], set[AgencyKind], Relation | None]] = {
    Action.MANAGE_USERS: ({Role.ADMIN}, ANY_KIND, None),
    Action.MANAGE_REFERENCE_DATA: ({Role.ADMIN}, ANY_KIND, None),
    Action.READ_AUDIT_LOG: ({Role.AUDITOR, Role.ADMIN}, ANY_KIND, None),
    Action.OPEN_CASE: ({Role.OFFICER}, ANY_KIND, None),  # the origin decides which kind (domain/cases)
    Action.REGISTER_ITEM: ({Role.OFFICER}, ANY_KIND, Relation.CASE_HANDLER),
    Action.ATTACH_FILE: ({Role.OFFICER, Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.CHECK_IN: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.MOVE_ITEM: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.RECORD_EXTERNAL: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.RECORD_CONDITION: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.SEND_CASE: ({Role.OFFICER}, ANY_KIND, Relation.CASE_HANDLER),
    Action.PROPOSE_TRANSFER: ({Role.OFFICER}, ANY_KIND, Relation.CUSTODIAN),
    Action.DECIDE_TRANSFER: ({Role.OFFICER, Role.KEEPER}, ANY_KIND, Relation.RECEIVER),
    Action.RECALL_TRANSFER: ({Role.OFFICER}, ANY_KIND, Relation.SENDER),
    Action.REQUEST_CHECKOUT: ({Role.OFFICER}, ANY_KIND, Relation.CUSTODIAN),
    Action.APPROVE_CHECKOUT: ({Role.APPROVER}, ANY_KIND, Relation.CUSTODIAN),
    Action.RELEASE_ITEM: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.RETURN_ITEM: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.PROPOSE_DISPOSITION: ({Role.OFFICER}, ANY_KIND, Relation.CUSTODIAN),
    Action.APPROVE_DISPOSITION: ({Role.APPROVER}, ANY_KIND, Relation.CUSTODIAN),
    Action.APPROVE_EARLY_SALE: ({Role.HEAD}, ANY_KIND, Relation.CUSTODIAN),
    Action.EXECUTE_DISPOSITION: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.MANAGE_FREEZE: ({Role.OFFICER}, ANY_KIND, Relation.CUSTODIAN),
    Action.PROPOSE_CORRECTION: ({Role.OFFICER, Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.APPROVE_CORRECTION: ({Role.APPROVER}, ANY_KIND, Relation.CUSTODIAN),
    Action.MOVE_CASE: ({Role.OFFICER}, ANY_KIND, Relation.CASE_HANDLER),
    Action.RECORD_JUDGMENT: ({Role.OFFICER}, {C}, Relation.CASE_HANDLER),
    Action.CLOSE_CASE: ({Role.OFFICER}, ANY_KIND, Relation.CASE_HANDLER),
    Action.MARK_UNRELATED: ({Role.OFFICER}, ANY_KIND, Relation.CUSTODIAN),
    Action.PUBLISH_NOTICE: ({Role.OFFICER}, ANY_KIND, Relation.CUSTODIAN),
    Action.CONDUCT_STOCKTAKE: ({Role.KEEPER}, ANY_KIND, None),
    Action.RESOLVE_DISCREPANCY: ({Role.APPROVER}, ANY_KIND, Relation.CUSTODIAN),
    Action.DRAW_SPOT_CHECK: ({Role.AUDITOR}, ANY_KIND, None),
    Action.RECORD_SPOT_CHECK_RESULT: ({Role.AUDITOR, Role.APPROVER}, ANY_KIND, Relation.INSPECTOR),
    Action.EXPORT_LEDGER: ({Role.KEEPER, Role.APPROVER, Role.AUDITOR}, ANY_KIND, None),
    Action.VIEW_STATISTICS: ({Role.KEEPER, Role.APPROVER, Role.AUDITOR}, ANY_KIND, None),
    Action.REVIEW_BACKDATING: ({Role.APPROVER, Role.AUDITOR}, ANY_KIND, None),
    # Money (issue 13): accounts are reference data; keepers handle the money, approvers the plans.
    Action.MANAGE_MONEY_ACCOUNT: ({Role.ADMIN}, ANY_KIND, None),
    Action.RECORD_MONEY: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.REMIT_MONEY: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.RECONCILE_MONEY: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
    Action.MANAGE_VICTIMS: ({Role.OFFICER}, ANY_KIND, Relation.CASE_HANDLER),
    Action.PROPOSE_RESTITUTION: ({Role.OFFICER}, ANY_KIND, Relation.CUSTODIAN),
    Action.APPROVE_RESTITUTION: ({Role.APPROVER}, ANY_KIND, Relation.CUSTODIAN),
    Action.PAY_RESTITUTION: ({Role.KEEPER}, ANY_KIND, Relation.CUSTODIAN),
}

# Keeper work the keepers of a custody centre's operator agency do there for every custodian agency
# (三方共管 with an operator): physical work only — no requests, approvals, transfers or corrections.
OPERATOR_KEEPER_ACTIONS = {
    Action.ATTACH_FILE,
    Action.CHECK_IN,
    Action.MOVE_ITEM,
    Action.RECORD_EXTERNAL,
    Action.RECORD_CONDITION,
    Action.RELEASE_ITEM,
    Action.RETURN_ITEM,
    Action.EXECUTE_DISPOSITION,
}

# Supervision, not custody: auditors draw and record spot checks, export ledgers and read statistics.
OVERSIGHT_ACTIONS = {
    Action.DRAW_SPOT_CHECK,
    Action.RECORD_SPOT_CHECK_RESULT,
    Action.EXPORT_LEDGER,
    Action.VIEW_STATISTICS,
    Action.REVIEW_BACKDATING,
}


def make_actor(role: Role, kind: AgencyKind) -> Actor:
    return Actor(
        user_id=1,
        username="u",
        display_name="u",
        agency_id=1,
        agency_code="X",
        agency_name="x",
        agency_kind=kind,
        roles=frozenset({role}),
    )


def test_spec_covers_every_action_in_the_code():
    assert set(SPEC) == set(Action) == set(POLICY)


CELLS = list(
    itertools.product(
        Action, Role, AgencyKind, [frozenset(), *({r} for r in Relation if r is not Relation.NONE)]
    )
)


@pytest.mark.parametrize(
    ("action", "role", "kind", "relations"),
    CELLS,
    ids=[f"{a.value}-{r.value}-{k.value}-{'+'.join(sorted(x)) or 'none'}" for a, r, k, x in CELLS],
)
def test_every_cell_of_the_policy_table(action, role, kind, relations):
    roles, kinds, relation = SPEC[action]
    expected = role in roles and kind in kinds and (relation is None or relation in relations)
    if action in OPERATOR_KEEPER_ACTIONS and role is Role.KEEPER and Relation.CENTRE_OPERATOR in relations:
        expected = True
    actor = make_actor(role, kind)
    assert allowed(actor, action, relations) is expected
    if expected:
        require(actor, action, relations)
    else:
        with pytest.raises(PermissionDenied) as refused:
            require(actor, action, relations)
        assert refused.value.code == f"policy.{action.value}"
        assert refused.value.status == 403


def test_admins_and_auditors_never_act_on_custody():
    custody_actions = set(Action) - {
        Action.MANAGE_USERS,
        Action.MANAGE_REFERENCE_DATA,
        Action.MANAGE_MONEY_ACCOUNT,
        Action.READ_AUDIT_LOG,
        *OVERSIGHT_ACTIONS,
    }
    for action, kind, relation in itertools.product(custody_actions, AgencyKind, Relation):
        for role in (Role.ADMIN, Role.AUDITOR):
            assert not allowed(make_actor(role, kind), action, {relation})


def test_admins_never_act_on_custody_or_oversight():
    for action, kind, relation in itertools.product(OVERSIGHT_ACTIONS, AgencyKind, Relation):
        assert not allowed(make_actor(Role.ADMIN, kind), action, {relation})


def test_role_combinations():
    assert role_combination_problems([Role.OFFICER, Role.APPROVER]) == []
    assert role_combination_problems([Role.ADMIN, Role.OFFICER])
    assert role_combination_problems([Role.AUDITOR, Role.KEEPER])
    assert role_combination_problems([])


def test_a_centre_operators_staff_are_keepers_only():
    assert agency_role_problems(AgencyKind.CENTRE_OPERATOR, [Role.KEEPER]) == []
    for role in Role:
        if role is not Role.KEEPER:
            assert agency_role_problems(AgencyKind.CENTRE_OPERATOR, [role]), role
    assert agency_role_problems(P, [Role.OFFICER]) == []
