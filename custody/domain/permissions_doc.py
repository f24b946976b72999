"""Render the policy table as Markdown for docs/PERMISSIONS.md (kept in sync by a test)."""

from __future__ import annotations

from .enums import AgencyKind, Role
from .policy import ALL_KINDS, POLICY, SEPARATION_RULES, Relation

RELATION_TEXT = {
    Relation.NONE: "—",
    Relation.CUSTODIAN: "actor's agency is the item's custodian",
    Relation.CASE_HANDLER: "actor's agency currently handles the case",
    Relation.SENDER: "actor's agency sent the transfer",
    Relation.RECEIVER: "actor's agency is the transfer's receiver",
    Relation.INSPECTOR: "actor was drawn as the item's inspector",
    Relation.CENTRE_OPERATOR: "actor's agency operates the custody centre the item is in",
}
OPERATOR_TEXT = (
    "; or a keeper of the agency operating the custody centre the item is in (or is checked in to)"
)


def _kinds(kinds: frozenset[AgencyKind]) -> str:
    if kinds == ALL_KINDS:
        return "any"
    return ", ".join(k.value for k in AgencyKind if k in kinds)


def render_permissions_markdown() -> str:
    lines = [
        "# Permissions",
        "",
        "Generated from `custody/domain/policy.py` by `flask custody permissions-doc --output docs/PERMISSIONS.md`;",
        "a test fails when this file and the code disagree. Roles are held per user and scoped to the",
        "user's agency. A request is allowed only when the user holds one of the roles, belongs to an",
        "agency of an allowed kind, and the condition holds.",
        "",
        "A custody centre may name an **operator agency** (`custody_centre.operator_agency_id`; a neutral",
        "third party of kind `centre_operator`, or one of the three agencies): its keepers do the keeper work",
        "marked below for items of every custodian agency in that centre, recorded as acting for the",
        "custodian (`acting_for` in the event's actor). Legal custody, requests and approvals stay with",
        "the custodian agency.",
        "",
        "| action | roles | agency kinds | condition | what it allows | source |",
        "|---|---|---|---|---|---|",
    ]
    for action, rule in POLICY.items():
        roles = ", ".join(r.value for r in Role if r in rule.roles)
        condition = RELATION_TEXT[rule.relation] + (OPERATOR_TEXT if rule.operator_keepers else "")
        lines.append(
            f"| `{action.value}` | {roles} | {_kinds(rule.agency_kinds)} | {condition} "
            f"| {rule.description} | {rule.source} |"
        )
    lines += ["", "## Separation of duties", ""]
    for name, (text, source) in SEPARATION_RULES.items():
        lines.append(f"- `{name}`: {text} {source}")
    lines.append("")
    return "\n".join(lines)
