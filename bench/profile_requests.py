"""Where a request's time goes, in process (issue 15): the profile behind ``bench/http_ratios.py``.

Not part of the test suite. Usage (from the repository root):

    .venv/bin/python bench/profile_requests.py                       # SQLite, every operation
    .venv/bin/python bench/profile_requests.py --engine postgresql --only item,check-in --top 25

It prepares the same data as ``http_ratios.py`` (same ``prepare``), builds the app with production
settings, logs in through the API and the login form, and sends each operation ``--requests`` times
through Flask's test client under ``cProfile``. For each operation it prints the milliseconds per
request and the share of the time spent in each layer — authentication, the ORM and the driver,
marshmallow, Jinja, the audit log, the rest of the app, Flask/Werkzeug — and, with ``--top``, the
functions with the most cumulative time. What is left below the targets is explained by these shares.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from http_ratios import PASSWORD, Operation, operations, prepare, production_env  # noqa: E402

# A function's own time is charged to the first layer whose marker its file name contains.
LAYERS = [
    ("authentication", ("custody/auth", "custody/security", "flask_login", "custody/services/auth")),
    ("audit log", ("custody/audit/", "custody/services/events", "custody/services/ledger")),
    ("jinja", ("jinja2", "markupsafe", "custody/templates", ".html")),
    ("marshmallow", ("marshmallow", "apispec", "flask_smorest", "custody/api/schemas")),
    ("driver", ("sqlite3", "psycopg", "{built-in method _sqlite3", "{method 'execute' of 'sqlite3")),
    ("sqlalchemy", ("sqlalchemy",)),
    ("app", ("custody/",)),
    ("flask/werkzeug", ("flask", "werkzeug", "itsdangerous", "babel", "flask_babel", "flask_wtf", "wtforms")),
]


def layer_of(filename: str) -> str:
    for name, markers in LAYERS:
        if any(marker in filename for marker in markers):
            return name
    return "python/other"


def shares(stats: pstats.Stats) -> dict[str, float]:
    by_layer: dict[str, float] = defaultdict(float)
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_layer[layer_of(filename if filename != "~" else function)] += own
    total = sum(by_layer.values()) or 1.0
    return {name: seconds / total for name, seconds in sorted(by_layer.items(), key=lambda kv: -kv[1])}


def login_headers(client: Any, username: str, *, page: bool) -> dict[str, str]:
    if not page:
        response = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
        assert response.status_code == 201, response.get_data(as_text=True)[:300]
        return {"Authorization": f"Bearer {response.get_json()['token']}"}
    body = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return {}


def show_sql(op: Operation, app: Any, cookie_clients: dict[str, Any]) -> None:
    """Send the operation's first request once and print each statement it issues (shortened)."""
    from sqlalchemy import event

    from custody.extensions import db

    statements: list[str] = []

    def collect(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", collect)
    try:
        request = op.requests[-1] if op.pooled else op.requests[0]
        headers = dict(request.headers)
        client = cookie_clients.get(headers.pop("X-Client", ""), app.test_client())
        client.open(request.path, method=request.method, headers=headers, json=request.body)
    finally:
        event.remove(engine, "before_cursor_execute", collect)
    print(f"-- {op.name}: {len(statements)} statements")
    for statement in statements:
        print(f"   {statement[:300]}")


def run(op: Operation, app: Any, cookie_clients: dict[str, Any], n: int, top: int) -> None:
    requests = op.requests if op.pooled else [op.requests[i % len(op.requests)] for i in range(n)]
    requests = requests[: n - 1] if op.pooled else requests[:n]  # (a pooled op's last one went to --sql)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    bad = 0
    for request in requests:
        headers = dict(request.headers)
        client = cookie_clients.get(headers.pop("X-Client", ""), app.test_client())
        profiler.enable()
        response = client.open(request.path, method=request.method, headers=headers, json=request.body)
        profiler.disable()
        bad += response.status_code >= 400
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    per = 1000 * elapsed / max(len(requests), 1)
    layers = ", ".join(f"{name} {share:.0%}" for name, share in shares(stats).items() if share >= 0.02)
    print(f"{op.name:26} {per:7.2f} ms/request  ({len(requests)} requests, {bad} errors)  {layers}")
    if top:
        stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--top", type=int, default=0, help="also print the N functions with most cumulative time"
    )
    parser.add_argument(
        "--sql", action="store_true", help="also print the SQL of each operation's first request"
    )
    parser.add_argument("--only", type=lambda s: {x.strip() for x in s.split(",")}, default=None)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="custody-profile-"))
    if args.engine == "sqlite":
        url = f"sqlite:///{work}/app.db"
    else:
        from http_ratios import _pg_database

        url = _pg_database(args.pg_url, "custody_bench_profile")
    key = base64.b64encode(os.urandom(32)).decode()
    prepared = prepare(url, work, key, awaiting=args.requests, transfers=min(args.requests, 40))
    os.environ.update(production_env(url, work, key))
    from custody import create_app

    app = create_app()
    app.config["SESSION_COOKIE_SECURE"] = False  # the test client speaks plain HTTP
    api = {
        name: login_headers(app.test_client(), name, page=False)
        for name in ("police_officer", "police_keeper", "prosecutor")
    }
    cookie_clients = {}
    auth: dict[str, dict[str, str]] = dict(api)
    for page, username in (
        ("officer_page", "police_officer"),
        ("keeper_page", "police_keeper"),
        ("prosecutor_page", "prosecutor"),
    ):
        client = app.test_client()
        login_headers(client, username, page=True)
        cookie_clients[page] = client
        auth[page] = {"X-Client": page}
    for op in operations(prepared, auth):
        if args.only and op.name.split(" ")[0] not in args.only and op.name not in args.only:
            continue
        if args.sql:
            show_sql(op, app, cookie_clients)
        run(op, app, cookie_clients, args.requests, args.top)


if __name__ == "__main__":
    main()
