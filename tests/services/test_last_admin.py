"""The last active administrator, and one's own roles (issue 14): one service rule for API and pages.

``domain.policy.check_account_change`` decides; ``services.accounts.update_user`` counts the other
active administrators under a row lock, so two administrators demoting each other at once cannot
leave the system without one (proven on PostgreSQL with two connections).
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from custody.domain.enums import Role
from custody.domain.errors import Conflict
from custody.extensions import db
from custody.models.user import User
from custody.services.accounts import create_user, update_user
from tests.conftest import get_user
from tests.factories import act, agency

from ..helpers import race


def second_admin(username: str = "admin2"):
    user = create_user(
        db.session,
        None,
        username=username,
        display_name="第二管理员",
        agency_id=agency("PDGA").id,
        roles=[Role.ADMIN],
        password="Second-admin-2026",
    )
    db.session.commit()
    return user


def roles_of(username: str) -> frozenset[Role]:
    db.session.expire_all()
    return get_user(username).roles


def test_nobody_changes_their_own_roles(app):
    second_admin()
    admin = act("admin")
    with pytest.raises(Conflict) as refused:
        update_user(db.session, admin, admin.user_id, roles=[Role.AUDITOR])
    assert refused.value.code == "user.change_own_roles"
    assert "roles" in refused.value.fields
    db.session.rollback()
    assert roles_of("admin") == {Role.ADMIN}
    # Saving one's own account with the roles unchanged (a new display name) is fine.
    update_user(db.session, admin, admin.user_id, roles=[Role.ADMIN], display_name="管理员甲")
    db.session.commit()
    assert get_user("admin").display_name == "管理员甲"


def test_nobody_disables_their_own_account(app):
    admin = act("admin")
    with pytest.raises(Conflict) as refused:
        update_user(db.session, admin, admin.user_id, is_active=False)
    assert refused.value.code == "user.disable_self"


def test_the_last_active_admin_keeps_the_role(app):
    """The acting administrator was disabled meanwhile (an old session): the one it tries to
    demote is then the last active administrator, and keeps the role and the account."""
    second = second_admin()
    acting = act("admin")
    db.session.execute(update(User).where(User.id == acting.user_id).values(is_active=False))
    db.session.commit()
    for change in ({"roles": [Role.AUDITOR]}, {"is_active": False}):
        with pytest.raises(Conflict) as refused:
            update_user(db.session, acting, second.id, **change)
        assert refused.value.code == "user.last_admin"
        db.session.rollback()
    db.session.expire_all()
    assert roles_of("admin2") == {Role.ADMIN}
    assert get_user("admin2").is_active


def test_another_admin_may_be_demoted_while_one_remains(app):
    second = second_admin()
    update_user(db.session, act("admin"), second.id, roles=[Role.AUDITOR])
    db.session.commit()
    assert roles_of("admin2") == {Role.AUDITOR}
    third = second_admin("admin3")
    update_user(db.session, act("admin"), third.id, is_active=False)
    db.session.commit()
    assert not get_user("admin3").is_active


def test_two_admins_demoting_each_other_at_once_leave_one(postgres_app):
    second = second_admin()
    first = act("admin")
    other = act("admin2")
    outcomes = race(
        postgres_app,
        lambda: update_user(db.session, first, second.id, roles=[Role.AUDITOR]),
        lambda: update_user(db.session, other, first.user_id, is_active=False),
    )
    assert outcomes == ["ok", "user.last_admin"]
    db.session.expire_all()
    active_admins = [
        u.username for u in (get_user("admin"), get_user("admin2")) if u.is_active and Role.ADMIN in u.roles
    ]
    assert len(active_admins) == 1
