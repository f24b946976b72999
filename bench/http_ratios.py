"""Per-request cost of the app against a floor, over HTTP, on SQLite and PostgreSQL (issue 15).

Not part of the test suite. Usage (from the repository root):

    .venv/bin/python bench/http_ratios.py                        # SQLite, and PostgreSQL if reachable
    .venv/bin/python bench/http_ratios.py --engines sqlite --seconds 1 --rounds 1
    .venv/bin/python bench/http_ratios.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/http_ratios.py --only item,check-in --markdown bench-result.md

For each engine it builds a fresh database (migrated, demo accounts, a case of stored items, items
awaiting check-in, ten-line transfers awaiting sign-for, an open stocktake), then serves the app
(``wsgi:app``, production settings) and the floor app (``bench/floor_app.py``: bare JSON, one get by
primary key, one insert and commit — the cheapest Flask + SQLAlchemy version of a request) with the
same gunicorn settings (2 workers × 4 threads), and drives both with the same load generator, each
operation of the app alternating with its floor (``--rounds``), so that the ratio holds however busy
the machine is:

* ``wrk`` (Debian's package) when it is on PATH, for a fixed time — reads, ``/healthz``, registering
  an item and stocktake scans (any number of times);
* a bounded Python client (keep-alive sockets, one thread per connection) for the writes that use up
  what was prepared (check-in, accepting a ten-line transfer): exactly as many requests as there are
  prepared records, timed; the floor's inserts are measured with the same client for those rows.

Targets (the issue): reads ≥ 0.5 × the get-by-PK floor; custody writes (each with its audit event, chain
and log entry) ≥ 0.35 × the insert floor; ``/healthz`` ≥ 0.8 × bare JSON. Absolute rates depend on the
machine and its load; the ratios are what to compare between runs.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-password-2026"
READ_TARGET, WRITE_TARGET, HEALTH_TARGET = 0.5, 0.35, 0.8
GUNICORN = ["--workers", "2", "--threads", "4", "--timeout", "120", "--log-level", "warning"]


# -- load generators -------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # a JSON value

    def encoded(self, host: str) -> bytes:
        body = b"" if self.body is None else json.dumps(self.body).encode()
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Rate:
    ok: int
    errors: int
    seconds: float
    tool: str
    sample_error: str = ""

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def _read_response(sock_file) -> tuple[int, bytes]:
    status_line = sock_file.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = sock_file.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int(sock_file.readline().strip(), 16)
            if size == 0:
                sock_file.readline()
                break
            body += sock_file.read(size)
            sock_file.readline()
        return status, body
    return status, sock_file.read(length)


def python_client(
    port: int, requests: list[Request], *, connections: int, seconds: float | None = None
) -> Rate:
    """Send ``requests`` (each once when ``seconds`` is None, else round and round for that long)
    over ``connections`` keep-alive connections, one thread each."""
    host = f"127.0.0.1:{port}"
    payloads = [r.encoded(host) for r in requests]
    counter = itertools.count()
    results = {"ok": 0, "errors": 0, "sample": ""}
    lock = threading.Lock()
    deadline = [0.0]

    def work() -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")
        ok = errors = 0
        sample = ""
        try:
            while True:
                n = next(counter)
                if seconds is None:
                    if n >= len(payloads):
                        break
                elif time.perf_counter() >= deadline[0]:
                    break
                for attempt in range(2):
                    try:
                        sock.sendall(payloads[n % len(payloads)])
                        status, body = _read_response(reader)
                        break
                    except (ConnectionError, OSError):
                        if attempt:
                            raise
                        sock.close()
                        sock = socket.create_connection(("127.0.0.1", port))
                        reader = sock.makefile("rb")
                if 200 <= status < 400:
                    ok += 1
                else:
                    errors += 1
                    sample = sample or f"{status} {body[:200]!r}"
        finally:
            sock.close()
            with lock:
                results["ok"] += ok
                results["errors"] += errors
                results["sample"] = results["sample"] or sample

    threads = [threading.Thread(target=work) for _ in range(connections)]
    started = time.perf_counter()
    deadline[0] = started + (seconds or 0)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Rate(results["ok"], results["errors"], time.perf_counter() - started, "python", results["sample"])


WRK_SCRIPT = """
local bodies = {%(bodies)s}
local n = 0
wrk.method = "%(method)s"
%(headers)s
request = function()
  n = n + 1
  local body = nil
  if #bodies > 0 then body = bodies[(n %% #bodies) + 1] end
  return wrk.format(nil, nil, nil, body)
end
"""


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_client(port: int, requests: list[Request], *, connections: int, seconds: float) -> Rate:
    """``wrk`` on one path (method and headers of the first request; bodies round-robin)."""
    first = requests[0]
    headers = dict(first.headers)
    if first.body is not None:
        headers["Content-Type"] = "application/json"
    script = WRK_SCRIPT % {
        "bodies": ", ".join(_lua(json.dumps(r.body)) for r in requests if r.body is not None),
        "method": first.method,
        "headers": "\n".join(f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                handle.name,
                f"http://127.0.0.1:{port}{first.path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    total = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))
    match = re.search(r"(\d+) requests in ([\d.]+)(m?s|m)\b", out)
    value, unit = float(match.group(2)), match.group(3)
    elapsed = value / 1000 if unit == "ms" else value * 60 if unit == "m" else value
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return Rate(total - errors, errors, elapsed, "wrk", socket_errors.group(1) if socket_errors else "")


# -- servers ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving ``target`` (2 workers × 4 threads) on a free port."""

    def __init__(self, target: str, env: dict[str, str], ready_path: str, log: Path) -> None:
        self.port = free_port()
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                *GUNICORN,
                "--bind",
                f"127.0.0.1:{self.port}",
                target,
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{target} did not start; see {log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", ready_path)
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{target} did not answer {ready_path}; see {log}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def http_call(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = dict(headers or {})
    payload = None
    if isinstance(body, dict) and sent.get("Content-Type") == "application/x-www-form-urlencoded":
        from urllib.parse import urlencode

        payload = urlencode(body)
    elif body is not None:
        payload = json.dumps(body)
        sent["Content-Type"] = "application/json"
    connection.request(method, path, payload, sent)
    response = connection.getresponse()
    return response, response.read()


def bearer_token(port: int, username: str) -> dict[str, str]:
    response, body = http_call(port, "POST", "/api/v1/tokens", {"username": username, "password": PASSWORD})
    assert response.status == 201, (username, response.status, body[:300])
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def session_cookie(port: int, username: str) -> dict[str, str]:
    """Log in through the form (as a browser does) and keep the session cookie."""
    response, body = http_call(port, "GET", "/login")
    cookie = _cookie(response)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
    response, body = http_call(
        port,
        "POST",
        "/login",
        {"username": username, "password": PASSWORD, "csrf_token": token},
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert response.status == 302, (username, response.status, body[:300])
    return {"Cookie": _cookie(response)}


def _cookie(response) -> str:
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("custody_session="):
            return value.split(";", 1)[0]
    raise AssertionError("no session cookie")


# -- the data --------------------------------------------------------------------------------------


@dataclass
class Prepared:
    case_id: int = 0
    item_id: int = 0
    labels: list[str] = field(default_factory=list)
    awaiting: list[int] = field(default_factory=list)
    transfers: list[tuple[int, list[int], str]] = field(default_factory=list)
    stocktake_id: int = 0
    bin_id: int = 0


def prepare(url: str, folder: Path, signing_key: str, *, awaiting: int, transfers: int) -> Prepared:
    """Migrate, seed the demo accounts (with ``PASSWORD``) and build what the operations use."""
    from sqlalchemy import select

    from custody.domain import clock
    from custody.domain.enums import ItemCategory, TransferKind
    from custody.extensions import db
    from custody.models.agency import Agency, StorageLocation
    from custody.models.item import Item
    from custody.services import cases, items, stocktake, storage
    from custody.services import transfers as transfer_service
    from tests.conftest import build_app, get_user, migrate_and_seed

    migrate_and_seed(url, folder)  # the demo accounts have TEST_PASSWORD: reset below
    app = build_app(url, folder, CUSTODY_LEDGER_SIGNING_KEY=signing_key)
    prepared = Prepared()
    with app.app_context():
        from custody.models.user import User
        from custody.security import hash_password
        from custody.services.context import actor_for

        hashed = hash_password(PASSWORD)
        for user in db.session.scalars(select(User)):
            user.password_hash = hashed
        db.session.commit()
        officer, keeper = actor_for(get_user("police_officer")), actor_for(get_user("police_keeper"))
        procuratorate = db.session.scalar(select(Agency.id).where(Agency.code == "PDJC"))
        bins = [
            db.session.scalar(select(StorageLocation.id).where(StorageLocation.code == c))
            for c in ("R1-A-01", "R1-A-02", "R1-B-01")
        ]
        room = db.session.scalar(select(StorageLocation.id).where(StorageLocation.code == "R1"))
        prepared.bin_id = bins[0]
        numbers = itertools.count(1)

        def new_case(title: str) -> int:
            case = cases.open_case(
                db.session,
                officer,
                police_case_no=f"沪公(浦)立字[2026]{next(numbers):05d}号",
                title=title,
                filed_on=clock.today() - timedelta(days=3),
            )
            return case.id

        def register(case_id: int, n: int, *, store: bool) -> int:
            item = items.register_item(
                db.session,
                officer,
                case_id,
                items.ItemInput(
                    name=f"涉案物品{n}",
                    category=ItemCategory.GOODS,
                    quantity=1,
                    unit="件",
                    measure_doc_no="沪公(浦)扣字[2026]88号",
                    seized_at=clock.now() - timedelta(hours=2),
                ),
            )
            if store:
                storage.check_in(db.session, keeper, item.id, location_id=bins[n % len(bins)])
            return item.id

        # Reads: a case of 60 stored goods (a page of 50 matches the list's filters).
        prepared.case_id = new_case("性能测试案")
        stored = [register(prepared.case_id, n, store=True) for n in range(60)]
        db.session.commit()
        prepared.item_id = stored[0]
        prepared.labels = list(db.session.scalars(select(Item.label_code).where(Item.id.in_(stored))))
        # Check-in: items awaiting it.
        waiting_case = new_case("待入库测试案")
        for n in range(awaiting):
            prepared.awaiting.append(register(waiting_case, n, store=False))
            if n % 50 == 49:
                db.session.commit()
        db.session.commit()
        # Accepting a ten-line transfer: one case per transfer (a case has one stage transfer at a time).
        for t in range(transfers):
            case_id = new_case(f"移送测试案{t}")
            ids = [register(case_id, n, store=True) for n in range(10)]
            transfer = transfer_service.propose_transfer(
                db.session,
                officer,
                case_id=case_id,
                to_agency_id=procuratorate,
                kind=TransferKind.PROSECUTION,
                item_ids=ids,
            )
            prepared.transfers.append((transfer.id, ids, f"浦检刑诉[2026]{t + 1:05d}号"))
            db.session.commit()
        # Stocktake scans: the keeper counts room R1 (where the stored items are).
        prepared.stocktake_id = stocktake.start_stocktake(db.session, keeper, location_id=room).id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return prepared


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class Operation:
    name: str
    kind: str  # read, write, health
    requests: list[Request]
    pooled: bool = False  # uses up prepared records: each request once, bounded client


def operations(prepared: Prepared, auth: dict[str, dict[str, str]]) -> list[Operation]:
    police, keeper, prosecutor = auth["police_officer"], auth["police_keeper"], auth["prosecutor"]
    item = prepared.item_id
    register_body = {"name": "性能测试物品", "category": "goods", "quantity": "1", "unit": "件"}
    return [
        Operation("item", "read", [Request("GET", f"/api/v1/items/{item}", police)]),
        Operation("item events", "read", [Request("GET", f"/api/v1/items/{item}/events", police)]),
        Operation(
            "item list (50, filtered)",
            "read",
            [
                Request(
                    "GET",
                    "/api/v1/items?page_size=50&status=in_storage&category=goods&custodian=police",
                    police,
                )
            ],
        ),
        Operation(
            "case page (HTML)", "read", [Request("GET", f"/cases/{prepared.case_id}", auth["officer_page"])]
        ),
        Operation("keeper inbox (HTML)", "read", [Request("GET", "/", auth["keeper_page"])]),
        Operation("prosecutor inbox (HTML)", "read", [Request("GET", "/", auth["prosecutor_page"])]),
        Operation(
            "register item",
            "write",
            [Request("POST", f"/api/v1/cases/{prepared.case_id}/items", police, register_body)],
        ),
        Operation(
            "check-in",
            "write",
            [
                Request("POST", f"/api/v1/items/{i}/check-in", keeper, {"location_id": prepared.bin_id})
                for i in prepared.awaiting
            ],
            pooled=True,
        ),
        Operation(
            "accept 10-line transfer",
            "write",
            [
                Request("POST", f"/api/v1/transfers/{t}/accept", prosecutor, {"item_ids": ids, "case_no": no})
                for t, ids, no in prepared.transfers
            ],
            pooled=True,
        ),
        Operation(
            "stocktake scan",
            "write",
            [
                Request(
                    "POST", f"/api/v1/stocktakes/{prepared.stocktake_id}/scans", keeper, {"label_code": code}
                )
                for code in prepared.labels
            ],
        ),
        Operation("/healthz vs bare", "health", [Request("GET", "/healthz")]),
    ]


FLOOR = {
    "read": [Request("GET", "/floor/rows/500")],
    "write": [Request("POST", "/floor/rows", {}, {"payload": "a row"})],
    "health": [Request("GET", "/floor/bare")],
}


@dataclass
class Result:
    engine: str
    name: str
    kind: str
    app: Rate
    floor: Rate

    @property
    def ratio(self) -> float:
        return self.app.per_second / self.floor.per_second if self.floor.per_second else 0.0

    @property
    def target(self) -> float:
        return {"read": READ_TARGET, "write": WRITE_TARGET, "health": HEALTH_TARGET}[self.kind]


def _combined(rates: list[Rate]) -> Rate:
    return Rate(
        sum(r.ok for r in rates),
        sum(r.errors for r in rates),
        sum(r.seconds for r in rates),
        rates[0].tool,
        next((r.sample_error for r in rates if r.sample_error), ""),
    )


def measure(
    op: Operation,
    app_port: int,
    floor_port: int,
    *,
    seconds: float,
    rounds: int,
    connections: int,
    engine: str,
) -> Result:
    """The app's rate and the floor's, alternating ``rounds`` times (so that a change in the
    machine's load hits both sides alike); pooled operations once, each prepared record once."""
    if op.pooled:
        app = python_client(app_port, op.requests, connections=connections)
        floor = python_client(floor_port, FLOOR[op.kind], connections=connections, seconds=app.seconds)
        return Result(engine, op.name, op.kind, app, floor)
    if shutil.which("wrk"):
        run = lambda port, reqs, s: wrk_client(port, reqs, connections=connections, seconds=s)  # noqa: E731
    else:
        run = lambda port, reqs, s: python_client(port, reqs, connections=connections, seconds=s)  # noqa: E731
    run(app_port, op.requests, 1)  # warm up
    run(floor_port, FLOOR[op.kind], 1)
    apps, floors = [], []
    for _ in range(rounds):
        apps.append(run(app_port, op.requests, seconds))
        floors.append(run(floor_port, FLOOR[op.kind], seconds))
    return Result(engine, op.name, op.kind, _combined(apps), _combined(floors))


def run_engine(engine: str, url: str, args: argparse.Namespace, work: Path) -> list[Result]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bench.floor_app import create_floor_tables

    key = base64.b64encode(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    ).decode()
    folder = work / engine
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    prepared = prepare(url, folder, key, awaiting=args.awaiting, transfers=args.transfers)
    floor_url = (
        f"sqlite:///{folder}/floor.db"
        if engine == "sqlite"
        else _pg_database(args.pg_url, "custody_bench_floor")
    )
    create_floor_tables(floor_url)
    print(f"[{engine}] data prepared in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    app = Server("wsgi:app", production_env(url, folder, key), "/healthz", folder / "app.log")
    floor = Server(
        "bench.floor_app:app", {"FLOOR_DATABASE_URL": floor_url}, "/floor/bare", folder / "floor.log"
    )
    results = []
    try:
        auth = {
            name: bearer_token(app.port, name) for name in ("police_officer", "police_keeper", "prosecutor")
        }
        auth["officer_page"] = session_cookie(app.port, "police_officer")
        auth["keeper_page"] = session_cookie(app.port, "police_keeper")
        auth["prosecutor_page"] = session_cookie(app.port, "prosecutor")
        for op in operations(prepared, auth):
            if args.only and op.name.split(" ")[0] not in args.only and op.name not in args.only:
                continue
            result = measure(
                op,
                app.port,
                floor.port,
                seconds=args.seconds,
                rounds=args.rounds,
                connections=args.connections,
                engine=engine,
            )
            results.append(result)
            print(_line(result), file=sys.stderr)
    finally:
        app.stop()
        floor.stop()
    return results


def production_env(url: str, folder: Path, signing_key: str) -> dict[str, str]:
    """The environment the app is served with in a bench: production settings on ``url``."""
    return {
        "CUSTODY_CONFIG": "production",
        "SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "DATABASE_URL": url,
        "CUSTODY_LEDGER_SIGNING_KEY": signing_key,
        "CUSTODY_INSTANCE_PATH": str(folder / "instance"),
        "CUSTODY_UPLOAD_DIR": str(folder / "uploads"),
    }


def _pg_database(base_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from config import normalise_database_url

    base = make_url(normalise_database_url(base_url))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _line(r: Result) -> str:
    flag = "ok" if r.ratio >= r.target else "BELOW"
    errors = (
        f"  errors app {r.app.errors} floor {r.floor.errors} {r.app.sample_error[:120]}"
        if (r.app.errors or r.floor.errors)
        else ""
    )
    return (
        f"{r.engine:10} {r.name:26} {r.app.per_second:8.0f} {r.floor.per_second:8.0f} "
        f"{r.ratio:6.2f}  (≥ {r.target:.2f} {flag}, {r.app.tool}){errors}"
    )


def markdown(results: list[Result]) -> str:
    engines = list(dict.fromkeys(r.engine for r in results))
    names = list(dict.fromkeys(r.name for r in results))
    by = {(r.engine, r.name): r for r in results}
    head = "| operation | target | " + " | ".join(f"{e}: app / floor req/s | ratio" for e in engines) + " |"
    rule = "|---|---|" + "---|---|" * len(engines)
    rows = [head, rule]
    for name in names:
        cells = []
        target = next(r.target for r in results if r.name == name)
        for engine in engines:
            r = by.get((engine, name))
            cells += (
                [
                    f"{r.app.per_second:,.0f} / {r.floor.per_second:,.0f}",
                    f"{r.ratio:.2f}{'' if r.ratio >= r.target else ' ✗'}",
                ]
                if r
                else ["—", "—"]
            )
        rows.append(f"| {name} | ≥ {target} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _postgres_reachable(url: str) -> bool:
    try:
        from sqlalchemy import create_engine, text

        from config import normalise_database_url

        engine = create_engine(normalise_database_url(url))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server (any database: the bench creates its own)",
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per round and side")
    parser.add_argument("--rounds", type=int, default=2, help="app, floor, app, floor…")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--awaiting", type=int, default=300, help="items prepared for check-in")
    parser.add_argument("--transfers", type=int, default=40, help="ten-line transfers prepared")
    parser.add_argument("--only", type=lambda s: {x.strip() for x in s.split(",")}, default=None)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="http-ratios-"))
    results: list[Result] = []
    try:
        for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
            if engine == "sqlite":
                url = f"sqlite:///{work}/sqlite/app.db"
            elif engine == "postgresql":
                if not _postgres_reachable(args.pg_url):
                    print(f"[postgresql] not reachable at {args.pg_url}: skipped", file=sys.stderr)
                    continue
                url = _pg_database(args.pg_url, "custody_bench_app")
            else:
                raise SystemExit(f"unknown engine {engine}")
            results += run_engine(engine, url, args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = markdown(results)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")


if __name__ == "__main__":
    main()
