"""Benchmark: build an audit log of N events (default 1,000,000) and verify it.

    .venv/bin/python bench/ledger_verify.py [--events N] [--database-url URL] [--items N]

Builds a fresh database (a temporary SQLite file unless ``--database-url`` names an empty
PostgreSQL database), registers a few hundred items through the services, then writes N events
— half of them in those items' chains, half security events — with their log entries, log head,
item heads and a checkpoint every 100,000 entries, in bulk (the sequencer is bypassed on purpose:
the benchmark is about verification, and the bulk rows are exactly what the sequencer writes).
Then it runs ``verify_ledger`` — what ``flask custody verify-audit`` runs — and, in the same run,
hashes the very same canonical bytes with raw SHA-256, and prints both throughputs.

Figures (issue 15; 200,401 events, 200 items, 3 checkpoints; 2 cores shared with other jobs,
so wall-clock times vary by up to 2× from run to run — CPU seconds are steadier). The version
before (main at 35d5539) and this one were run alternately on the same two databases, twice each,
under a load average of about four on the two cores; in brackets, per CPU-second of the verifying
process:

============  ===================================  ===================================
engine        before: events/s (per CPU-second)    after: events/s (per CPU-second)
============  ===================================  ===================================
SQLite        30,163 / 33,565  (46.6k / 50.6k)     46,022 / 67,402  (69.0k / 72.7k)
PostgreSQL    20,990 / 25,692  (35.3k / 44.2k)     44,452 / 48,157  (85.3k / 90.1k)
============  ===================================  ===================================

(Under a load of five, an earlier round of the same comparison, before the chain links were
inlined, gave 26–29k → 39–40k events/s on SQLite and 19–20k → 33–41k on PostgreSQL, 35–37k →
71–81k per CPU-second there. With less load, the version before gave 57–63k events/s on SQLite
and 44k on PostgreSQL, the first version 18–19k and 14k.) Raw SHA-256 of the entries runs at about 0.6M–1.5M events/s here,
entry + leaf + tree hashing at about 190k–480k. Where the time went before (cProfile on
PostgreSQL): the reader's Python work per event — formatting the driver's datetimes (a fifth of
it), decoding and re-encoding the JSON ``data`` through ``json.loads`` and ``JSONEncoder.encode``
(which build a C encoder per call), building an entry for every event, a dozen function calls;
then reading the rows (about a fifth, in a thread of its own), the replay, the hashing. What made
the difference (custody/audit/verification.py, ``_read_log``): one loop with the reading inlined;
on PostgreSQL the server writes each timestamp's canonical text (``to_char`` of the stored instant
in UTC, years 1000–9998; the stored value beside it otherwise, for the general path); the C JSON
scanner and encoder called directly; an entry built only for the events the replay folds; a link
that follows its item's chain taken in the loop; the leaves handed to the Merkle frontier a batch
at a time. Anything the loop does not read exactly as ``entry_and_bytes`` would goes to it, which
decides as before. What remains: the loop's own work (unpacking a row, assembling the bytes), three
SHA-256 per event, reading the rows (on PostgreSQL in the fetching thread, plus the server's
work), the replay.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BATCH = 10_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="an empty database (default: temporary SQLite)")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select, text, update

    from custody import create_app
    from custody.audit import ledger
    from custody.audit.canonical import GENESIS_HASH, build_entry, canonical_bytes
    from custody.audit.merkle import LEAF_PREFIX, MerkleFrontier
    from custody.audit.verification import snapshot_session, verify_ledger
    from custody.demo import seed_demo
    from custody.domain.enums import ItemCategory
    from custody.extensions import db
    from custody.models.audit import AuditEvent
    from custody.models.item import Item
    from custody.models.ledger import LOG_STATE_ID, LogEntry, LogState
    from custody.models.user import User
    from custody.services import cases, items
    from custody.services.context import actor_for

    workdir = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir),
            "CUSTODY_CHECKPOINT_EVERY_EVENTS": 0,
            "CUSTODY_CHECKPOINT_EVERY_MINUTES": 0,
        },
    )
    bytes_file = workdir / "entries.jsonl"
    with app.app_context():
        upgrade()
        seed_demo(db.session, "Bench-password-2026")
        db.session.commit()
        officer = actor_for(db.session.scalars(select(User).where(User.username == "police_officer")).one())
        case = cases.open_case(
            db.session,
            officer,
            police_case_no="BENCH-1",
            title="基准测试案",
            filed_on=(datetime.now(UTC) - timedelta(days=3)).date(),
        )
        item_ids = []
        for n in range(args.items):
            item = items.register_item(
                db.session,
                officer,
                case.id,
                items.ItemInput(
                    name=f"物品{n}",
                    category=ItemCategory.GOODS,
                    quantity=1,
                    unit="件",
                    seized_at=datetime.now(UTC) - timedelta(hours=1),
                ),
            )
            item_ids.append(item.id)
        db.session.commit()
        settings = ledger.current_settings()

        # Continue the log and the item chains the services started.
        head = ledger.read_head(db.session)
        frontier = head.frontier
        chains = {
            i: (item.event_count, item.last_event_hash)
            for i, item in ((i, db.session.get(Item, i)) for i in item_ids)
        }
        next_id = (db.session.scalar(select(func.max(AuditEvent.id))) or 0) + 1
        actor = officer.snapshot()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        print(f"building {args.events:,} events in {url} …", flush=True)
        built = time.perf_counter()
        total_bytes = 0
        with bytes_file.open("wb") as out:
            for batch_start in range(0, args.events, BATCH):
                events, entries = [], []
                for n in range(batch_start, min(batch_start + BATCH, args.events)):
                    when = start + timedelta(milliseconds=n)
                    item_id = item_ids[n % len(item_ids)] if n % 2 else None
                    seq, prev = (None, None)
                    if item_id:
                        count, last = chains[item_id]
                        seq, prev = count + 1, last or GENESIS_HASH
                    columns = {
                        "category": "custody" if item_id else "security",
                        "action": "item.condition" if item_id else "login",
                        "outcome": "success",
                        "actor": actor,
                        "object_type": "item" if item_id else "user",
                        "object_id": str(item_id or actor["user_id"]),
                        "case_id": case.id if item_id else None,
                        "item_id": item_id,
                        "item_seq": seq,
                        "occurred_at": when,
                        "recorded_at": when,
                        "reason": None,
                        "data": {"n": n, "condition": "封存完好"} if item_id else {},
                        "origin_ip": "10.0.0.1",
                        "user_agent": "bench",
                        "prev_hash": prev,
                    }
                    data = canonical_bytes(build_entry(**columns))
                    digest = hashlib.sha256(data).hexdigest()
                    leaf = hashlib.sha256(LEAF_PREFIX + data).digest()
                    if item_id:
                        chains[item_id] = (seq, digest)
                    event_id = next_id + n
                    events.append(
                        {
                            "id": event_id,
                            **columns,
                            "hash": digest,
                            "actor_user_id": actor["user_id"],
                            "actor_agency_id": actor["agency_id"],
                        }
                    )
                    entries.append(
                        {"log_index": frontier.size, "event_id": event_id, "leaf_hash": leaf.hex()}
                    )
                    frontier.append(leaf)
                    out.write(data + b"\n")
                    total_bytes += len(data)
                db.session.execute(insert(AuditEvent), events)  # Core-style bulk: not seen by the sequencer
                db.session.execute(insert(LogEntry), entries)
                if frontier.size % 100_000 < BATCH:
                    ledger.sign_head(db.session, settings, frontier.size, frontier.root())
                db.session.commit()
                print(f"  {frontier.size:,} entries", end="\r", flush=True)
        if db.engine.dialect.name == "postgresql":  # keep the id sequence past the ids written here
            db.session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('audit_event', 'id'), "
                    "(SELECT max(id) FROM audit_event))"
                )
            )
        for item_id, (count, last) in chains.items():
            db.session.execute(
                update(Item).where(Item.id == item_id).values(event_count=count, last_event_hash=last)
            )
        db.session.execute(
            update(LogState)
            .where(LogState.id == LOG_STATE_ID)
            .values(tree_size=frontier.size, frontier=frontier.to_hex(), last_checkpoint_size=frontier.size)
        )
        ledger.sign_head(db.session, settings, frontier.size, frontier.root())
        db.session.commit()
        print(
            f"built {frontier.size:,} log entries ({total_bytes / 1e6:.0f} MB of entries) "
            f"in {time.perf_counter() - built:.0f} s"
        )

        # Verification, as `flask custody verify-audit` runs it.
        with snapshot_session(db.engine) as session:
            report = verify_ledger(session, settings)
        assert report.ok, [p.text() for p in report.problems[:5]]
        verified_events = report.log_size

        # Raw SHA-256 of the same bytes, in the same run (file reading not timed).
        hashing = 0.0
        hashed = 0
        with bytes_file.open("rb") as fh:
            while True:
                lines = fh.readlines(64 * 1024 * 1024)
                if not lines:
                    break
                chunk = [line[:-1] for line in lines]
                t = time.perf_counter()
                for data in chunk:
                    hashlib.sha256(data).digest()
                hashing += time.perf_counter() - t
                hashed += len(chunk)
        sha256_tree = 0.0
        with bytes_file.open("rb") as fh:
            frontier = MerkleFrontier()
            while True:
                lines = fh.readlines(64 * 1024 * 1024)
                if not lines:
                    break
                chunk = [line[:-1] for line in lines]
                t = time.perf_counter()
                for data in chunk:  # what the verifier must hash: the entry, its leaf, the tree
                    hashlib.sha256(data).digest()
                    frontier.append(hashlib.sha256(LEAF_PREFIX + data).digest())
                sha256_tree += time.perf_counter() - t

        mb = total_bytes / 1e6
        print()
        print(f"engine:                       {db.engine.dialect.name}")
        print(
            f"events verified:              {verified_events:,} ({report.items:,} items, "
            f"{report.checkpoints} checkpoints)"
        )
        print(
            f"verify-audit:                 {report.seconds:8.2f} s  {verified_events / report.seconds:>10,.0f} "
            f"events/s  {mb / report.seconds:7.1f} MB/s"
        )
        print(
            f"raw SHA-256 of the entries:   {hashing:8.2f} s  {hashed / hashing:>10,.0f} events/s  "
            f"{mb / hashing:7.1f} MB/s"
        )
        print(
            f"SHA-256 entry+leaf+tree:      {sha256_tree:8.2f} s  {hashed / sha256_tree:>10,.0f} events/s  "
            f"{mb / sha256_tree:7.1f} MB/s"
        )
        print(f"verification / raw SHA-256:   {report.seconds / hashing:8.1f} ×")
        db.session.remove()
        db.engine.dispose()
    if not args.database_url:
        for path in workdir.iterdir():
            path.unlink()
        os.rmdir(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
