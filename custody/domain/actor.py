"""Who is acting, and from where — passed into every service call by the view."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .enums import AgencyKind, Role


@dataclass(frozen=True)
class Origin:
    """Where a request came from, recorded on every audit event."""

    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def cli(cls) -> Origin:
        return cls(ip=None, user_agent="flask custody (command line)")


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    display_name: str
    agency_id: int
    agency_code: str
    agency_name: str
    agency_kind: AgencyKind
    roles: frozenset[Role]
    origin: Origin = field(default_factory=Origin)
    # The custody centres the actor's agency operates (filled for keepers only): its keepers act there
    # for every custodian agency (domain/policy.py, Relation.CENTRE_OPERATOR).
    operated_centre_ids: frozenset[int] = frozenset()
    # Set while a centre operator's keeper acts for the item's custodian: (agency id, code, name).
    acting_for: tuple[int, str, str] | None = None

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def for_custodian(self, agency_id: int, code: str, name: str) -> Actor:
        """This actor acting for the custodian agency ``agency_id`` (a centre operator's keeper)."""
        if agency_id == self.agency_id:
            return replace(self, acting_for=None)
        return replace(self, acting_for=(agency_id, code, name))

    def snapshot(self) -> dict[str, Any]:
        """The actor as recorded in an audit event (names as they were at the time)."""
        return {
            "user_id": self.user_id,
            "username": self.username,
            "display_name": self.display_name,
            "agency_id": self.agency_id,
            "agency_code": self.agency_code,
            "agency_name": self.agency_name,
            "agency_kind": self.agency_kind.value,
            "roles": sorted(r.value for r in self.roles),
        } | (
            {}
            if self.acting_for is None
            else {
                "acting_for": {
                    "agency_id": self.acting_for[0],
                    "agency_code": self.acting_for[1],
                    "agency_name": self.acting_for[2],
                }
            }
        )
