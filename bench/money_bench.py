"""Money benchmark (issue 13): a case's balance and its sub-ledger page at 1,000 and at 100,000 movements.

Not part of the test suite. It builds a scratch database (SQLite file by default, or a disposable
PostgreSQL database), migrates it, loads the demo reference data, deposits one cash item through the
services, then bulk-inserts movements that continue the ledger's running balance exactly as the
database requires (alternating interest and remittances, so the balance stays positive), in one case.
At each size it measures, as the median of repeated calls:

- ``balance``: ``services.money.case_balance`` (the last movement's balance per ledger, by index);
- ``page``: ``GET /cases/<id>/money`` through the WSGI app, logged in as the keeper (first page);
- ``api``: ``GET /api/v1/cases/<id>/money/movements`` (first page, with its count).

The issue's criterion: at 100,000 movements each stays within 1.5× of its time at 1,000.

    .venv/bin/python bench/money_bench.py
    .venv/bin/python bench/money_bench.py --database-url postgresql://postgres@127.0.0.1/bench_money
"""

from __future__ import annotations

import argparse
import contextvars
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-password-2026"
SIZES = (1_000, 100_000)
LIMIT = 1.5


def build_app(database_url: str, instance: Path):
    from config import normalise_database_url
    from custody import create_app

    return create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "INSTANCE_PATH": str(instance),
            "CUSTODY_UPLOAD_DIR": str(instance / "uploads"),
            "CUSTODY_DEMO_PASSWORD": PASSWORD,
            "CUSTODY_CHECKPOINT_EVERY_EVENTS": 0,
            "CUSTODY_CHECKPOINT_EVERY_MINUTES": 0,
        },
    )


def setup(app) -> tuple[int, int]:
    """Migrate, seed, open a case, register and deposit one cash item: (case id, ledger id)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from custody.demo import seed_demo
    from custody.domain.enums import ItemCategory
    from custody.extensions import db
    from custody.models.money import MoneyLedger
    from custody.models.user import User
    from custody.services import cases, items, money
    from custody.services.context import actor_for

    upgrade()
    seed_demo(db.session, PASSWORD)
    db.session.commit()
    if db.session.scalar(select(MoneyLedger.id)) is not None:
        raise SystemExit("the database already holds money: give an empty or disposable database")
    officer = actor_for(db.session.scalar(select(User).where(User.username == "police_officer")))
    keeper = actor_for(db.session.scalar(select(User).where(User.username == "police_keeper")))
    now = datetime.now(UTC)
    case = cases.open_case(
        db.session,
        officer,
        police_case_no="BENCH-MONEY-1",
        title="涉案款压力测试案",
        filed_on=(now - timedelta(days=30)).date(),
    )
    item = items.register_item(
        db.session,
        officer,
        case.id,
        items.ItemInput(
            name="人民币现金",
            category=ItemCategory.CASH,
            quantity=1,
            unit="元",
            measure_doc_no="沪公(浦)扣字[2026]9号",
            seized_at=now - timedelta(days=1),
            details={"amount_fen": 100_000_000},
        ),
    )
    money.deposit_cash(
        db.session, keeper, item.id, amount_fen=100_000_000, slip=money.Slip(slip_no="BENCH-SLIP-1")
    )
    db.session.commit()
    ledger = db.session.scalar(select(MoneyLedger).where(MoneyLedger.case_id == case.id))
    return case.id, ledger.id


def grow(app, ledger_id: int, target: int, batch: int = 5_000) -> None:
    """Append movements until the ledger has ``target``, continuing the running balance."""
    from sqlalchemy import insert

    from custody.extensions import db
    from custody.models.money import MoneyLedger, MoneyMovement
    from custody.services import money

    ledger = db.session.get(MoneyLedger, ledger_id)
    seq, balance = money.head(db.session, ledger_id)
    today = datetime.now(UTC).date()
    while seq < target:
        rows = []
        for _ in range(min(batch, target - seq)):
            seq += 1
            kind, delta = ("interest", 137) if seq % 2 else ("remittance", -100)
            rows.append(
                {
                    "ledger_id": ledger_id,
                    "seq": seq,
                    "prev_seq": seq - 1,
                    "kind": kind,
                    "delta_fen": delta,
                    "balance_before_fen": balance,
                    "balance_after_fen": balance + delta,
                    "case_id": ledger.case_id,
                    "custodian_agency_id": ledger.custodian_agency_id,
                    "value_date": today,
                    "reference": f"B-{seq}",
                    "recorded_at": datetime.now(UTC),
                }
            )
            balance += delta
        db.session.execute(insert(MoneyMovement), rows)
        db.session.commit()
    assert money.head(db.session, ledger_id) == (target, balance)


class IsolatedClient(FlaskClient):
    """Each request in a context of its own (its own app context and session), as under gunicorn."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login", data={"username": "police_keeper", "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302, answer.status_code


def median_ms(call, repeat: int) -> float:
    call()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(app, case_id: int, repeat: int) -> dict[str, float]:
    from sqlalchemy import select

    from custody.extensions import db
    from custody.models.user import User
    from custody.services import money
    from custody.services.context import actor_for

    keeper = actor_for(db.session.scalar(select(User).where(User.username == "police_keeper")))
    db.session.commit()
    app.test_client_class = IsolatedClient
    client = app.test_client()
    login(client)
    token = client.post("/api/v1/tokens", json={"username": "police_keeper", "password": PASSWORD}).json[
        "token"
    ]
    headers = {"Authorization": f"Bearer {token}"}

    def balance() -> None:
        money.case_balance(db.session, keeper, case_id)
        db.session.rollback()

    def page() -> None:
        answer = client.get(f"/cases/{case_id}/money")
        assert answer.status_code == 200

    def api() -> None:
        answer = client.get(f"/api/v1/cases/{case_id}/money/movements", headers=headers)
        assert answer.status_code == 200

    return {
        "balance": median_ms(balance, repeat),
        "page": median_ms(page, repeat),
        "api": median_ms(api, repeat),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="a disposable database (default: a scratch SQLite file)")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        instance = Path(scratch)
        url = args.database_url or f"sqlite:///{instance / 'money.db'}"
        app = build_app(url, instance)
        results: dict[int, dict[str, float]] = {}
        with app.app_context():
            case_id, ledger_id = setup(app)
            for size in SIZES:
                started = time.perf_counter()
                grow(app, ledger_id, size)
                print(f"{size:>7} movements ({time.perf_counter() - started:.1f} s to generate)", flush=True)
                results[size] = measure(app, case_id, args.repeat)
        small, large = results[SIZES[0]], results[SIZES[-1]]
        print(f"\n{'':10}{SIZES[0]:>12,}{SIZES[-1]:>12,}{'ratio':>8}")
        ok = True
        for key in ("balance", "page", "api"):
            ratio = large[key] / small[key]
            ok = ok and ratio <= LIMIT
            print(f"{key:10}{small[key]:>10.2f}ms{large[key]:>10.2f}ms{ratio:>8.2f}")
        print(f"\nwithin {LIMIT}×: {'yes' if ok else 'NO'}  ({url.split(':')[0]})")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
