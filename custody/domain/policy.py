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
from .errors import Conflict, PermissionDenied
from .i18n import N_


class Relation(StrEnum):
    """How the actor's agency must relate to the object of the action."""

    NONE = "none"  # no relation needed (reference data, own account)
    CUSTODIAN = "custodian"  # the agency currently responsible for the item
    CASE_HANDLER = "case_handler"  # the agency currently handling the case file
    SENDER = "sender"  # the agency that sent the transfer
    RECEIVER = "receiver"  # the agency the transfer is addressed to
    INSPECTOR = "inspector"  # the actor was drawn as the inspector of this spot-check item
    # the actor's agency operates the custody centre the item is in (or, checking in, is going to):
    # its keepers act there for the custodian agency, on rules marked ``operator_keepers``
    CENTRE_OPERATOR = "centre_operator"


class Action(StrEnum):
    # Administration
    MANAGE_USERS = "manage_users"
    MANAGE_REFERENCE_DATA = "manage_reference_data"
    # Audit
    READ_AUDIT_LOG = "read_audit_log"
    # Cases and registration
    OPEN_CASE = "open_case"
    REGISTER_ITEM = "register_item"
    ATTACH_FILE = "attach_file"
    # Storage (physical location)
    CHECK_IN = "check_in"
    MOVE_ITEM = "move_item"
    RECORD_EXTERNAL = "record_external"
    RECORD_CONDITION = "record_condition"
    # Transfer with the case
    SEND_CASE = "send_case"
    PROPOSE_TRANSFER = "propose_transfer"
    DECIDE_TRANSFER = "decide_transfer"
    RECALL_TRANSFER = "recall_transfer"
    # Check-out and return (调用/归还)
    REQUEST_CHECKOUT = "request_checkout"
    APPROVE_CHECKOUT = "approve_checkout"
    RELEASE_ITEM = "release_item"
    RETURN_ITEM = "return_item"
    # Disposal (处置)
    PROPOSE_DISPOSITION = "propose_disposition"
    APPROVE_DISPOSITION = "approve_disposition"
    APPROVE_EARLY_SALE = "approve_early_sale"
    EXECUTE_DISPOSITION = "execute_disposition"
    # Freezes (冻结) and corrections (更正)
    MANAGE_FREEZE = "manage_freeze"
    PROPOSE_CORRECTION = "propose_correction"
    APPROVE_CORRECTION = "approve_correction"
    # Case milestones the deadlines hang on
    MOVE_CASE = "move_case"
    RECORD_JUDGMENT = "record_judgment"
    CLOSE_CASE = "close_case"
    MARK_UNRELATED = "mark_unrelated"
    PUBLISH_NOTICE = "publish_notice"
    # Oversight: stocktake (盘点), random spot checks (双随机), ledgers (台账), statistics
    CONDUCT_STOCKTAKE = "conduct_stocktake"
    RESOLVE_DISCREPANCY = "resolve_discrepancy"
    DRAW_SPOT_CHECK = "draw_spot_check"
    RECORD_SPOT_CHECK_RESULT = "record_spot_check_result"
    EXPORT_LEDGER = "export_ledger"
    VIEW_STATISTICS = "view_statistics"
    # Money (涉案款专户, sub-ledgers, restitution)
    MANAGE_MONEY_ACCOUNT = "manage_money_account"
    RECORD_MONEY = "record_money"
    REMIT_MONEY = "remit_money"
    RECONCILE_MONEY = "reconcile_money"
    MANAGE_VICTIMS = "manage_victims"
    PROPOSE_RESTITUTION = "propose_restitution"
    APPROVE_RESTITUTION = "approve_restitution"
    PAY_RESTITUTION = "pay_restitution"
    REVIEW_BACKDATING = "review_backdating"


ALL_KINDS = frozenset(AgencyKind)


@dataclass(frozen=True)
class Rule:
    action: Action
    roles: frozenset[Role]
    agency_kinds: frozenset[AgencyKind]
    relation: Relation
    description: str
    source: str
    # Keepers of the agency operating the item's custody centre may act too (for the custodian).
    operator_keepers: bool = False

    def allows(self, actor: Actor, relations: Iterable[Relation]) -> bool:
        relations = set(relations)
        if actor.agency_kind not in self.agency_kinds:
            return False
        if self.operator_keepers and Role.KEEPER in actor.roles and Relation.CENTRE_OPERATOR in relations:
            return True
        if not actor.roles.intersection(self.roles):
            return False
        return self.relation is Relation.NONE or self.relation in relations


def _rule(
    action: Action,
    roles: Iterable[Role],
    relation: Relation = Relation.NONE,
    *,
    kinds: Iterable[AgencyKind] = ALL_KINDS,
    description: str,
    source: str = "[DESIGN] §4",
    operator_keepers: bool = False,
) -> Rule:
    return Rule(action, frozenset(roles), frozenset(kinds), relation, description, source, operator_keepers)


# Keeper work a neutral or third-party centre operator's keepers do for every custodian agency
# [DESIGN] 三方共管: legal custody stays with the custodian agency; only the physical work is shared.
OPERATOR_SOURCE = "; centre operator's keepers for the custodian [DESIGN] 三方共管"


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
        _rule(
            Action.OPEN_CASE,
            [Role.OFFICER],
            description=N_(
                "Open a case of the origin the agency may open: police 立案, procuratorate 自侦 or "
                "supervisory referral, court 自诉."
            ),
            source="[LAW] 刑事诉讼法 art. 19, 210; 检察院规则 art. 668; no seizure before the case is opened",
        ),
        _rule(
            Action.REGISTER_ITEM,
            [Role.OFFICER],
            Relation.CASE_HANDLER,
            description=N_(
                "Register seized items, seizure lists and their photos on a case the agency handles."
            ),
            source="[LAW] seizure list (清单); [DESIGN] §3",
        ),
        _rule(
            Action.ATTACH_FILE,
            [Role.OFFICER, Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_("Add photos and documents to an item the agency is responsible for."),
            source="[DESIGN] §4" + OPERATOR_SOURCE,
            operator_keepers=True,
        ),
        _rule(
            Action.CHECK_IN,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_("Receive an item into a storage location of the centre."),
            source="[LAW] handed to the centre within 24 hours; [DESIGN] §4 only keepers change location"
            + OPERATOR_SOURCE,
            operator_keepers=True,
        ),
        _rule(
            Action.MOVE_ITEM,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_("Move a stored item to another storage location."),
            source="[DESIGN] §4" + OPERATOR_SOURCE,
            operator_keepers=True,
        ),
        _rule(
            Action.RECORD_EXTERNAL,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_(
                "Record that an item is kept outside the centre (with the holder, a bank, an impound lot)."
            ),
            source="[DESIGN] §4" + OPERATOR_SOURCE,
            operator_keepers=True,
        ),
        _rule(
            Action.RECORD_CONDITION,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_("Record an item's condition."),
            source="[DESIGN] §4" + OPERATOR_SOURCE,
            operator_keepers=True,
        ),
        _rule(
            Action.SEND_CASE,
            [Role.OFFICER],
            Relation.CASE_HANDLER,
            description=N_(
                "Send the case on to the next agency (prosecution review, prosecution, supplementary investigation)."
            ),
            source="[LAW] 移送审查起诉 / 提起公诉 / 退回补充侦查",
        ),
        _rule(
            Action.PROPOSE_TRANSFER,
            [Role.OFFICER],
            Relation.CUSTODIAN,
            description=N_("Propose a transfer of items the agency is responsible for."),
            source="[LAW] 随案移送; [DESIGN] §4 only the custodian agency proposes",
        ),
        _rule(
            Action.DECIDE_TRANSFER,
            [Role.OFFICER, Role.KEEPER],
            Relation.RECEIVER,
            description=N_("Sign for (accept) or reject lines of a transfer addressed to the agency."),
            source="[DESIGN] §4 only the receiving agency accepts or rejects",
        ),
        _rule(
            Action.RECALL_TRANSFER,
            [Role.OFFICER],
            Relation.SENDER,
            description=N_("Recall a transfer the agency sent, before the receiver decides any line."),
            source="[DESIGN] §3",
        ),
        _rule(
            Action.REQUEST_CHECKOUT,
            [Role.OFFICER],
            Relation.CUSTODIAN,
            description=N_(
                "Request a check-out (interrogation, appraisal, identification, testing, court), "
                "or an extension of its due time."
            ),
            source="[LAW] 调用 only for the listed purposes; [DESIGN] §4",
        ),
        _rule(
            Action.APPROVE_CHECKOUT,
            [Role.APPROVER],
            Relation.CUSTODIAN,
            description=N_("Approve or reject a check-out or an extension (never one's own request)."),
            source="[LAW] approval by a head of the custodian agency",
        ),
        _rule(
            Action.RELEASE_ITEM,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_("Release approved check-out items to the named person."),
            source="[DESIGN] §4 keepers act on approved requests only" + OPERATOR_SOURCE,
            operator_keepers=True,
        ),
        _rule(
            Action.RETURN_ITEM,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_("Take back checked-out items, recording their condition and any discrepancy."),
            source="[DESIGN] §4" + OPERATOR_SOURCE,
            operator_keepers=True,
        ),
        _rule(
            Action.PROPOSE_DISPOSITION,
            [Role.OFFICER],
            Relation.CUSTODIAN,
            description=N_("Propose early sale, pre-trial return or final disposal of items."),
            source="[LAW] 先行处置 / 先行发还 / judgment; [DESIGN] §4",
        ),
        _rule(
            Action.APPROVE_DISPOSITION,
            [Role.APPROVER],
            Relation.CUSTODIAN,
            description=N_("Approve or reject a disposal proposal (never one's own)."),
        ),
        _rule(
            Action.APPROVE_EARLY_SALE,
            [Role.HEAD],
            Relation.CUSTODIAN,
            description=N_("Approve or reject an early sale (never one's own proposal)."),
            source="[LAW] 程序规定 236 (主要负责人批准); 2021解释 439 (院长批准); 检察院规则 214 (检察长批准)",
        ),
        _rule(
            Action.EXECUTE_DISPOSITION,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_("Execute an approved disposal and record the execution receipt."),
            source="[LAW] 执行回单" + OPERATOR_SOURCE,
            operator_keepers=True,
        ),
        _rule(
            Action.MANAGE_FREEZE,
            [Role.OFFICER],
            Relation.CUSTODIAN,
            description=N_("Record, renew and release freezes of accounts and securities."),
            source="[LAW] freeze periods and renewal before expiry",
        ),
        _rule(
            Action.PROPOSE_CORRECTION,
            [Role.OFFICER, Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_("Propose a correction of a wrongly registered field, with a reason."),
        ),
        _rule(
            Action.APPROVE_CORRECTION,
            [Role.APPROVER],
            Relation.CUSTODIAN,
            description=N_("Approve or reject a correction (never one's own)."),
        ),
        _rule(
            Action.MOVE_CASE,
            [Role.OFFICER],
            Relation.CASE_HANDLER,
            description=N_(
                "Record a procedural move of a case the agency handles: 自侦 to prosecution review, "
                "supplementary inquiry by the supervisory commission, merging another case into it."
            ),
            source="[LAW] 监察法 art. 54; 程序规定 art. 21, 184",
        ),
        _rule(
            Action.RECORD_JUDGMENT,
            [Role.OFFICER],
            Relation.CASE_HANDLER,
            kinds=[AgencyKind.COURT],
            description=N_("Record that the judgment took effect; the case moves to execution."),
            source="[LAW] execution of the property parts of a judgment; [DESIGN] §3",
        ),
        _rule(
            Action.CLOSE_CASE,
            [Role.OFFICER],
            Relation.CASE_HANDLER,
            description=N_("Close the case (结案, 撤案 or 不起诉) with its decision number and a reason."),
            source="[LAW] 撤销案件 / 不起诉 / 执行完毕; [DESIGN] §3 no items held after closing",
        ),
        _rule(
            Action.MARK_UNRELATED,
            [Role.OFFICER],
            Relation.CUSTODIAN,
            description=N_("Record that an item was found unrelated to the case (release within 3 days)."),
            source="[LAW] 刑事诉讼法 art. 145",
        ),
        _rule(
            Action.PUBLISH_NOTICE,
            [Role.OFFICER],
            Relation.CUSTODIAN,
            description=N_("Record a public notice for property whose owner is unknown."),
            source="[LAW] unclaimed property: public notice, treasury after 6 months",
        ),
        _rule(
            Action.CONDUCT_STOCKTAKE,
            [Role.KEEPER],
            description=N_(
                "Start a stocktake of a storage location and its sub-locations, scan labels, finish it."
            ),
            source="[DESIGN] §1 keepers stocktake the centre; §7 scan box",
        ),
        _rule(
            Action.RESOLVE_DISCREPANCY,
            [Role.APPROVER],
            Relation.CUSTODIAN,
            description=N_(
                "Resolve a stocktake discrepancy of an item the agency is responsible for, with a reason."
            ),
            source="[DESIGN] §4 supervisors resolve what keepers found",
        ),
        _rule(
            Action.DRAW_SPOT_CHECK,
            [Role.AUDITOR],
            description=N_(
                "Draw a random spot check (双随机): a reproducible sample of items and inspectors."
            ),
            source="[DESIGN] §4 auditors inspect; 双随机一公开",
        ),
        _rule(
            Action.RECORD_SPOT_CHECK_RESULT,
            [Role.AUDITOR, Role.APPROVER],
            Relation.INSPECTOR,
            description=N_("Record the result of inspecting an item one was drawn to inspect."),
            source="[DESIGN] §4 inspectors from another agency than the custodian",
        ),
        _rule(
            Action.EXPORT_LEDGER,
            [Role.KEEPER, Role.APPROVER, Role.AUDITOR],
            description=N_("Export the ledger (台账) of the items the agency may see, as XLSX or CSV."),
            source="[DESIGN] §3 ledgers; every export is a security event",
        ),
        _rule(
            Action.VIEW_STATISTICS,
            [Role.KEEPER, Role.APPROVER, Role.AUDITOR],
            description=N_(
                "See statistics, stocktakes and the supervision dashboard over the items the agency may see."
            ),
            source="[DESIGN] §1 动态式 supervision",
        ),
        _rule(
            Action.REVIEW_BACKDATING,
            [Role.APPROVER, Role.AUDITOR],
            description=N_(
                "See the list of back-dated entries (storage steps dated earlier than recorded) on the "
                "items the agency may see."
            ),
            source="[DESIGN] issue 14: back-dating is shown to supervisors",
        ),
        _rule(
            Action.MANAGE_MONEY_ACCOUNT,
            [Role.ADMIN],
            description=N_("Register an agency's case-money account (涉案款专户) and close it."),
            source="[LAW] 2021解释 art. 437 ¶3 (货币应当存入银行专门账户); 检察院规则 art. 217 (唯一合规账户)",
        ),
        _rule(
            Action.RECORD_MONEY,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_(
                "Record money paid into the case-money account: cash deposited with its bank slip, "
                "sale proceeds, interest, deductions from frozen accounts, refunds from the treasury."
            ),
            source="[LAW] 2021解释 art. 437 ¶3; 刑诉法 art. 245 (孳息); [DESIGN] §4 keepers handle the property",
        ),
        _rule(
            Action.REMIT_MONEY,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_(
                "Remit a decided case's money to the treasury with the payment form (缴款书) number, "
                "when no victim is owed anything."
            ),
            source="[LAW] 刑诉法 art. 245 ¶4 (除依法返还被害人的以外，一律上缴国库)",
        ),
        _rule(
            Action.RECONCILE_MONEY,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_(
                "Reconcile the agency's case-money account with the bank's statements: import a "
                "statement, match its lines to the movements, resolve what stays unmatched with a reason."
            ),
            source="[DESIGN] issue 13: the keepers who record the account's money check it against the bank",
        ),
        _rule(
            Action.MANAGE_VICTIMS,
            [Role.OFFICER],
            Relation.CASE_HANDLER,
            description=N_(
                "Record a case's victims and their claims, and the amounts the judgment confirms."
            ),
            source="[LAW] 2021解释 art. 444 ¶2, 438",
        ),
        _rule(
            Action.PROPOSE_RESTITUTION,
            [Role.OFFICER],
            Relation.CUSTODIAN,
            description=N_("Generate a restitution plan from the money the agency holds for a decided case."),
            source="[LAW] 2014规定 art. 13 (order); 2021解释 art. 438 (按比例返还)",
        ),
        _rule(
            Action.APPROVE_RESTITUTION,
            [Role.APPROVER],
            Relation.CUSTODIAN,
            description=N_("Approve or reject a restitution plan (never one's own)."),
        ),
        _rule(
            Action.PAY_RESTITUTION,
            [Role.KEEPER],
            Relation.CUSTODIAN,
            description=N_(
                "Pay the lines of an approved restitution plan, each with its receipt or payment form."
            ),
            source="[DESIGN] §4 keepers act on approved requests only",
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
    "separation.officer_not_keeper": (
        "A case officer may not also be a keeper of the property.",
        "[LAW] 程序规定 art. 235 ¶3 (严禁由侦查人员自行保管涉案财物)",
    ),
    "separation.requester_not_approver": (
        "Nobody approves their own check-out, extension, disposal, correction or restitution plan.",
        "[LAW] + [DESIGN] §4",
    ),
    "separation.approver_not_executor": (
        "Whoever approved a check-out, a disposal or a restitution plan does not release, execute or pay it.",
        "[DESIGN] §4",
    ),
    "separation.witness_in_chain": (
        "A destruction witness must appear nowhere in the item's chain of custody (no event of the item names them).",
        "[DESIGN] §4",
    ),
    "separation.inspector_other_agency": (
        "A spot-check inspector is drawn at random from the auditors and approvers of agencies other than the item's custodian.",
        "[DESIGN] §4 双随机",
    ),
    "separation.stocktake_resolver": (
        "Nobody resolves a discrepancy of a stocktake they started.",
        "[DESIGN] §4",
    ),
    "separation.own_account": (
        "Nobody changes their own roles or disables their own account; another administrator does it.",
        "[DESIGN] §4",
    ),
    "accounts.last_admin": (
        "The last active administrator keeps the role: nobody removes it or disables that account.",
        "[DESIGN] §4",
    ),
    "separation.operator_keepers_only": (
        "A centre operator agency (a neutral third party) has keepers only: it opens no case, holds no "
        "legal custody, approves nothing and is never party to a transfer.",
        "[DESIGN] 三方共管",
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
    if {Role.OFFICER, Role.KEEPER} <= roles:
        # [LAW] 程序规定 art. 235 ¶3: 严禁由侦查人员自行保管涉案财物.
        problems.append(
            N_("A case officer may not also keep the property (officer and keeper on one account).")
        )
    return problems


def check_account_change(
    actor: Actor,
    *,
    user_id: int,
    roles_before: Iterable[Role],
    roles_after: Iterable[Role],
    active_before: bool,
    active_after: bool,
    other_active_admins: int,
) -> None:
    """An administrator's change of an account's roles or active flag [DESIGN §4].

    Nobody changes their own roles or disables their own account (``separation.own_account``), and
    the last active administrator is never demoted or disabled (``accounts.last_admin``), so the
    system always keeps someone who can manage accounts. ``other_active_admins`` counts the active
    administrators other than ``user_id``, read under the service's lock.
    """
    before, after = frozenset(roles_before), frozenset(roles_after)
    if user_id == actor.user_id and after != before:
        raise Conflict(
            N_("You cannot change your own roles: another administrator does it."),
            code="user.change_own_roles",
            fields={"roles": [N_("Another administrator changes your roles.")]},
        )
    if user_id == actor.user_id and active_before and not active_after:
        raise Conflict(N_("You cannot disable your own account."), code="user.disable_self")
    was_admin = active_before and Role.ADMIN in before
    stays_admin = active_after and Role.ADMIN in after
    if was_admin and not stays_admin and other_active_admins < 1:
        raise Conflict(
            N_("This is the last active administrator: make another account administrator first."),
            code="user.last_admin",
        )


def agency_role_problems(kind: AgencyKind, roles: Iterable[Role]) -> list[str]:
    """Roles an account may hold in an agency of ``kind``: a neutral centre operator's staff keep the
    property and nothing else (the law gives case work and approvals to the three agencies)."""
    if kind is AgencyKind.CENTRE_OPERATOR and set(roles) - {Role.KEEPER}:
        return [N_("A centre operator's staff are keepers only.")]
    return []
