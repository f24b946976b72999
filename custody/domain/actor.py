"""Who is acting, and from where — passed into every service call by the view."""

from __future__ import annotations

from dataclasses import dataclass, field
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

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

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
        }
