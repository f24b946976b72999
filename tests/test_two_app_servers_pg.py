"""Two app servers, one PostgreSQL (issue 15): the deployment docs/DEPLOY.md describes.

Two gunicorn instances (2 workers × 4 threads each, production settings, the same secret and
signing key) on different ports serve one PostgreSQL database. The same actions are sent to both at
once — accepting a transfer's lines, executing an approved disposal, checking an item in — and for
each record exactly one request wins (200) while the other is refused (409): the row locks hold
across processes and machines, not only between the threads of one server. Afterwards the audit log
has no gap and verifies. PostgreSQL only (skipped on SQLite: one file is never shared by two hosts).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from custody.domain.enums import DispositionKind
from custody.extensions import db
from custody.models.ledger import LogEntry
from custody.services import dispositions

from .audit.ledger_helpers import problem_texts, verify
from .conftest import TEST_PASSWORD, build_app
from .factories import act, judge_case, location, open_case, register, send_to_procuratorate, stored_items

ROOT = Path(__file__).resolve().parent.parent
RACES = 4  # records of each kind raced


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sent = dict(headers or {})
    payload = None
    if body is not None:
        payload = json.dumps(body)
        sent["Content-Type"] = "application/json"
    connection.request(method, path, payload, sent)
    response = connection.getresponse()
    text = response.read()
    try:
        return response.status, json.loads(text or b"{}")
    except ValueError:
        return response.status, {"raw": text[:200]}


class Gunicorn:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.log = log.open("w")
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "--workers",
                "2",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{self.port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "gunicorn stopped; see its log"
            try:
                if _call(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError("gunicorn did not answer /healthz")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def two_servers(postgres, postgres_template, tmp_path) -> Iterator[tuple[object, Gunicorn, Gunicorn]]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = base64.b64encode(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    ).decode()
    name = f"{postgres.prefix}_servers"
    url = postgres.recreate(name, postgres_template)
    app = build_app(url, tmp_path / "instance", CUSTODY_LEDGER_SIGNING_KEY=key)
    env = {
        "CUSTODY_CONFIG": "production",
        "SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "DATABASE_URL": url,
        "CUSTODY_LEDGER_SIGNING_KEY": key,
        "CUSTODY_INSTANCE_PATH": str(tmp_path / "server-instance"),
        "CUSTODY_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    servers = [Gunicorn(env, tmp_path / f"server-{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.wait()
        with app.app_context():
            yield app, servers[0], servers[1]
            db.session.remove()
            db.engine.dispose()
    finally:
        for server in servers:
            server.stop()
        postgres.drop(name)


def _token(port: int, username: str) -> dict[str, str]:
    status, body = _call(port, "POST", "/api/v1/tokens", {"username": username, "password": TEST_PASSWORD})
    assert status == 201, body
    return {"Authorization": f"Bearer {body['token']}"}


def _race(requests: list[tuple[int, str, dict, dict]]) -> list[int]:
    """Send the requests at the same moment, one thread each; their statuses in order."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def send(n: int, port: int, path: str, body: dict, headers: dict) -> None:
        barrier.wait()
        statuses[n] = _call(port, "POST", path, body, headers)[0]

    threads = [threading.Thread(target=send, args=(n, *request)) for n, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_two_servers_race_for_the_same_records_and_exactly_one_wins_each(two_servers):
    app, one, two = two_servers
    # What will be raced for: items awaiting check-in, transfers awaiting sign-for, approved disposals.
    case = open_case("两台服务器测试案")
    awaiting = [register(case, name=f"待入库{n}").id for n in range(RACES)]
    offered = []
    for n in range(RACES):
        sent_case, sent_items = stored_items(2, case=open_case(f"移送案{n}"))
        transfer = send_to_procuratorate(sent_case, [i.id for i in sent_items])
        offered.append((transfer.id, [i.id for i in sent_items], f"浦检刑诉[2026]{900 + n}号"))
    judged_case, judged_items = stored_items(RACES, case=open_case("已判决案"))
    judge_case(judged_case)
    approved = []
    for item in judged_items:
        disposal = dispositions.propose_disposition(
            db.session, act("police_officer"), item_ids=[item.id], kind=DispositionKind.CONFISCATE
        )
        dispositions.decide_disposition(db.session, act("police_approver"), disposal.id, approve=True)
        db.session.commit()
        approved.append(disposal.id)
    bin_id = location("R1-A-01").id

    keeper = {port: _token(port, "police_keeper") for port in (one.port, two.port)}
    prosecutor = {port: _token(port, "prosecutor") for port in (one.port, two.port)}
    outcomes: dict[str, list[list[int]]] = {"check-in": [], "accept": [], "execute": []}
    for item_id in awaiting:
        outcomes["check-in"].append(
            _race(
                [
                    (port, f"/api/v1/items/{item_id}/check-in", {"location_id": bin_id}, keeper[port])
                    for port in (one.port, two.port)
                ]
            )
        )
    for transfer_id, item_ids, case_no in offered:
        outcomes["accept"].append(
            _race(
                [
                    (
                        port,
                        f"/api/v1/transfers/{transfer_id}/accept",
                        {"item_ids": item_ids, "case_no": case_no},
                        prosecutor[port],
                    )
                    for port in (one.port, two.port)
                ]
            )
        )
    for disposal_id in approved:
        outcomes["execute"].append(
            _race(
                [
                    (
                        port,
                        f"/api/v1/dispositions/{disposal_id}/execute",
                        {"receipt_no": f"国库回执{n}"},
                        keeper[port],
                    )
                    for n, port in enumerate((one.port, two.port))
                ]
            )
        )

    for action, races in outcomes.items():
        for statuses in races:
            assert sorted(statuses) == [200, 409], (action, races)

    # One log, written by both servers' commits: contiguous, and the whole record verifies.
    size = db.session.scalar(select(func.count()).select_from(LogEntry))
    top = db.session.scalar(select(func.max(LogEntry.log_index)))
    assert top == size - 1
    report = verify()
    assert report.ok, problem_texts(report)
