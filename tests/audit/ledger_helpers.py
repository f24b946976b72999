"""Helpers for ledger tests: verify the database, act as a DBA past the triggers, copy a database."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, create_engine, select, text, update
from sqlalchemy.engine import make_url

from custody.audit.bundle import BUNDLE_FORMAT, BUNDLE_VERSION, manifest_body, sign_manifest
from custody.audit.canonical import GENESIS_HASH, build_entry, canonical_bytes, entry_hash
from custody.audit.ledger import current_settings
from custody.audit.merkle import MerkleFrontier, MerkleTree, leaf_hash
from custody.audit.note import (
    TYPE_COSIGNATURE_V1,
    TYPE_ED25519,
    VerifierKey,
    cosign,
    format_note,
    sign_note_text,
)
from custody.audit.signing import (
    checkpoint_body,
    generate_private_key_text,
    key_id,
    load_private_key,
    public_key_to_text,
    sign_checkpoint,
)
from custody.audit.verification import LedgerReport, snapshot_session, verify_ledger
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.item import Item
from custody.models.ledger import LogEntry, LogState

from ..helpers import fresh


def verify(against: object | None = None) -> LedgerReport:
    fresh()
    with snapshot_session(db.engine) as session:
        return verify_ledger(session, current_settings(), against=against)


def problem_texts(report: LedgerReport) -> list[str]:
    return [p.text() for p in report.problems]


@contextmanager
def as_dba() -> Iterator[Connection]:
    """A connection that gets past the append-only triggers, as a database administrator would.

    PostgreSQL: ``SET LOCAL session_replication_role = replica`` (the test role is a superuser),
    which skips ordinary triggers — the append-only ones and the foreign-key checks. SQLite has no
    such switch: the triggers are dropped for the duration and put back afterwards.
    """
    fresh()
    try:
        yield from _dba_connection()
    finally:
        fresh()  # the test's session starts again after the change (a SQLite snapshot goes stale)


def _dba_connection() -> Iterator[Connection]:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
        return
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection  # outside any transaction: PRAGMAs take effect
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():
                triggers = conn.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                ).all()
                for name, _ in triggers:
                    conn.execute(text(f'DROP TRIGGER "{name}"'))
                yield conn
                for _, sql in triggers:
                    conn.execute(text(sql))
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


def dialect() -> str:
    return db.engine.dialect.name


@contextmanager
def _admin(url: str) -> Iterator[Connection]:
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def backup_database(tmp_path: Path) -> str:
    """A copy of the test database as it is now (file copy / CREATE DATABASE … TEMPLATE)."""
    fresh()
    db.session.remove()
    db.engine.dispose()
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        copy = tmp_path / "backup.db"
        shutil.copyfile(url.database, copy)
        return str(copy)
    name = f"{url.database}_backup"
    with _admin(url.render_as_string(hide_password=False)) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    return name


def restore_database(backup: str) -> None:
    """Put the copy back in place of the live database, as a DBA restoring a dump would."""
    db.session.remove()
    db.engine.dispose()
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        for suffix in ("-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
        shutil.copyfile(backup, url.database)
        return
    with _admin(url.render_as_string(hide_password=False)) as conn:
        conn.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{backup}"'))
        conn.execute(text(f'DROP DATABASE "{backup}"'))


def drop_backup(backup: str) -> None:
    """Remove a PostgreSQL copy left behind by a test that failed before restoring it."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        with _admin(url.render_as_string(hide_password=False)) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{backup}" WITH (FORCE)'))


ROOT = Path(__file__).resolve().parents[2]


# Runs custody.verify with every package of the app's stack made unimportable.
ISOLATED = """
import importlib.abc, runpy, sys
BLOCKED = {"flask", "flask_smorest", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "marshmallow", "jinja2",
           "reportlab", "psycopg", "alembic", "babel", "custody.models", "custody.services", "custody.api"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in BLOCKED or name.split(".")[0] in BLOCKED or ".".join(name.split(".")[:2]) in BLOCKED:
            raise ImportError(f"{name} is not available to the stand-alone verifier")
sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv.pop(1))
sys.argv[0] = "custody.verify"
runpy.run_module("custody.verify", run_name="__main__", alter_sys=True)
"""


def run_verifier(*args: str) -> subprocess.CompletedProcess[str]:
    # -I: no PYTHONPATH, no user site, not even the current directory on sys.path.
    return subprocess.run(
        [sys.executable, "-I", "-c", ISOLATED, str(ROOT), *args], capture_output=True, text=True, timeout=60
    )


KEY = load_private_key(generate_private_key_text())


ORIGIN = "test.custody/audit"


T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _entry(n: int, item_id: int | None, seq: int | None, prev: str | None, action: str) -> dict:
    return build_entry(
        category="custody" if item_id else "case",
        action=action,
        outcome="success",
        actor={"username": "police_keeper", "agency_name": "浦东公安分局", "agency_kind": "police"},
        object_type="item" if item_id else "case",
        object_id=str(item_id or 7),
        case_id=7,
        item_id=item_id,
        item_seq=seq,
        occurred_at=T0 + timedelta(minutes=n),
        recorded_at=T0 + timedelta(minutes=n),
        reason=None,
        data={
            "n": n,
            "说明": "封存完好",
            **({"label_code": "PDGA-2026-000005", "name": "手机"} if action == "item.register" else {}),
        },
        origin_ip="10.1.2.3",
        user_agent="pytest",
        prev_hash=prev,
    )


def witness_section(key, when, tree, witnesses=(), quorum: int = 0) -> tuple[str, str]:
    """The checkpoint note (log signature, then a cosignature/v1 by each ``(name, key)`` witness)
    and the trust policy naming them with ``quorum`` (0: none), as the exporter writes them."""
    text = checkpoint_body(ORIGIN, tree.size, tree.root(), when).decode()
    lines = [sign_note_text(text, ORIGIN, key)]
    policy = [f"log {VerifierKey.for_key(ORIGIN, TYPE_ED25519, key.public_key()).vkey}"]
    for number, (name, witness_key) in enumerate(witnesses):
        lines.append(cosign(text, name, witness_key, int(when.timestamp()) + 60 + number))
        vkey = VerifierKey.for_key(name, TYPE_COSIGNATURE_V1, witness_key.public_key()).vkey
        policy.append(f"witness W{number} {vkey}")
    if quorum:
        policy.append(f"group agencies {quorum} " + " ".join(f"W{n}" for n in range(len(witnesses))))
        policy.append("quorum agencies")
    else:
        policy.append("quorum none")
    return format_note(text, lines).decode(), "\n".join(policy) + "\n"


def make_bundle(key=KEY, witnesses=(), quorum: int = 0) -> dict:
    """A case dossier: one case event and an item with three events, among unrelated leaves."""
    leaves = [leaf_hash(f"other {n}".encode()) for n in range(12)]
    events, prev = [], GENESIS_HASH
    plan = [(None, None, "case.open"), (5, 1, "item.register"), (5, 2, "item.check_in"), (5, 3, "item.move")]
    for n, (item_id, seq, action) in enumerate(plan):
        entry = _entry(n, item_id, seq, prev if item_id else None, action)
        digest = entry_hash(entry)
        if item_id:
            prev = digest
        index = 2 + 3 * n
        leaves[index] = leaf_hash(canonical_bytes(entry))
        events.append({"event_id": 100 + n, "log_index": index, "hash": digest, "entry": entry})
    tree = MerkleTree.from_leaf_hashes(leaves)
    for event in events:
        event["inclusion_proof"] = [p.hex() for p in tree.inclusion_proof(event["log_index"])]
    when = T0 + timedelta(hours=1)
    signature = sign_checkpoint(key, ORIGIN, tree.size, tree.root(), when)
    note, policy = witness_section(key, when, tree, witnesses, quorum)
    bundle = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "generated_at": "2026-03-01T09:00:00.000000Z",
        "subject": {"type": "case", "case_id": 7, "title": "张某某诈骗案", "case_numbers": {}},
        "items": [
            {
                "item_id": 5,
                "label_code": "PDGA-2026-000005",
                "name": "手机",
                "event_count": 3,
                "last_event_hash": prev,
            }
        ],
        "log": {
            "origin": ORIGIN,
            "algorithm": "Ed25519",
            "key_id": key_id(key.public_key()),
            "public_key": public_key_to_text(key.public_key()),
        },
        "checkpoint": {
            "origin": ORIGIN,
            "tree_size": tree.size,
            "root_hash": tree.root().hex(),
            "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "key_id": key_id(key.public_key()),
            "signature": base64.b64encode(signature).decode(),
            "note": note,
        },
        "witnesses": {"policy": policy},
        "events": events,
    }
    sign(bundle, key)
    return bundle


def sign(bundle: dict, key=KEY) -> None:
    """(Re-)sign the bundle's manifest with ``key``, as the exporter does, from the bundle as it is."""
    bundle["manifest"] = sign_manifest(
        key,
        manifest_body(
            origin=bundle["checkpoint"]["origin"],
            key=key_id(key.public_key()),
            subject={"type": "case", "case_id": bundle["subject"]["case_id"]},
            heads=bundle["items"],
            event_hashes=[e["hash"] for e in sorted(bundle["events"], key=lambda e: e["log_index"])],
            tree_size=bundle["checkpoint"]["tree_size"],
            root_hash=bundle["checkpoint"]["root_hash"],
            created_at=bundle["generated_at"],
        ),
    )


EVENTS = AuditEvent.__table__


ENTRIES = LogEntry.__table__


def _repair_caches(conn) -> None:
    """Recompute log_state and every item's head from what is left (what a careful forger does)."""
    leaves = [
        bytes.fromhex(h)
        for h in conn.execute(select(ENTRIES.c.leaf_hash).order_by(ENTRIES.c.log_index)).scalars()
    ]
    frontier = MerkleFrontier.from_leaf_hashes(leaves)
    conn.execute(
        update(LogState.__table__).values(
            tree_size=frontier.size, frontier=frontier.to_hex(), last_checkpoint_size=0
        )
    )
    for (item_id,) in conn.execute(select(Item.__table__.c.id)).all():
        chain = conn.execute(
            select(EVENTS.c.item_seq, EVENTS.c.hash)
            .where(EVENTS.c.item_id == item_id)
            .order_by(EVENTS.c.item_seq)
        ).all()
        conn.execute(
            update(Item.__table__)
            .where(Item.__table__.c.id == item_id)
            .values(event_count=len(chain), last_event_hash=chain[-1].hash if chain else None)
        )
