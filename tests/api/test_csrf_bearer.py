"""CSRF is skipped only when a valid bearer token authenticated the request: a forged request that
rides on a browser's session cookie gains nothing by adding ``Authorization: Bearer <junk>``."""

from __future__ import annotations

from custody.models.agency import Agency

from ..conftest import bearer, csrf_token, login
from ..helpers import row_counts

AGENCY = {"code": "JAGA", "name": "静安公安分局", "kind": "police"}


def test_a_junk_bearer_header_does_not_lift_csrf_from_a_cookie_session(client):
    login(client, "admin")
    before = row_counts(Agency)
    forged = client.post("/api/v1/agencies", json=AGENCY, headers={"Authorization": "Bearer junk"})
    assert forged.status_code == 401
    assert forged.json["code"] == "auth.token_unknown"
    assert row_counts(Agency) == before
    # The cookie alone still needs the CSRF header, with or without an empty bearer.
    assert client.post("/api/v1/agencies", json=AGENCY, headers={"Authorization": "Bearer "}).status_code in (
        400,
        401,
    )
    assert row_counts(Agency) == before


def test_a_junk_bearer_header_does_not_lift_csrf_from_a_page_form(client):
    login(client, "admin")
    before = row_counts(Agency)
    forged = client.post(
        "/admin/agencies",
        data={"code": "JAGA", "name": "静安公安分局", "kind": "police"},
        headers={"Authorization": "Bearer junk"},
    )
    assert forged.status_code in (302, 400, 401)
    assert row_counts(Agency) == before


def test_a_valid_bearer_token_needs_no_csrf_token(client):
    headers = bearer(client, "admin")
    created = client.post("/api/v1/agencies", json=AGENCY, headers=headers)
    assert created.status_code == 201


def test_a_cookie_session_with_the_csrf_header_still_works(client):
    login(client, "admin")
    token = csrf_token(client, "/")
    created = client.post("/api/v1/agencies", json=AGENCY, headers={"X-CSRFToken": token})
    assert created.status_code == 201
