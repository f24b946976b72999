"""Ledger export benchmark: time and peak memory of 100,000-item CSV and XLSX exports.

Not part of the test suite. It builds a scratch database (SQLite file by default, or any PostgreSQL
database you name — it must be empty or disposable), migrates it, loads the demo reference data,
bulk-inserts N items (default 100,000) in one case, then measures each export in a fresh child
process, exactly as the view streams it (``custody.services.ledgers``):

- ``csv``: ``ledger_rows`` (``yield_per``) → ``csv_chunks``, bytes counted and dropped (as a socket would);
- ``xlsx``: ``xlsx_file`` (write-only workbook into an anonymous temporary file), then read back in
  64 KiB pieces (as ``send_file`` streams it);
- ``http``: a real request to ``GET /api/v1/ledger?format=csv`` through the WSGI app, unbuffered.

Each measurement reports wall time, the process's peak RSS growth over its baseline (``getrusage``)
and, with ``--tracemalloc``, the peak of Python allocations (tracemalloc slows the run ~2×; it is a
separate pass so the times stay honest). Run it at two sizes to see that memory does not grow with N:

    .venv/bin/python bench/export_bench.py                      # 100,000 items, SQLite
    .venv/bin/python bench/export_bench.py --items 10000
    .venv/bin/python bench/export_bench.py --database-url postgresql://postgres@127.0.0.1/bench_export
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-password-2026"
CATEGORIES = ("phone", "electronics", "goods", "valuables", "cash", "documents")


def build_app(database_url: str, instance: Path):
    from config import normalise_database_url
    from custody import create_app

    # The testing configuration: cheap password hashing, no production secrets needed for a scratch run.
    return create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "INSTANCE_PATH": str(instance),
            "CUSTODY_UPLOAD_DIR": str(instance / "uploads"),
            "CUSTODY_DEMO_PASSWORD": PASSWORD,
            # Checkpoints are signed at commit when due; keep them out of the timings.
            "CUSTODY_CHECKPOINT_EVERY_EVENTS": 0,
            "CUSTODY_CHECKPOINT_EVERY_MINUTES": 0,
        },
    )


def rss_mib() -> float:
    """The resident set size of this process now (Linux: /proc/self/statm), else its peak so far."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler(threading.Thread):
    """Samples the resident set size every few milliseconds and keeps the maximum."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss_mib()
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.005):
            self.peak = max(self.peak, rss_mib())

    def stop(self) -> float:
        self._halt.set()
        self.join()
        self.peak = max(self.peak, rss_mib())
        return self.peak


# -- data generator ------------------------------------------------------------------------------


def generate(database_url: str, instance: Path, count: int, batch: int = 5000) -> float:
    """Migrate, seed, and bulk-insert ``count`` items; returns the seconds it took."""
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select

    from custody.demo import seed_demo
    from custody.domain.enums import CustodyState, DispositionStatus, LocationState, Measure
    from custody.extensions import db
    from custody.models.agency import Agency, StorageLocation
    from custody.models.item import Item
    from custody.models.user import User
    from custody.services.context import actor_for
    from custody.services.items import SeizureListInput, create_seizure_list

    started = time.perf_counter()
    app = build_app(database_url, instance)
    with app.app_context():
        upgrade()
        seed_demo(db.session, PASSWORD)
        db.session.commit()
        if db.session.scalar(select(func.count()).select_from(Item)):
            raise SystemExit("the database already holds items: give an empty or disposable database")
        officer = db.session.scalar(select(User).where(User.username == "police_officer"))
        actor = actor_for(officer)
        from custody.services.cases import open_case

        case = open_case(
            db.session,
            actor,
            police_case_no="BENCH-0001",
            title="压力测试案（10万件）",
            filed_on=(datetime.now(UTC) - timedelta(days=400)).date(),
        )
        seizure_list = create_seizure_list(
            db.session,
            actor,
            case.id,
            SeizureListInput(seized_at=datetime.now(UTC) - timedelta(days=300), holder_name="测试持有人"),
        )
        db.session.commit()
        # Custody spread over the three agencies (the export, run as the auditor, sees all of them).
        agencies = list(db.session.scalars(select(Agency.id).order_by(Agency.id)))
        bins = list(db.session.scalars(select(StorageLocation.id).where(StorageLocation.kind == "bin")))
        base = datetime.now(UTC) - timedelta(days=300)
        for start in range(0, count, batch):
            rows = []
            for n in range(start, min(start + batch, count)):
                seized = base + timedelta(minutes=n)
                category = CATEGORIES[n % len(CATEGORIES)]
                rows.append(
                    {
                        "label_code": f"BENCH-2026-{n + 1:07d}",
                        "case_id": case.id,
                        "seizure_list_id": seizure_list.id,
                        "name": f"涉案物品{n + 1}号（{category}）",
                        "category": category,
                        "quantity": Decimal(1 + n % 3),
                        "unit": "件",
                        "specification": "型号 X-100",
                        "estimated_value_fen": (n * 137) % 10_000_000,
                        "details": {},
                        "measure": Measure.SEIZED,
                        "measure_doc_no": "沪公(浦)扣字[2026]1号",
                        "measure_date": seized.date(),
                        "seized_at": seized,
                        "seized_by_id": officer.id,
                        "registered_at": seized,
                        "custodian_agency_id": agencies[n % len(agencies)],
                        "custody_state": CustodyState.HELD,
                        "location_state": LocationState.IN_STORAGE,
                        "storage_location_id": bins[n % len(bins)],
                        "checked_in_at": seized + timedelta(hours=3),
                        "disposition_status": DispositionStatus.NONE,
                    }
                )
            db.session.execute(insert(Item), rows)
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return time.perf_counter() - started


# -- one measurement (in a child process) ----------------------------------------------------------


def measure(database_url: str, instance: Path, fmt: str, use_tracemalloc: bool) -> dict:
    from sqlalchemy import select

    from custody.extensions import db
    from custody.models.user import User
    from custody.services import ledgers
    from custody.services.context import actor_for
    from custody.services.items import ItemQuery

    app = build_app(database_url, instance)
    with app.app_context():
        auditor = actor_for(db.session.scalar(select(User).where(User.username == "auditor")))
        spec = ledgers.make_spec(auditor, "centre", None, ItemQuery(sort="id"))
        count = ledgers.row_count(db.session, auditor, spec)
        db.session.rollback()
        baseline = rss_mib()
        sampler = RssSampler()
        sampler.start()
        if use_tracemalloc:
            tracemalloc.start()
        started = time.perf_counter()
        size = 0
        if fmt == "csv":
            for chunk in ledgers.csv_chunks(ledgers.ledger_rows(db.session, auditor, spec)):
                size += len(chunk)
        elif fmt == "xlsx":
            handle = ledgers.xlsx_file(db.session, auditor, spec, count)
            while piece := handle.read(65536):
                size += len(piece)
            handle.close()
        elif fmt == "http":
            import contextvars

            from flask.testing import FlaskClient

            client = FlaskClient(app)

            def run() -> int:
                token = client.post(
                    "/api/v1/tokens", json={"username": "auditor", "password": PASSWORD}
                ).json["token"]
                response = FlaskClient.open(
                    client,
                    "/api/v1/ledger?format=csv",
                    buffered=False,
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200, response.status_code
                total = sum(len(chunk) for chunk in response.response)
                response.close()
                return total

            size = contextvars.Context().run(run)
        seconds = time.perf_counter() - started
        peak = sampler.stop()
        peak_python = tracemalloc.get_traced_memory()[1] / 2**20 if use_tracemalloc else None
        if use_tracemalloc:
            tracemalloc.stop()
        return {
            "format": fmt,
            "rows": count,
            "seconds": round(seconds, 2),
            "bytes": size,
            "rss_baseline_mib": round(baseline, 1),
            "rss_peak_mib": round(peak, 1),
            "rss_growth_mib": round(peak - baseline, 1),
            "tracemalloc_peak_mib": round(peak_python, 1) if peak_python is not None else None,
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--formats", default="csv,xlsx,http")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="add a second pass measuring Python allocations"
    )
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # child process: one measurement
    parser.add_argument("--instance", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        print(json.dumps(measure(args.database_url, Path(args.instance), args.measure, args.tracemalloc)))
        return

    folder = Path(tempfile.mkdtemp(prefix="export-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    print(f"database: {url.split('@')[-1]}  items: {args.items:,}")
    print(f"generating ... {generate(url, folder / 'instance', args.items):.1f} s")
    print(
        f"{'format':<8}{'rows':>9}{'seconds':>9}{'MiB out':>9}{'RSS base':>10}{'RSS peak':>10}{'growth':>8}"
        f"{'py peak':>9}"
    )
    for fmt in args.formats.split(","):
        passes = [False, True] if args.tracemalloc else [False]
        for traced in passes:
            command = [
                sys.executable,
                __file__,
                "--measure",
                fmt,
                "--database-url",
                url,
                "--instance",
                str(folder / "instance"),
            ] + (["--tracemalloc"] if traced else [])
            child = subprocess.run(command, capture_output=True, text=True, env=os.environ)
            if child.returncode:
                raise SystemExit(f"measuring {fmt} failed:\n{child.stderr}")
            output = child.stdout
            r = json.loads(output.strip().splitlines()[-1])
            py_peak = (
                f"{r['tracemalloc_peak_mib']:>9.1f}" if r["tracemalloc_peak_mib"] is not None else f"{'-':>9}"
            )
            print(
                f"{r['format'] + ('*' if traced else ''):<8}{r['rows']:>9,}{r['seconds']:>9.2f}"
                f"{r['bytes'] / 2**20:>9.1f}{r['rss_baseline_mib']:>10.1f}{r['rss_peak_mib']:>10.1f}"
                f"{r['rss_growth_mib']:>8.1f}{py_peak}"
            )
    print("(* = tracemalloc pass: slower; 'py peak' is the peak of Python allocations during the export)")
    print(f"scratch folder: {folder}")


if __name__ == "__main__":
    main()
