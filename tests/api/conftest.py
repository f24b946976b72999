"""Fixtures shared by the API tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def api(client, auth_headers):
    """Small helpers over the test client, authenticated per demo user: JSON bodies by default,
    multipart uploads when ``data=`` is given."""

    class Api:
        def post(self, user, path, body=None, *, headers=None, **kwargs):
            sent = {**auth_headers(user), **(headers or {})}
            if "data" in kwargs:
                return client.post(
                    f"/api/v1{path}", headers=sent, content_type="multipart/form-data", **kwargs
                )
            return client.post(f"/api/v1{path}", json=body or {}, headers=sent)

        def get(self, user, path, **kwargs):
            return client.get(f"/api/v1{path}", headers=auth_headers(user), **kwargs)

    return Api()
