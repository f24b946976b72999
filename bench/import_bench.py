"""Bulk-import benchmark: time to register N phones from a CSV seizure list in one transaction.

Not part of the test suite. Usage (from the repository root):

    .venv/bin/python bench/import_bench.py 2000                       # scratch SQLite file
    .venv/bin/python bench/import_bench.py 2000 postgresql+psycopg://postgres@127.0.0.1/scratch

The PostgreSQL database must exist and be empty (it is migrated here). Measured on the 2-core CI
machine: 2,000 rows in 3.9–4.3 s on SQLite and 7.1 s on PostgreSQL (one transaction, every row through
the same rules and audit events as a single registration).
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import build_app, migrate_and_seed


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    folder = Path(tempfile.mkdtemp(prefix="import-bench-"))
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder}/bench.db"
    migrate_and_seed(url, folder)
    app = build_app(url, folder)
    with app.app_context():
        from sqlalchemy import select

        from custody.extensions import db
        from custody.models.user import User
        from custody.services import cases, imports
        from custody.services.context import actor_for

        officer = actor_for(db.session.scalar(select(User).where(User.username == "police_officer")))
        case = cases.open_case(db.session, officer, police_case_no="BENCH-IMPORT-1", title="批量导入基准")
        db.session.commit()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["名称", "类别", "数量", "单位", "IMEI"])
        for i in range(rows):
            body = f"35693803{i:06d}"
            writer.writerow([f"手机{i}", "手机", "1", "部", body + luhn_digit(body)])
        started = time.perf_counter()
        result = imports.import_items(
            db.session, officer, case.id, filename="bench.csv", content=buffer.getvalue().encode()
        )
        db.session.commit()
        print(
            f"{len(result.items)} rows imported in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
        )


if __name__ == "__main__":
    main()
