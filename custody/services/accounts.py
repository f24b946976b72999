"""Administration of user accounts and reference data (agencies, centres, storage locations)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.enums import AgencyKind, EventCategory, Role, StorageHolds, StorageKind
from custody.domain.errors import Conflict, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.ordering import natural_key
from custody.domain.passwords import password_problems
from custody.domain.policy import (
    Action,
    agency_role_problems,
    check_account_change,
    require,
    role_combination_problems,
)
from custody.models.agency import Agency, CustodyCentre, StorageLocation
from custody.models.user import User, UserRole
from custody.security import hash_password

from .auth import USERNAME_RE, revoke_all_credentials
from .context import get_or_404

# A shelf sits in a room, a bin on a shelf [DESIGN §2: room › shelf › bin].
ALLOWED_PARENT: dict[StorageKind, StorageKind | None] = {
    StorageKind.ROOM: None,
    StorageKind.SHELF: StorageKind.ROOM,
    StorageKind.BIN: StorageKind.SHELF,
}


def _admin_event(
    session: Session, actor: Actor, action: str, object_type: str, object_id: object, **data: Any
):
    return record_event(
        session,
        category=EventCategory.ADMIN,
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        data=data,
    )


def _check_password(password: str, username: str, display_name: str = "") -> None:
    problems = password_problems(password, username, [display_name] if display_name else [])
    if problems:
        raise InvalidInput(problems[0], fields={"password": problems})


def _check_roles(roles: Iterable[Role], agency: Agency | None = None) -> None:
    roles = set(roles)
    problems = role_combination_problems(roles) + (
        agency_role_problems(agency.kind, roles) if agency is not None else []
    )
    if problems:
        raise InvalidInput(problems[0], fields={"roles": problems})


def _user_view(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "agency_id": user.agency_id,
        "roles": sorted(r.value for r in user.roles),
        "is_active": user.is_active,
        "locale": user.locale,
    }


def create_user(
    session: Session,
    actor: Actor | None,
    *,
    username: str,
    display_name: str,
    agency_id: int,
    roles: Iterable[Role],
    password: str,
    locale: str | None = None,
) -> User:
    """Create an account. ``actor`` is None only for the command line's bootstrap."""
    if actor is not None:
        require(actor, Action.MANAGE_USERS)
    username = username.strip().lower()
    if not USERNAME_RE.fullmatch(username):
        raise InvalidInput(
            N_("Username: 3–64 lower-case letters, digits, '.', '_' or '-'."),
            fields={"username": [N_("3–64 lower-case letters, digits, '.', '_' or '-'.")]},
        )
    roles = set(roles)
    _check_roles(roles)
    _check_password(password, username, display_name)
    agency = get_or_404(session, Agency, agency_id)
    _check_roles(roles, agency)
    if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        raise Conflict(
            N_("Username %(username)s is already taken."), code="user.duplicate", username=username
        )
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        agency=agency,
        password_hash=hash_password(password),
        locale=locale,
        role_rows=[UserRole(role=r) for r in sorted(roles)],
        # An administrator chose this password: the user replaces it at the first login. The
        # command line's bootstrap account (actor None) is set up by its own user.
        must_change_password=actor is not None,
    )
    session.add(user)
    session.flush()
    if actor is not None:
        _admin_event(session, actor, "user.create", "user", user.id, after=_user_view(user))
    return user


def _other_active_admins(session: Session, user_id: int) -> int:
    """How many active administrators there are besides ``user_id``, counted under a lock.

    The rows of every administrator (and of the user being changed) are locked in id order first,
    so two administrators demoting each other at the same moment are serialised: the second one
    counts again after the first committed and finds no other administrator left. (SQLite's
    writing requests already run one at a time.)"""
    admins = select(UserRole.user_id).where(UserRole.role == Role.ADMIN)
    session.execute(
        select(User.id)
        .where(or_(User.id.in_(admins), User.id == user_id))
        .order_by(User.id)
        .with_for_update()
    ).all()
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.id.in_(admins), User.is_active.is_(True), User.id != user_id)
        )
        or 0
    )


def update_user(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    display_name: str | None = None,
    agency_id: int | None = None,
    roles: Iterable[Role] | None = None,
    is_active: bool | None = None,
    locale: str | None = None,
) -> User:
    require(actor, Action.MANAGE_USERS)
    user = get_or_404(session, User, user_id)
    before = _user_view(user)
    new_roles = frozenset(roles) if roles is not None else user.roles
    new_active = user.is_active if is_active is None else is_active
    if roles is not None:
        _check_roles(new_roles)
    if new_roles != user.roles or new_active != user.is_active:
        check_account_change(
            actor,
            user_id=user.id,
            roles_before=user.roles,
            roles_after=new_roles,
            active_before=user.is_active,
            active_after=new_active,
            other_active_admins=_other_active_admins(session, user.id),
        )
    if display_name is not None:
        user.display_name = display_name.strip() or user.display_name
    if agency_id is not None and agency_id != user.agency_id:
        user.agency = get_or_404(session, Agency, agency_id)
    _check_roles(new_roles, user.agency)  # a centre operator's staff: keepers only
    if new_roles != user.roles:
        user.role_rows = [UserRole(role=r) for r in sorted(new_roles)]
    if locale is not None:
        user.locale = locale or None
    if new_active != user.is_active:
        user.is_active = new_active
        if not is_active:
            revoke_all_credentials(session, user, "account_disabled")
    session.flush()
    after = _user_view(user)
    if after != before:
        _admin_event(session, actor, "user.update", "user", user.id, before=before, after=after)
    return user


def reset_password(session: Session, actor: Actor, user_id: int, password: str) -> User:
    """Set a new password and unlock the account; existing sessions of the user are ended, and the
    user must choose their own password at the next login."""
    require(actor, Action.MANAGE_USERS)
    user = get_or_404(session, User, user_id)
    _check_password(password, user.username, user.display_name)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_login_count = 0
    user.locked_until = None
    revoke_all_credentials(session, user, "password_reset")
    _admin_event(session, actor, "user.password_reset", "user", user.id)
    return user


def unlock_user(session: Session, actor: Actor, user_id: int) -> User:
    require(actor, Action.MANAGE_USERS)
    user = get_or_404(session, User, user_id)
    user.failed_login_count = 0
    user.locked_until = None
    _admin_event(session, actor, "user.unlock", "user", user.id)
    return user


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    require(actor, Action.MANAGE_USERS)
    return get_or_404(session, User, user_id)


def list_users(session: Session, actor: Actor) -> list[User]:
    require(actor, Action.MANAGE_USERS)
    return list(session.scalars(select(User).order_by(User.agency_id, User.username)))


# -- agencies -------------------------------------------------------------------------------


def _unique(
    session: Session,
    model: type[Agency | CustodyCentre],
    column: Any,
    value: str,
    exclude_id: int | None,
    field: str,
) -> None:
    query = select(func.count()).select_from(model).where(column == value)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if session.scalar(query):
        raise Conflict(
            N_("%(value)s is already in use."),
            code=f"duplicate.{field}",
            fields={field: [N_("Already in use.")]},
            value=value,
        )


def list_agencies(session: Session, kind: AgencyKind | None = None) -> list[Agency]:
    """Agencies in the order a case travels: police, procuratorate, court."""
    stmt = select(Agency)
    if kind is not None:
        stmt = stmt.where(Agency.kind == kind)
    order = list(AgencyKind)
    return sorted(session.scalars(stmt), key=lambda a: (order.index(a.kind), a.id))


def create_agency(session: Session, actor: Actor | None, *, code: str, name: str, kind: AgencyKind) -> Agency:
    if actor is not None:
        require(actor, Action.MANAGE_REFERENCE_DATA)
    code, name = code.strip().upper(), name.strip()
    _unique(session, Agency, Agency.code, code, None, "code")
    _unique(session, Agency, Agency.name, name, None, "name")
    agency = Agency(code=code, name=name, kind=kind)
    session.add(agency)
    session.flush()
    if actor is not None:
        _admin_event(session, actor, "agency.create", "agency", agency.id, code=code, name=name, kind=kind)
    return agency


def update_agency(
    session: Session, actor: Actor, agency_id: int, *, name: str | None = None, is_active: bool | None = None
) -> Agency:
    """Rename or deactivate an agency. Its kind never changes: custody history depends on it."""
    require(actor, Action.MANAGE_REFERENCE_DATA)
    agency = get_or_404(session, Agency, agency_id)
    before = {"name": agency.name, "is_active": agency.is_active}
    if name is not None and name.strip() != agency.name:
        _unique(session, Agency, Agency.name, name.strip(), agency.id, "name")
        agency.name = name.strip()
    if is_active is not None:
        agency.is_active = is_active
    after = {"name": agency.name, "is_active": agency.is_active}
    if after != before:
        _admin_event(session, actor, "agency.update", "agency", agency.id, before=before, after=after)
    return agency


# -- centres and storage locations ----------------------------------------------------------


def users_by_id(session: Session, *ids: int | None) -> dict[int, User]:
    """The people a record names (requester, approver, keeper…), by id, in one query."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def list_centres(session: Session) -> list[CustodyCentre]:
    """Every custody centre, in the order they were set up."""
    return list(session.scalars(select(CustodyCentre).order_by(CustodyCentre.id)))


def get_centre(session: Session, centre_id: int) -> CustodyCentre:
    centre = session.get(CustodyCentre, centre_id)
    if centre is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.centre")
    return centre


def get_agency(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.agency")
    return agency


def create_centre(
    session: Session,
    actor: Actor | None,
    *,
    code: str,
    name: str,
    address: str | None = None,
    operator_agency_id: int | None = None,
) -> CustodyCentre:
    if actor is not None:
        require(actor, Action.MANAGE_REFERENCE_DATA)
    code, name = code.strip().upper(), name.strip()
    _unique(session, CustodyCentre, CustodyCentre.code, code, None, "code")
    _unique(session, CustodyCentre, CustodyCentre.name, name, None, "name")
    operator = _operator(session, operator_agency_id)
    centre = CustodyCentre(code=code, name=name, address=address, operator_agency=operator)
    session.add(centre)
    session.flush()
    if actor is not None:
        _admin_event(
            session,
            actor,
            "centre.create",
            "custody_centre",
            centre.id,
            code=code,
            name=name,
            operator_agency_id=centre.operator_agency_id,
        )
    return centre


def _operator(session: Session, agency_id: int | None) -> Agency | None:
    if agency_id is None:
        return None
    agency = session.get(Agency, agency_id)
    if agency is None or not agency.is_active:
        raise InvalidInput(
            N_("Unknown or inactive agency."),
            code="centre.operator_unknown",
            fields={"operator_agency_id": [N_("Unknown or inactive agency.")]},
        )
    return agency


def set_centre_operator(
    session: Session, actor: Actor, centre_id: int, *, operator_agency_id: int | None
) -> CustodyCentre:
    """Name the agency that runs the centre (三方共管 with an operator): its keepers do the keeper work
    there for every custodian agency. None: each custodian agency's own keepers work there. Legal
    custody is not affected; the change is an administration event."""
    require(actor, Action.MANAGE_REFERENCE_DATA)
    centre = session.scalar(select(CustodyCentre).where(CustodyCentre.id == centre_id).with_for_update())
    if centre is None:
        centre = get_or_404(session, CustodyCentre, centre_id)
    before = centre.operator_agency_id
    operator = _operator(session, operator_agency_id)
    centre.operator_agency = operator
    session.flush()
    if centre.operator_agency_id != before:
        _admin_event(
            session,
            actor,
            "centre.operator",
            "custody_centre",
            centre.id,
            before={"operator_agency_id": before},
            after={
                "operator_agency_id": centre.operator_agency_id,
                "operator_agency": operator.name if operator else None,
            },
        )
    return centre


def create_location(
    session: Session,
    actor: Actor | None,
    *,
    centre_id: int,
    kind: StorageKind,
    code: str,
    name: str,
    parent_id: int | None = None,
    holds: StorageHolds | None = None,
) -> StorageLocation:
    """A room, shelf or bin; ``holds`` (what it is made for) defaults to its parent's."""
    if actor is not None:
        require(actor, Action.MANAGE_REFERENCE_DATA)
    centre = get_or_404(session, CustodyCentre, centre_id)
    parent = get_or_404(session, StorageLocation, parent_id) if parent_id is not None else None
    expected_parent = ALLOWED_PARENT[kind]
    if (parent.kind if parent else None) != expected_parent:
        raise InvalidInput(
            N_("A room sits directly in the centre, a shelf in a room, a bin on a shelf."),
            fields={"parent_id": [N_("Wrong kind of parent location.")]},
        )
    if parent is not None and parent.centre_id != centre.id:
        raise InvalidInput(
            N_("The parent location belongs to another centre."),
            fields={"parent_id": [N_("Belongs to another centre.")]},
        )
    code = code.strip().upper()
    if not code or not name.strip():
        raise InvalidInput(N_("Code and name are required."), fields={"code": [N_("Required.")]})
    if session.scalar(
        select(func.count())
        .select_from(StorageLocation)
        .where(StorageLocation.centre_id == centre.id, StorageLocation.code == code)
    ):
        raise Conflict(
            N_("%(value)s is already in use."),
            code="duplicate.code",
            fields={"code": [N_("Already in use.")]},
            value=code,
        )
    if holds is None:
        holds = parent.holds if parent is not None else StorageHolds.GENERAL
    location = StorageLocation(
        centre=centre, parent=parent, kind=kind, code=code, name=name.strip(), holds=holds
    )
    session.add(location)
    session.flush()
    if actor is not None:
        _admin_event(
            session,
            actor,
            "location.create",
            "storage_location",
            location.id,
            centre_id=centre.id,
            parent_id=parent_id,
            kind=kind,
            code=code,
            name=location.name,
            holds=holds,
        )
    return location


def update_location(
    session: Session,
    actor: Actor,
    location_id: int,
    *,
    name: str | None = None,
    is_active: bool | None = None,
) -> StorageLocation:
    require(actor, Action.MANAGE_REFERENCE_DATA)
    location = get_or_404(session, StorageLocation, location_id)
    before = {"name": location.name, "is_active": location.is_active}
    if name is not None and name.strip():
        location.name = name.strip()
    if is_active is not None:
        location.is_active = is_active
    after = {"name": location.name, "is_active": location.is_active}
    if after != before:
        _admin_event(
            session, actor, "location.update", "storage_location", location.id, before=before, after=after
        )
    return location


def all_locations(session: Session) -> list[StorageLocation]:
    """Every location with its centre and parents loaded, ordered for a tree display."""
    rows = list(
        session.scalars(select(StorageLocation).order_by(StorageLocation.centre_id, StorageLocation.code))
    )
    return sorted(rows, key=lambda loc: (loc.centre_id, [natural_key(a.code) for a in loc.ancestry]))
