"""Bad input and contention never turn into a 500."""

from __future__ import annotations

import threading

import pytest

BIG = 10**30


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/api/v1/items/{BIG}", None),
        ("get", f"/api/v1/cases/{BIG}", None),
        ("post", f"/api/v1/items/{BIG}/check-in", {"location_id": 1}),
        (
            "post",
            "/api/v1/transfers",
            {"case_id": BIG, "to_agency_id": BIG, "kind": "prosecution", "item_ids": [BIG]},
        ),
        (
            "post",
            "/api/v1/cases/1/items",
            {"name": "x", "category": "goods", "quantity": 1, "unit": "件", "estimated_value_fen": BIG},
        ),
        ("get", f"/api/v1/items?case_id={BIG}", None),
    ],
)
def test_numbers_too_large_for_the_database_are_4xx(client, auth_headers, method, path, body):
    kwargs = {"headers": auth_headers("police_officer")}
    if body is not None:
        kwargs["json"] = body
    response = getattr(client, method)(path, **kwargs)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"


def test_concurrent_writers_all_succeed(app, client, auth_headers):
    """Many requests writing at once (two gunicorn workers × threads): each waits its turn; none fails.

    On SQLite a request that reads and then writes would fail at once with "database is locked" if
    another writer committed in between; requests that write therefore begin IMMEDIATE.
    """
    headers = auth_headers("police_officer")
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        local = app.test_client()
        for k in range(5):
            response = local.post(
                "/api/v1/cases",
                json={"police_case_no": f"并发-{n}-{k}", "title": "并发测试"},
                headers=headers,
            )
            with lock:
                statuses.append(response.status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [201] * 30


def test_downloads_recorded_as_exports_wait_for_writers_too(app, auth_headers):
    """A download that records who took it writes although it answers GET: on SQLite it must take
    the write lock up front like a POST (``writes_on_get``), or it fails when a writer commits
    between its first read and its export record."""
    from ..helpers import events

    officer, auditor = auth_headers("police_officer"), auth_headers("auditor")
    statuses: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        local = app.test_client()
        for k in range(5):
            response = local.post(
                "/api/v1/cases",
                json={"police_case_no": f"导出-{n}-{k}", "title": "并发导出"},
                headers=officer,
            )
            with lock:
                statuses.append(response.status_code)

    def exporter() -> None:
        local = app.test_client()
        for _ in range(5):
            response = local.get("/api/v1/ledger?format=xlsx", headers=auditor)
            assert response.data.startswith(b"PK")  # read to the end, as a browser does
            with lock:
                statuses.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=exporter) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] * 15 + [201] * 15
    assert len(events("export", object_type="ledger")) == 15


def test_lone_surrogates_and_control_characters_are_removed_not_crashed_on(client, auth_headers):
    response = client.post("/api/v1/tokens", json={"username": "\ud800police_officer", "password": "x"})
    assert response.status_code == 401  # the surrogate is dropped; the login just fails
    headers = auth_headers("police_officer")
    created = client.post(
        "/api/v1/cases",
        json={"police_case_no": "A\x0b-1\ud800", "title": "粘贴\x00的\u202e标题"},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["police_case_no"] == "A-1"
    assert created.json["title"] == "粘贴的标题"


def test_spreadsheet_cells_never_start_a_formula():
    from custody.text import spreadsheet_text

    assert spreadsheet_text('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert spreadsheet_text("+86 138") == "'+86 138"
    assert spreadsheet_text("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_text("手机\x0b") == "手机"
    assert spreadsheet_text(12) == 12
