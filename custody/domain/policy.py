"""Who may do what — the policy table [DESIGN §4].

Every permission the system enforces is one row of ``POLICY``: the action, the roles allowed,
the agency kinds allowed, and the relation the actor's agency must have to the object (for
example "is the item's custodian"). Services ask ``require`` before changing anything; the
table is rendered into ``docs/PERMISSIONS.md`` by ``flask custody permissions-doc`` so readers
see exactly what the code enforces.

Separation-of-duty rules that compare people (requester ≠ approver, destruction witness not in
the chain of custody) live beside the workflows that know those people, and are listed in the
same document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .actor import Actor
from .enums import AgencyKind, Role
from .errors import PermissionDenied
from .i18n import N_


class Relation(StrEnum):
    """How the actor's agency must relate to the object of the action."""

    NONE = "none"  # no relation needed (reference data, own account)
    CUSTODIAN = "custodian"  # the agency currently responsible for the item
    CASE_HANDLER = "case_handler"  # the agency currently handling the case file
    SENDER = "sender"  # the agency that sent the transfer
    RECEIVER = "receiver"  # the agency the transfer is addressed to


class Action(StrEnum):
    # Administration
    MANAGE_USERS = "manage_users"
    MANAGE_REFERENCE_DATA = "manage_reference_data"
    # Audit
    READ_AUDIT_LOG = "read_audit_log"


ALL_KINDS = frozenset(AgencyKind)


@dataclass(frozen=True)
class Rule:
    action: Action
    roles: frozenset[Role]
    agency_kinds: frozenset[AgencyKind]
    relation: Relation
    description: str
    source: str

    def allows(self, actor: Actor, relations: Iterable[Relation]) -> bool:
        if not actor.roles.intersection(self.roles):
            return False
        if actor.agency_kind not in self.agency_kinds:
            return False
        return self.relation is Relation.NONE or self.relation in set(relations)


def _rule(
    action: Action,
    roles: Iterable[Role],
    relation: Relation = Relation.NONE,
    *,
    kinds: Iterable[AgencyKind] = ALL_KINDS,
    description: str,
    source: str = "[DESIGN] §4",
) -> Rule:
    return Rule(action, frozenset(roles), frozenset(kinds), relation, description, source)


POLICY: dict[Action, Rule] = {
    r.action: r
    for r in (
        _rule(
            Action.MANAGE_USERS,
            [Role.ADMIN],
            description=N_("Create, edit and disable user accounts and their roles."),
        ),
        _rule(
            Action.MANAGE_REFERENCE_DATA,
            [Role.ADMIN],
            description=N_("Maintain agencies, custody centres and storage locations."),
        ),
        _rule(
            Action.READ_AUDIT_LOG,
            [Role.AUDITOR, Role.ADMIN],
            description=N_("Read the security and administration audit log."),
        ),
    )
}

assert set(POLICY) == set(Action), "every action needs exactly one policy rule"


def allowed(actor: Actor, action: Action, relations: Iterable[Relation] = ()) -> bool:
    return POLICY[action].allows(actor, relations)


def require(actor: Actor, action: Action, relations: Iterable[Relation] = ()) -> None:
    """Raise ``PermissionDenied`` naming the rule unless ``actor`` may perform ``action``."""
    rule = POLICY[action]
    if not rule.allows(actor, relations):
        raise PermissionDenied(
            N_("Not allowed: %(rule)s"),
            code=f"policy.{action.value}",
            rule=rule.description,
        )


# Rules that compare people rather than roles; enforced where the workflow knows the people.
SEPARATION_RULES: dict[str, tuple[str, str]] = {
    "separation.admin_exclusive": (
        "An administrator holds no other role, so account management and custody work stay apart.",
        "[DESIGN] §4",
    ),
    "separation.auditor_independent": (
        "An auditor cannot also be an officer, approver or keeper.",
        "[DESIGN] §4",
    ),
}


# Separation of duties on one account [DESIGN §4]: admins do no custody work, auditors stay
# independent of what they audit.
def role_combination_problems(roles: Iterable[Role]) -> list[str]:
    roles = set(roles)
    problems: list[str] = []
    if not roles:
        problems.append(N_("A user needs at least one role."))
    if Role.ADMIN in roles and len(roles) > 1:
        problems.append(N_("Administrators hold no other role (no custody actions)."))
    if Role.AUDITOR in roles and roles & {Role.OFFICER, Role.APPROVER, Role.KEEPER}:
        problems.append(N_("Auditors are independent and cannot also act on custody."))
    return problems
