"""Building an ``Actor`` from a user row, and loading rows the actor may see."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from custody.domain.actor import Actor, Origin
from custody.domain.enums import Role
from custody.domain.errors import NotFound
from custody.domain.i18n import N_
from custody.models.user import User

T = TypeVar("T")


def actor_for(user: User, origin: Origin | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        agency_id=user.agency_id,
        agency_code=user.agency.code,
        agency_name=user.agency.name,
        agency_kind=user.agency.kind,
        roles=user.roles,
        origin=origin or Origin(),
        operated_centre_ids=operated_centres(user),
    )


def operated_centres(user: User) -> frozenset[int]:
    """The centres ``user``'s agency operates, if the user is a keeper (they act there for every
    custodian agency). Requests load them with the user (services/auth.py); elsewhere one small query."""
    if Role.KEEPER not in user.roles:
        return frozenset()
    return frozenset(centre.id for centre in user.agency.operated_centres)


def get_or_404(session: Session, model: type[T], object_id: object) -> T:
    obj = session.get(model, object_id) if isinstance(object_id, int) else None
    if obj is None:
        raise NotFound(
            N_("Record not found, or not visible to your agency."),
            code=f"not_found.{model.__tablename__}",  # type: ignore[attr-defined]
        )
    return obj
