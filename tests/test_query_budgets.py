"""Query budgets (issue 15): how many SQL statements each endpoint and page issues — an N+1 guard.

Every request is counted with a ``before_cursor_execute`` listener on the app's engine; transaction
control (``BEGIN``, ``COMMIT``, savepoints, and on PostgreSQL the question whether the transaction
wrote anything, which decides between COMMIT and ROLLBACK: ``database.end_read_only_transaction``)
is not a query of the data and is not counted. Each page is measured
twice, with 2 and with 30 rows behind every list, and must cost the same both times — a statement per
row (a lazy load in serialisation or in a template) shows up as a difference — and stay within its
budget: an item ≤ 4, a list ≤ 5, an inbox ≤ 8 (the ``BUDGETS`` table below, per page).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from custody.audit.ledger import create_checkpoint, current_settings
from custody.domain import clock as app_clock
from custody.domain.enums import DispositionKind, ItemCategory, TransferKind
from custody.domain.lifecycle import CheckoutPurpose
from custody.extensions import db
from custody.services import checkouts, milestones, spot_checks, stocktake, storage, transfers

from .conftest import login
from .factories import act, agency, judge_case, location, open_case, register, stored_items
from .money_helpers import cash, deposit

TRANSACTION_CONTROL = re.compile(
    r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b|\s*SELECT txid_current_if_assigned\(\)\s*$",
    re.IGNORECASE,
)

# page → the most statements it may issue (the authenticated user's own lookup included)
BUDGETS = {
    "api item": 4,
    "api item events": 4,
    "api item list": 5,
    "api case": 4,
    "api case list": 5,
    "api transfer list": 5,
    "api transfer": 5,
    "api checkout list": 5,
    "healthz": 1,
    "keeper inbox": 8,
    "prosecutor inbox": 8,
    "approver inbox": 8,
    "item list page": 8,  # the search form's choices (cases, agencies, locations) are three of them
    "item page": 8,
    "case page": 11,  # the judgment and its per-item orders: one statement (issue 18)
    "transfer list page": 5,
    "transfer page": 8,
}


class Statements:
    """The statements the app's engine executed since the last ``reset``."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not TRANSACTION_CONTROL.match(statement):
            self.seen.append(statement)

    def reset(self) -> None:
        self.seen = []

    def __len__(self) -> int:
        return len(self.seen)

    def listing(self) -> str:
        return "\n".join(f"  {n + 1}. {' '.join(s.split())[:200]}" for n, s in enumerate(self.seen))

    def of_page(self, name: str, client, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        """How many statements one GET of ``path`` issues (it must answer 200), and their listing."""
        self.reset()
        response = client.get(path, headers=headers or {})
        assert response.status_code == 200, (
            name,
            response.status_code,
            response.get_data(as_text=True)[:300],
        )
        return len(self), self.listing()


@pytest.fixture
def statements(app):
    counter = Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine, "before_cursor_execute", counter)


LAB = checkouts.CounterpartyInput(name="上海市公安局物证鉴定中心", kind=checkouts.CounterpartyKind.LAB)
BINS = ["R1-A-01", "R1-A-02", "R3-A-01", "R1-B-01", "R1-B-02"]


class World:
    """Rows behind every list, grown to a chosen size: a main case whose items are stored, checked
    out (requested and approved) or awaiting check-in, and one case per row with a stored item
    offered to the procuratorate (the prosecutor's incoming transfers)."""

    def __init__(self) -> None:
        self.main = open_case("规模测试案")
        self.stored: list[Any] = []
        self.sent_cases: list[Any] = []
        self.transfers: list[Any] = []
        self.size = 0

    def grow(self, size: int) -> None:
        officer, keeper, approver = act("police_officer"), act("police_keeper"), act("police_approver")
        for n in range(self.size, size):
            item = register(self.main, name=f"涉案物品{n}", category=ItemCategory.GOODS)
            storage.check_in(db.session, keeper, item.id, location_id=location(BINS[n % len(BINS)]).id)
            register(self.main, name=f"待入库物品{n}", category=ItemCategory.GOODS)  # awaiting check-in
            out = register(self.main, name=f"调用物品{n}", category=ItemCategory.GOODS)
            storage.check_in(db.session, keeper, out.id, location_id=location(BINS[n % len(BINS)]).id)
            checkout = checkouts.request_checkout(
                db.session,
                officer,
                item_ids=[out.id],
                purpose=CheckoutPurpose.APPRAISAL,
                counterparty=LAB,
                due_at=app_clock.now() + timedelta(days=2),
            )
            if n % 2:
                checkouts.decide_checkout(db.session, approver, checkout.id, approve=True)
            case = open_case(f"移送测试案{n}")
            sent = register(case, name=f"移送物品{n}", category=ItemCategory.GOODS)
            storage.check_in(db.session, keeper, sent.id, location_id=location(BINS[n % len(BINS)]).id)
            self.transfers.append(
                transfers.propose_transfer(
                    db.session,
                    officer,
                    case_id=case.id,
                    to_agency_id=agency("PDJC").id,
                    kind=TransferKind.PROSECUTION,
                    item_ids=[sent.id],
                )
            )
            db.session.commit()
            self.stored.append(item)
            self.sent_cases.append(case)
        self.size = size


def measure(app, statements: Statements, world: World, auth_headers) -> dict[str, tuple[int, str]]:
    """Statements per page, with the listing of what ran (for the failure message)."""
    results: dict[str, tuple[int, str]] = {}
    item = world.stored[0]
    transfer = world.transfers[0]

    def run(name: str, client, path: str, headers: dict[str, str] | None = None) -> None:
        results[name] = statements.of_page(name, client, path, headers)

    api = app.test_client()
    police = auth_headers("police_officer")
    run("api item", api, f"/api/v1/items/{item.id}", police)
    run("api item events", api, f"/api/v1/items/{item.id}/events", police)
    run(
        "api item list",
        api,
        "/api/v1/items?page_size=50&status=in_storage&category=goods&custodian=police&sort=-seized_at",
        police,
    )
    run("api case", api, f"/api/v1/cases/{world.main.id}", police)
    run("api case list", api, "/api/v1/cases?page_size=50", police)
    run("api transfer list", api, "/api/v1/transfers?page_size=50", police)
    run("api transfer", api, f"/api/v1/transfers/{transfer.id}", police)
    run("api checkout list", api, "/api/v1/checkouts?page_size=50", police)
    run("healthz", api, "/healthz")

    pages = {}
    for username in ("police_keeper", "prosecutor", "police_approver", "police_officer"):
        pages[username] = app.test_client()
        assert login(pages[username], username).status_code == 302
    run("keeper inbox", pages["police_keeper"], "/")
    run("prosecutor inbox", pages["prosecutor"], "/")
    run("approver inbox", pages["police_approver"], "/")
    officer = pages["police_officer"]
    run("item list page", officer, "/items/?status=in_storage&category=goods")
    run("item page", officer, f"/items/{item.id}")
    run("case page", officer, f"/cases/{world.main.id}")
    run("transfer list page", officer, "/transfers/")
    run("transfer page", officer, f"/transfers/{transfer.id}")
    return results


def test_statements_per_page_stay_within_budget_whatever_the_number_of_rows(app, statements, auth_headers):
    world = World()
    auth_headers("police_officer")  # the token exists before counting starts
    world.grow(2)
    small = measure(app, statements, world, auth_headers)
    world.grow(30)
    large = measure(app, statements, world, auth_headers)

    problems = []
    for name, budget in BUDGETS.items():
        (few, _), (many, many_sql) = small[name], large[name]
        if many != few:
            problems.append(f"{name}: {few} statements with 2 rows, {many} with 30 rows\n{many_sql}")
        elif many > budget:
            problems.append(f"{name}: {many} statements, budget {budget}\n{many_sql}")
    table = "\n".join(
        f"  {name:20} {small[name][0]:3} {large[name][0]:3}  (≤ {BUDGETS[name]})" for name in BUDGETS
    )
    assert not problems, "\n\n".join(problems) + "\n\npage, statements with 2 and 30 rows:\n" + table


# The lifecycle lists (issue 15: "any list ≤ 5 regardless of page size"): API and pages, measured
# like the pages above, with 2 and then 30 rows behind each, and at two page sizes.
LIFECYCLE_BUDGETS = {
    "api disposition list": 5,
    "api freeze list": 5,
    "api correction list": 5,
    "disposition list page": 5,
    "freeze list page": 5,
    "checkout list page": 5,
    "correction list page": 5,
    "case list page": 5,
    "api stocktake list": 5,
    "api discrepancy list": 5,
    "stocktake list page": 5,
    "discrepancy list page": 5,
    "api public notice list": 5,
    "api back-dated entry list": 5,
    "back-dated entry page": 5,
    "api spot check list": 5,
    "spot check list page": 8,  # the draw form's choices (agencies, locations, cases) are three of them
    "api money movement list": 5,
    "api checkpoint list": 5,
}


class LifecycleWorld:
    """Per row: a proposed correction, a proposed (every other one approved) confiscation, a check-out
    request, a freeze of a bank account, a public notice and a back-dated check-in — each of its own
    item, in one case — a finished stocktake of a shelf whose unscanned items are discrepancies, a
    spot check of one item, a deposit of seized cash and a signed checkpoint."""

    def __init__(self, most: int) -> None:
        self.case = open_case("生命周期规模测试案")
        # The confiscations carry out a judgment: a judged case whose items wait for them.
        self.judged, self.to_confiscate = stored_items(most, open_case("判决没收规模测试案"))
        judge_case(self.judged)
        self.size = 0

    def grow(self, size: int) -> None:
        from .lifecycle_helpers import approve, correct, freeze, frozen_account, propose, request

        keeper = act("police_keeper")
        for n in range(self.size, size):
            stored = []
            for kind in ("更正", "调用"):
                item = register(self.case, name=f"{kind}物品{n}", category=ItemCategory.GOODS)
                storage.check_in(db.session, keeper, item.id, location_id=location(BINS[n % len(BINS)]).id)
                stored.append(item)
            db.session.commit()
            correct(stored[0], "name", f"更正后的名称{n}")
            disposition = propose([self.to_confiscate[n].id], DispositionKind.CONFISCATE)
            if n % 2:
                approve(disposition)
            request([stored[1].id])
            freeze(frozen_account(self.case)[1])
            open_case(f"列表测试案{n}")
            count = stocktake.start_stocktake(
                db.session, keeper, location_id=location(BINS[n % len(BINS)]).id
            )
            stocktake.finish_stocktake(db.session, keeper, count.id)
            unclaimed = register(self.case, name=f"无主物品{n}", category=ItemCategory.GOODS)
            milestones.publish_notice(
                db.session,
                act("police_officer"),
                item_ids=[unclaimed.id],
                published_on=app_clock.today() - timedelta(days=1),
                medium="浦东公安分局门户网站",
            )
            late = register(self.case, name=f"补录物品{n}", category=ItemCategory.GOODS)
            storage.check_in(
                db.session,
                keeper,
                late.id,
                location_id=location(BINS[n % len(BINS)]).id,
                occurred_at=app_clock.now() - timedelta(hours=1),
                reason="系统故障，事后补录",
            )
            spot_checks.draw_spot_check(db.session, act("auditor"), size=1)
            db.session.commit()
            deposit(cash(self.case, 10_000 + n), slip_no=f"存款凭条 {n:04d}")
            create_checkpoint(db.session, current_settings())
            db.session.commit()
        self.size = size


def measure_lifecycle(
    app, statements: Statements, world: LifecycleWorld, auth_headers, page_size: int
) -> dict[str, int]:
    results: dict[str, int] = {}
    listings: dict[str, str] = {}

    def run(name: str, client, path: str, headers: dict[str, str] | None = None) -> None:
        results[name], listings[name] = statements.of_page(name, client, path, headers)

    api, police = app.test_client(), auth_headers("police_officer")
    run("api disposition list", api, f"/api/v1/dispositions?page_size={page_size}", police)
    run("api freeze list", api, f"/api/v1/freezes?page_size={page_size}", police)
    run("api correction list", api, f"/api/v1/corrections?page_size={page_size}", police)
    page = app.test_client()
    assert login(page, "police_officer").status_code == 302
    run("disposition list page", page, f"/dispositions?page_size={page_size}")
    run("freeze list page", page, f"/freezes?page_size={page_size}")
    run("checkout list page", page, f"/checkouts?page_size={page_size}")
    run("correction list page", page, f"/corrections?page_size={page_size}")
    run("case list page", page, f"/cases/?page_size={page_size}")
    keeper_api, keeper_page = auth_headers("police_keeper"), app.test_client()
    assert login(keeper_page, "police_keeper").status_code == 302
    run("api stocktake list", api, f"/api/v1/stocktakes?page_size={page_size}", keeper_api)
    run("api discrepancy list", api, f"/api/v1/discrepancies?page_size={page_size}", keeper_api)
    run("stocktake list page", keeper_page, f"/oversight/stocktakes?page_size={page_size}")
    run("discrepancy list page", keeper_page, f"/oversight/discrepancies?page_size={page_size}")
    run("api public notice list", api, f"/api/v1/public-notices?page_size={page_size}", police)
    auditor_api, auditor_page = auth_headers("auditor"), app.test_client()
    assert login(auditor_page, "auditor").status_code == 302
    run("api back-dated entry list", api, f"/api/v1/backdated-entries?page_size={page_size}", auditor_api)
    run("back-dated entry page", auditor_page, f"/oversight/backdated?page_size={page_size}")
    run("api spot check list", api, f"/api/v1/spot-checks?page_size={page_size}", auditor_api)
    run("spot check list page", auditor_page, f"/oversight/spot-checks?page_size={page_size}")
    movements = f"/api/v1/cases/{world.case.id}/money/movements?page_size={page_size}"
    run("api money movement list", api, movements, police)
    run("api checkpoint list", api, f"/api/v1/audit/checkpoints?page_size={page_size}", auditor_api)
    measure_lifecycle.listings = listings  # type: ignore[attr-defined]
    return results


def test_lifecycle_lists_cost_the_same_whatever_their_length_and_page_size(app, statements, auth_headers):
    world = LifecycleWorld(30)
    auth_headers("police_officer"), auth_headers("police_keeper"), auth_headers("auditor")
    world.grow(2)
    few = measure_lifecycle(app, statements, world, auth_headers, 50)
    world.grow(30)
    many = measure_lifecycle(app, statements, world, auth_headers, 50)
    small_pages = measure_lifecycle(app, statements, world, auth_headers, 10)
    listings = measure_lifecycle.listings  # type: ignore[attr-defined]

    problems = []
    for name, budget in LIFECYCLE_BUDGETS.items():
        counts = (few[name], many[name], small_pages[name])
        if len(set(counts)) != 1:
            problems.append(f"{name}: {counts} statements (2 rows, 30 rows, pages of 10)\n{listings[name]}")
        elif many[name] > budget:
            problems.append(f"{name}: {many[name]} statements, budget {budget}\n{listings[name]}")
    table = "\n".join(
        f"  {name:22} {few[name]:3} {many[name]:3} {small_pages[name]:3}  (≤ {LIFECYCLE_BUDGETS[name]})"
        for name in LIFECYCLE_BUDGETS
    )
    assert not problems, (
        "\n\n".join(problems) + "\n\nlist, statements with 2, 30 rows, pages of 10:\n" + table
    )
