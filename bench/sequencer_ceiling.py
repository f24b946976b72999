"""The sequencer's ceiling: events per second through the one global log, 8 concurrent writers.

Not part of the test suite. Usage (from the repository root):

    .venv/bin/python bench/sequencer_ceiling.py                       # PostgreSQL on 127.0.0.1
    .venv/bin/python bench/sequencer_ceiling.py --writers 8 --seconds 10 --events-per-commit 1,10

Every commit that carries audit events waits for the ``log_state`` row lock (custody/audit/
sequencer.py), appends the events' log entries and releases the lock at COMMIT: the log is one queue
for the whole deployment, whatever the number of app servers. This starts ``--writers`` processes
(as many gunicorn workers would be, on any number of machines), each committing transactions of
``--events-per-commit`` security events as fast as it can for ``--seconds``, against one fresh
PostgreSQL database, and reports:

* events/s and commits/s through the log, all writers together;
* how long each commit held the log lock (from taking it to the end of COMMIT): the lock-bound
  ceiling is one commit per hold time, whatever the CPUs — ``commits/s ≤ 1 / mean hold``.

On a machine with few cores the writers' own Python work limits the first figure before the lock
does; the second says how far the log itself would go (docs/DEPLOY.md, "The ceiling").
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def writer(url: str, key: str, folder: str, seconds: float, per_commit: int, start_at: float, out) -> None:
    from sqlalchemy import event

    from custody.audit import ledger, sequencer
    from custody.audit.recorder import record_event
    from custody.domain.enums import EventCategory
    from custody.extensions import db
    from tests.conftest import build_app

    app = build_app(url, Path(folder) / f"w{os.getpid()}", CUSTODY_LEDGER_SIGNING_KEY=key)
    holds: list[float] = []
    locked_at: list[float] = []
    read_head = ledger.read_head

    def timed_read_head(session, *, lock: bool = False):
        head = read_head(session, lock=lock)
        if lock:
            locked_at.append(time.perf_counter())
        return head

    sequencer.read_head = timed_read_head  # the moment the log lock is held
    commits = 0
    with app.app_context():
        session = db.session()  # the session of this app context (not the scoped proxy)

        @event.listens_for(session, "after_commit")
        def _released(_session) -> None:
            if locked_at:
                holds.append(time.perf_counter() - locked_at.pop())

        while time.time() < start_at:
            time.sleep(0.01)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            for n in range(per_commit):
                record_event(
                    session,
                    category=EventCategory.SECURITY,
                    action="bench.sequencer",
                    actor=None,
                    data={"n": n},
                )
            session.commit()
            commits += 1
        db.session.remove()
        db.engine.dispose()
    out.put((commits, holds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--events-per-commit", default="1", help="comma-separated, e.g. 1,10")
    args = parser.parse_args()

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bench.http_ratios import _pg_database
    from tests.conftest import migrate_and_seed

    key = base64.b64encode(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    ).decode()
    folder = tempfile.mkdtemp(prefix="sequencer-")
    url = _pg_database(args.pg_url, "custody_bench_sequencer")
    migrate_and_seed(url, Path(folder))
    print(
        "| writers | events per commit | events/s | commits/s | lock held per commit (mean, p95) | lock-bound ceiling |"
    )
    print("|---|---|---|---|---|---|")
    for per_commit in [int(x) for x in args.events_per_commit.split(",")]:
        queue: multiprocessing.Queue = multiprocessing.Queue()
        start_at = time.time() + 8  # every writer's app is built before the clock starts
        processes = [
            multiprocessing.Process(
                target=writer, args=(url, key, folder, args.seconds, per_commit, start_at, queue)
            )
            for _ in range(args.writers)
        ]
        for process in processes:
            process.start()
        results = [queue.get() for _ in processes]
        for process in processes:
            process.join()
        commits = sum(r[0] for r in results)
        holds = sorted(h for r in results for h in r[1])
        mean = statistics.mean(holds) if holds else 0.0
        p95 = holds[int(len(holds) * 0.95)] if holds else 0.0
        print(
            f"| {args.writers} | {per_commit} | {commits * per_commit / args.seconds:,.0f} | {commits / args.seconds:,.0f} "
            f"| {mean * 1000:.2f} ms, {p95 * 1000:.2f} ms | {per_commit / mean if mean else 0:,.0f} events/s |"
        )


if __name__ == "__main__":
    main()
