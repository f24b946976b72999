"""Admin pages: real forms with CSRF, errors shown next to fields in Chinese, input kept."""

from __future__ import annotations

from sqlalchemy import select

from custody.extensions import db
from custody.models.user import User

from ..conftest import csrf_token
from ..helpers import row_counts


def test_non_admin_gets_a_readable_403_page(login_as):
    client = login_as("police_officer")
    response = client.get("/admin/users")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert "无权操作" in page


def test_admin_creates_a_user_through_the_form(login_as):
    client = login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "police_officer" in page
    assert "王建国" in page
    court = db.session.scalar(select(User).where(User.username == "judge")).agency_id
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_token(client, "/admin/users"),
            "username": "clerk_li",
            "display_name": "李书记员",
            "agency_id": court,
            "roles": ["officer"],
            "password": "Clerk-pass-42",
            "locale": "zh_CN",
        },
    )
    assert response.status_code == 302
    assert "已创建用户 clerk_li" in client.get("/admin/users").get_data(as_text=True)


def test_form_errors_are_in_chinese_and_keep_what_was_typed(login_as):
    client = login_as("admin")
    before = row_counts(User)
    court = db.session.scalar(select(User).where(User.username == "judge")).agency_id
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_token(client, "/admin/users"),
            "username": "clerk_wang",
            "display_name": "王书记员",
            "agency_id": court,
            "roles": ["officer"],
            "password": "12345678",
            "locale": "zh_CN",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "该密码过于常见" in page
    assert 'value="clerk_wang"' in page
    assert 'value="王书记员"' in page
    assert row_counts(User) == before


def test_admin_adds_a_location_and_sees_it_in_the_tree(login_as):
    client = login_as("admin")
    page = client.get("/admin/locations").get_data(as_text=True)
    assert "一号库房（一般物品）" in page
    assert "01格" in page
    from custody.models.agency import StorageLocation

    shelf = db.session.scalar(select(StorageLocation).where(StorageLocation.code == "R1-B"))
    response = client.post(
        "/admin/locations",
        data={
            "csrf_token": csrf_token(client, "/admin/locations"),
            "centre_id": shelf.centre_id,
            "parent_id": shelf.id,
            "kind": "bin",
            "code": "R1-B-07",
            "name": "07格",
        },
    )
    assert response.status_code == 302
    assert "R1-B-07" in client.get("/admin/locations").get_data(as_text=True)


def test_the_user_page_refuses_changing_ones_own_roles(login_as):
    """The page calls the same service rule as the API; the refusal is shown in Chinese at the roles."""
    client = login_as("admin")
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "您自己的角色由另一位管理员修改" in page
    response = client.post(
        f"/admin/users/{admin.id}",
        data={
            "edit-csrf_token": csrf_token(client, "/admin/users"),
            "edit-display_name": admin.display_name,
            "edit-agency_id": admin.agency_id,
            "edit-roles": ["auditor"],
            "edit-is_active": "y",
            "edit-locale": "zh_CN",
            "edit-submit": "y",
        },
    )
    assert response.status_code == 409
    assert "您的角色须由另一位管理员修改" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "admin")).roles == {"admin"}
