"""City-scale data, and how the pages and the verifier fare as it grows (issue 15).

Not part of the test suite. Usage (from the repository root):

    .venv/bin/python bench/seed_scale.py build --url postgresql+psycopg://postgres@127.0.0.1/city
    .venv/bin/python bench/seed_scale.py build --url sqlite:///city.db --scale 0.1
    .venv/bin/python bench/seed_scale.py compare --scale 0.05               # SQLite and PostgreSQL
    .venv/bin/python bench/seed_scale.py compare --engines postgresql --scale 0.1 --markdown scale.md

``build`` makes a city: 16 districts, each with a police bureau, a procuratorate and a court, a custody
centre (2 rooms × 4 shelves × 5 bins) and their staff; 200,000 items (× ``--scale``) in cases of ten,
with about 2,000,000 events on PostgreSQL (eleven per item written in bulk: registration, check-in,
moves and condition records; the first item of each case, made through the services, has fewer) or
200,000 on SQLite (one or two per item: most items kept with their holder, sealed in
place or frozen at a bank, the rest checked in). The database is migrated and holds the demo accounts.

How: every case, its first item and that item's check-in go through the services, as a user's
request would (so cases, seizure lists and numbering are exactly what the app makes). The other items
of each case and their events are written in bulk: rows built in memory, their events made by the
services' own functions (``item_events.append_item_event`` → ``recorder.record_event``: the same
snapshot, payload, canonical form, hash chain) into a collecting session instead of a database
session, then inserted in batches, and each batch appended to the global log by the sequencer's own
``append`` (the same leaves, frontier and checkpoints). ``flask custody verify-audit`` passes on the
result; ``compare`` runs it and reports its speed.

The active work of each district — items awaiting check-in, transfers awaiting sign-for — is the
same at every scale: it is bounded by what the staff handle in a few days, while the history (items
stored, events recorded, cases transferred and closed) is what grows with the years. ``compare``
builds the city at 10,000 and at 200,000 items (× ``--scale``) and times, for a district's users, the
item page, the filtered list, the keeper's and the prosecutor's inboxes, the alerts, the statistics,
the ledger export and ``verify-audit`` (and the incremental verification from the last verified
checkpoint), then prints large/small for each. ``measure`` times the pages again on the cities a
``compare --work DIR`` left (both cities in one process, their requests alternating: on a shared
machine two separate runs moved the ratios by 2-5x).

Measured
--------

2026-12-06, the 2-core development machine (load average 1-3). Both engines at ``--scale 1``; the
districts' cases interleave, as a city's districts work at once (built one district after another,
district 1's items had the lowest ids and a list of its newest items walked the whole city first).
Build times: SQLite 9,728 items / 14,220 events in 13 s and 199,808 items / 285,084 events in 364 s;
PostgreSQL 9,728 items / 97,056 events and 199,808 items / 2,035,872 events in about 15 minutes for
both (the machine also running the test suite). ``verify-audit`` in that run: 20.7k events/s (small)
and 16.5k (large, 2.04M events), under that load; 40k events/s on 1.86M events with the machine less
busy. Later that day (the machine quiet, the same code built again), the whole ``verify-audit`` of
the large cities, before → after the live rows were compared as plain dicts and plain values
(docs/LEDGER.md §9): SQLite 53.3 s → 28.3 s (5.4k → 10.1k events/s: 199,808 item rows for 285k
events, so the rows weigh as much as the log), PostgreSQL 94–103 s → 77–79 s (20–22k → 26k events/s
for 2.04M events).

Rebuilt on 2026-12-06 on an otherwise idle machine (SQLite by ``compare``, 174 s for the large
city; PostgreSQL by ``compare`` and again by ``measure`` after read-only requests began to keep
their prepared statements): the whole ``verify-audit`` of the large cities at 15.9k events/s on
SQLite and 62.6k on PostgreSQL (2.04M events in 33 s); ``verify-audit --since-last`` after 100 new
events (``NEW_EVENTS``) 19.3 → 20.5 ms on SQLite (1.06), 58 → 86 ms on PostgreSQL right after the
full run, and 104-109 ms vs 96-112 ms (small vs large) for 200-300 new events run again moments
later. The pages, large ÷ small: SQLite item page 1.06, item API 1.15, list 1.27, inboxes 1.03 and
0.98, alerts 1.03, statistics computed 6.69 and kept 1.16, CSV first chunk 1.56, XLSX per 1,000
rows 0.89; PostgreSQL 1.02, 1.06, 1.31, 1.09 and 1.03, 0.98, 3.34 and 1.05, 1.41, 0.82 (the item
API 2.8 → 3.0 ms, against 5.7 → 6.0 ms before its statements were kept prepared).

Earlier that day, ``measure``, 9 requests each, median; a district's users (d01.*), whose district holds 1/16 of the city:

| page | SQLite small → large (ratio) | PostgreSQL small → large (ratio) |
|---|---|---|
| item page (HTML) | 12.4 ms → 12.7 ms (1.02) | 22.9 ms → 23.6 ms (1.03) |
| item (API) | 3.5 ms → 3.8 ms (1.07) | 9.8 ms → 11.7 ms (1.19) |
| list, filtered (API, 50) | 15.3 ms → 17.7 ms (1.16) | 27.4 ms → 34.5 ms (1.26) |
| keeper inbox (HTML) | 17.5 ms → 16.8 ms (0.96) | 29.2 ms → 31.3 ms (1.07) |
| prosecutor inbox (HTML) | 14.9 ms → 15.0 ms (1.01) | 24.1 ms → 22.7 ms (0.94) |
| alerts (API) | 4.3 ms → 4.4 ms (1.03) | 9.3 ms → 9.3 ms (0.99) |
| statistics (API, computed) | 10.4 ms → 50.8 ms (4.87 ✗) | 16.1 ms → 41.4 ms (2.57 ✗) |
| statistics (API, kept ≤ 5 min) | 1.8 ms → 1.8 ms (1.00) | 3.3 ms → 3.3 ms (1.01) |
| ledger export (XLSX) | 195.2 ms → 3,479.4 ms (17.8 ✗) | 218.5 ms → 3,463.9 ms (15.9 ✗) |
| ledger export (CSV, first chunk) | 36.9 ms → 58.4 ms (1.58 ✗; 1.42-1.58 over runs) | 57.7 ms → 80.5 ms (1.39) |
| ledger export (XLSX, per 1,000 rows) | 321.1 ms → 278.6 ms (0.87) | 359.4 ms → 277.4 ms (0.77) |

The fixes that made them so, in order (each measured with ``measure`` on the same two cities):

- The list's total counted up to ``CUSTODY_LIST_COUNT_LIMIT`` (1,000) rows: SQLite 270 ms (in
  ``compare``, the machine loaded by the other build) → 17.8 ms (``measure``); an exact count read
  all 12,500 of the district's items.
- Alerts on SQLite: index item (location_state, custodian_agency_id) for the items awaiting check-in
  (6 ms → 0.1 ms), and the unrelated-property and public-notice sources entering through their own
  few rows (5.9 ms → 0.1 ms each): 19.5 → 3.7 ms; the keeper's inbox 40.6 → 14.1 ms (its queue of
  items awaiting check-in). That index first replaced (location_state), which the list's page used
  in id order: the list went to 70 ms, sorting all of the city's stored police goods; both stay.
- The page found by key, then its rows loaded (``custody/counting.page_statement``): PostgreSQL
  81 → 33 ms. PostgreSQL misjudged the visibility filter (98 rows for 11,223) and joined every match
  to its agency and locations before sorting.
- On PostgreSQL the item list's keys as the union of one semi-join per visibility source
  (``services/items.items_page_keys``): the page's keys 12 ms → 0.6 ms (the id index walked
  backwards, 860 rows read for 50); the list 1.69 → 1.26.
- Statistics kept five minutes per process and visibility scope (``recent_statistics``).

Still growing: the computed statistics read every visible item; the CSV ledger counts its rows first
(``X-Row-Count``); the whole XLSX export is as long as the ledger. docs/DEPLOY.md says what a city
does about each.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import secrets
import shutil
import statistics as stats
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-password-2026"
DISTRICTS = 16
ITEMS = 200_000
ITEMS_PER_CASE = 10
EVENTS_PER_ITEM = {"postgresql": 11, "sqlite": 1}  # 2.04M events at 200k items on PostgreSQL
ACTIVE_AWAITING = 12  # per district, whatever the scale
ACTIVE_TRANSFERS = 3  # per district: cases offered to the procuratorate, awaiting sign-for
BATCH = 2_000  # items per bulk transaction


# -- reference data --------------------------------------------------------------------------------


@dataclass
class District:
    number: int
    police: int
    procuratorate: int
    court: int
    police_code: str
    bins: list[int]
    paths: dict[int, str]
    users: dict[str, Any] = field(default_factory=dict)  # role name → Actor


def reference_data(session, count: int) -> list[District]:
    """``count`` districts: three agencies each, a centre with its locations, and their staff."""
    from custody.domain.enums import AgencyKind, Role, StorageKind
    from custody.models.agency import StorageLocation
    from custody.services import accounts
    from custody.services.context import actor_for

    districts = []
    for d in range(1, count + 1):
        agencies = {
            kind: accounts.create_agency(
                session, None, code=f"D{d:02d}{suffix}", name=f"第{d}区{name}", kind=kind
            )
            for kind, suffix, name in (
                (AgencyKind.POLICE, "GA", "公安分局"),
                (AgencyKind.PROCURATORATE, "JC", "人民检察院"),
                (AgencyKind.COURT, "FY", "人民法院"),
            )
        }
        centre = accounts.create_centre(session, None, code=f"D{d:02d}ZX", name=f"第{d}区涉案财物管理中心")
        bins = []
        for r in range(1, 3):
            room = accounts.create_location(
                session, None, centre_id=centre.id, kind=StorageKind.ROOM, code=f"R{r}", name=f"{r}号库房"
            )
            for s in range(1, 5):
                shelf = accounts.create_location(
                    session,
                    None,
                    centre_id=centre.id,
                    kind=StorageKind.SHELF,
                    code=f"R{r}-{s}",
                    name=f"{s}号架",
                    parent_id=room.id,
                )
                for b in range(1, 6):
                    bins.append(
                        accounts.create_location(
                            session,
                            None,
                            centre_id=centre.id,
                            kind=StorageKind.BIN,
                            code=f"R{r}-{s}-{b:02d}",
                            name=f"{b:02d}格",
                            parent_id=shelf.id,
                        ).id
                    )
        session.flush()
        paths = {loc_id: session.get(StorageLocation, loc_id).path for loc_id in bins}
        district = District(
            d,
            agencies[AgencyKind.POLICE].id,
            agencies[AgencyKind.PROCURATORATE].id,
            agencies[AgencyKind.COURT].id,
            agencies[AgencyKind.POLICE].code,
            bins,
            paths,
        )
        for role_name, kind, roles in (
            ("officer", AgencyKind.POLICE, (Role.OFFICER,)),
            ("keeper", AgencyKind.POLICE, (Role.KEEPER,)),
            ("prosecutor", AgencyKind.PROCURATORATE, (Role.OFFICER,)),
            ("judge", AgencyKind.COURT, (Role.OFFICER,)),
        ):
            user = accounts.create_user(
                session,
                None,
                username=f"d{d:02d}.{role_name}",
                display_name=f"{d}区{role_name}",
                agency_id=agencies[kind].id,
                roles=roles,
                password=PASSWORD,
            )
            district.users[role_name] = actor_for(user)
        districts.append(district)
    session.commit()
    return districts


# -- bulk items and events -------------------------------------------------------------------------


class Collector:
    """Stands in for the session where the services' event functions add what they record."""

    def __init__(self) -> None:
        self.added: list[Any] = []

    def add(self, obj: Any) -> None:
        self.added.append(obj)

    def flush(self) -> None:  # the rows are written in bulk afterwards
        pass


def registration_data(item: Any, list_no: str) -> dict[str, Any]:
    """What ``services.items.register_on_case`` records for a registration (the same keys)."""
    from custody.services import item_events
    from custody.services.items import owner_data_digest

    if hasattr(item_events, "registration_data"):  # the complete registration record (replay)
        return {**item_events.registration_data(item), "seizure_list_no": list_no}
    return {
        "label_code": item.label_code,
        "name": item.name,
        "category": item.category,
        "quantity": item.quantity,
        "unit": item.unit,
        "features": item.features,
        "estimated_value_fen": item.estimated_value_fen,
        "details": item.details,
        "measure_doc_no": item.measure_doc_no,
        "measure_date": item.measure_date,
        "seizure_list_no": list_no,
        "personal_data_sha256": owner_data_digest(item),
    }


def _row(obj: Any, columns: list[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in columns}


class Bulk:
    """Items and their events for one batch, written with the services' functions, inserted in bulk."""

    def __init__(self, session, next_item_id: int, next_event_id: int) -> None:
        from sqlalchemy import inspect

        from custody.models.audit import AuditEvent
        from custody.models.item import Item

        self.session = session
        self.item_columns = [c.key for c in inspect(Item).column_attrs]
        self.event_columns = [c.key for c in inspect(AuditEvent).column_attrs]
        self.next_item_id = next_item_id
        self.next_event_id = next_event_id
        self.items: list[Any] = []
        self.collector = Collector()

    def event(self, item, actor, action: str, when: datetime, **kwargs: Any) -> None:
        from custody.domain import clock
        from custody.services.item_events import append_item_event

        with clock.use(clock.PinnedClock(when + timedelta(minutes=1))):  # recorded as it happened
            event = append_item_event(self.collector, item, actor, action, occurred_at=when, **kwargs)
        event.id = self.next_event_id
        self.next_event_id += 1

    def item(
        self, case_id: int, list_id: int, list_no: str, label: str, actor, seized_at: datetime, kind: str
    ):
        """One goods item registered on ``case_id``'s list (``kind``: seized, with_holder, sealed, frozen)."""
        from custody.domain.clock import local_date
        from custody.domain.enums import (
            CustodyState,
            DispositionStatus,
            ExternalKind,
            ItemCategory,
            LocationState,
            Measure,
        )
        from custody.domain.items import SEALED_IN_PLACE
        from custody.models.item import Item
        from custody.services.items import WITH_HOLDER_PLACE

        measure, location, external, place = {
            "seized": (Measure.SEIZED, LocationState.AWAITING_CHECK_IN, None, None),
            "with_holder": (
                Measure.REGISTERED_KEPT,
                LocationState.WITH_HOLDER,
                ExternalKind.WITH_HOLDER,
                WITH_HOLDER_PLACE,
            ),
            "sealed": (Measure.SEALED, LocationState.EXTERNAL, ExternalKind.OTHER, SEALED_IN_PLACE),
        }[kind]
        item = Item(
            id=self.next_item_id,
            label_code=label,
            case_id=case_id,
            seizure_list_id=list_id,
            name=f"涉案物品{self.next_item_id}",
            category=ItemCategory.GOODS,
            quantity=Decimal("1.000"),
            unit="件",
            details={},
            ownership_clear=False,
            is_perishable=False,
            measure=measure,
            measure_doc_no="沪公扣字[2026]1号",
            measure_date=local_date(seized_at),
            seized_at=seized_at,
            seized_by_id=actor.user_id,
            registered_at=seized_at + timedelta(minutes=1),
            custodian_agency_id=actor.agency_id,
            custody_state=CustodyState.HELD,
            location_state=location,
            external_kind=external,
            external_place=place,
            disposition_status=DispositionStatus.NONE,
            personal_data_salt=secrets.token_hex(16),
            event_count=0,
            version=1,
        )
        self.next_item_id += 1
        self.event(item, actor, "item.register", seized_at, data=registration_data(item, list_no))
        self.items.append(item)
        return item

    def check_in(self, item, keeper, location_id: int, path: str, when: datetime) -> None:
        from custody.domain.enums import LocationState
        from custody.services.item_events import item_snapshot

        before = item_snapshot(item)
        item.location_state = LocationState.IN_STORAGE
        item.storage_location_id = location_id
        item.external_kind = item.external_place = item.external_contact = None
        item.checked_in_at = when
        self.event(
            item,
            keeper,
            "item.check_in",
            when,
            before=before,
            data={
                "location_path": path,
                "condition": None,
                "hours_since_seizure": round((when - item.seized_at).total_seconds() / 3600, 1),
            },
        )

    def move(self, item, keeper, location_id: int, path: str, when: datetime) -> None:
        from custody.services.item_events import item_snapshot

        before = item_snapshot(item)
        item.storage_location_id = location_id
        self.event(item, keeper, "item.move", when, before=before, data={"location_path": path})

    def condition(self, item, keeper, text: str, when: datetime) -> None:
        previous = item.condition
        item.condition = text
        self.event(
            item,
            keeper,
            "item.condition",
            when,
            data={"before": {"condition": previous}, "after": {"condition": text}},
        )

    def write(self) -> int:
        """Insert the batch's items and events and append the events to the log; commit."""
        from sqlalchemy import insert

        from custody.audit.ledger import settings_if_available
        from custody.audit.sequencer import append
        from custody.models.audit import AuditEvent
        from custody.models.item import Item

        events = self.collector.added
        if self.items:
            self.session.execute(insert(Item), [_row(i, self.item_columns) for i in self.items])
        if events:
            self.session.execute(insert(AuditEvent), [_row(e, self.event_columns) for e in events])
            append(self.session, events, settings_if_available())
        self.session.commit()
        written = len(events)
        self.items, self.collector = [], Collector()
        return written


# -- the city --------------------------------------------------------------------------------------


@dataclass
class City:
    url: str
    items: int
    events: int
    districts: list[District]
    sample_item: int = 0
    sample_case: int = 0
    seconds: float = 0.0


def _now() -> datetime:
    from custody.domain import clock

    return clock.now()


def build_city(
    url: str, folder: Path, *, items: int, events_per_item: int, districts: int, signing_key: str
) -> City:
    """Migrate, seed the demo accounts, then the districts, their cases, items and events."""
    from sqlalchemy import func, select, text

    from custody.domain import clock
    from custody.domain.enums import ItemCategory, Measure, TransferKind
    from custody.extensions import db
    from custody.models.audit import AuditEvent
    from custody.models.case import SeizureList
    from custody.models.item import Item
    from custody.services import cases, numbers, storage, transfers
    from custody.services import items as item_service
    from tests.conftest import build_app, migrate_and_seed

    started = time.perf_counter()
    migrate_and_seed(url, folder)
    app = build_app(url, folder, CUSTODY_LEDGER_SIGNING_KEY=signing_key, CUSTODY_CHECKPOINT_EVERY_EVENTS=0)
    rng = random.Random(15)
    with app.app_context():
        session = db.session
        city = City(url, items, 0, reference_data(session, districts))
        now = _now()
        cases_per_district = max(1, items // ITEMS_PER_CASE // districts)
        label_numbers: dict[str, int] = {}
        # 1. Through the services: each case, its first item (with the seizure list) and its check-in;
        #    the active work (items awaiting check-in, transfers awaiting sign-for) of each district.
        plan = []  # (district, case id, list id, list no, filed_on)
        # The districts work at once: their cases (and so their items' ids) interleave, as in a city.
        # Built one district after another, district 1's items had the lowest ids, and a list of its
        # newest items walked the whole city's id index before finding them.
        for c in range(cases_per_district):
            for district in city.districts:
                officer = district.users["officer"]
                filed_on = (now - timedelta(days=rng.randint(30, 3 * 365))).date()
                with clock.use(
                    clock.PinnedClock(
                        datetime.combine(filed_on, datetime.min.time(), UTC) + timedelta(days=1)
                    )
                ):
                    case = cases.open_case(
                        session,
                        officer,
                        police_case_no=f"D{district.number:02d}立字[{filed_on.year}]{c + 1:06d}号",
                        title=f"第{district.number}区第{c + 1}号案",
                        filed_on=filed_on,
                    )
                    first = item_service.register_item(  # 登记保存: stays with its holder
                        session,
                        officer,
                        case.id,
                        item_service.ItemInput(
                            name="涉案物品",
                            category=ItemCategory.GOODS,
                            quantity=1,
                            unit="件",
                            measure=Measure.REGISTERED_KEPT,
                            measure_doc_no="沪公登保字[2026]1号",
                        ),
                    )
                seizure_list = session.get(SeizureList, first.seizure_list_id)
                plan.append((district, case.id, seizure_list.id, seizure_list.list_no, filed_on))
            if c % 5 == 4:
                session.commit()
        for district in city.districts:  # the active work of each district, on its newest cases
            officer, keeper = district.users["officer"], district.users["keeper"]
            own = [entry for entry in plan if entry[0] is district]
            for n in range(ACTIVE_AWAITING):
                item_service.register_item(
                    session,
                    officer,
                    own[-1 - (n % len(own))][1],
                    item_service.ItemInput(
                        name="待入库物品",
                        category=ItemCategory.GOODS,
                        quantity=1,
                        unit="件",
                        measure_doc_no="沪公扣字[2026]2号",
                        seized_at=now - timedelta(hours=rng.randint(1, 30)),
                    ),
                )
            for n in range(min(ACTIVE_TRANSFERS, len(own))):
                case_id = own[-1 - n][1]
                stored = item_service.register_item(
                    session,
                    officer,
                    case_id,
                    item_service.ItemInput(
                        name="移送物品",
                        category=ItemCategory.GOODS,
                        quantity=1,
                        unit="件",
                        measure_doc_no="沪公扣字[2026]3号",
                        seized_at=now - timedelta(hours=6),  # checked in within the 24 hours
                    ),
                )
                storage.check_in(session, keeper, stored.id, location_id=rng.choice(district.bins))
                held = list(
                    session.scalars(
                        select(Item.id).where(Item.case_id == case_id, Item.location_state == "in_storage")
                    )
                )
                transfers.propose_transfer(
                    session,
                    officer,
                    case_id=case_id,
                    to_agency_id=district.procuratorate,
                    kind=TransferKind.PROSECUTION,
                    item_ids=held,
                )
            session.commit()
        city.sample_case = plan[0][1]
        city.sample_item = session.scalar(select(func.min(Item.id)).where(Item.case_id == plan[0][1]))
        print(f"  services: {len(plan)} cases in {time.perf_counter() - started:.0f} s", file=sys.stderr)

        # 2. In bulk: the other items of each case, and their histories.
        sent = {
            row for row in session.scalars(select(Item.case_id).where(Item.custody_state == "in_transfer"))
        }
        next_item = (session.scalar(select(func.max(Item.id))) or 0) + 1
        next_event = (session.scalar(select(func.max(AuditEvent.id))) or 0) + 1
        bulk = Bulk(session, next_item, next_event)
        bulk_cases: dict[int, int] = {}
        for district, case_id, *_ in plan:
            if case_id not in sent:
                bulk_cases[district.number] = bulk_cases.get(district.number, 0) + 1
        for district in city.districts:  # reserve the bulk items' label numbers, as an import does
            count = bulk_cases.get(district.number, 0) * (ITEMS_PER_CASE - 1)
            if count:
                first = numbers.next_number(session, f"label:{district.police_code}", now.year, count)
                label_numbers[district.police_code] = first - 1
        session.commit()
        kinds = ["seized"] if events_per_item >= 2 else ["with_holder", "sealed", "with_holder", "seized"]
        written = 0
        for district, case_id, list_id, list_no, filed_on in plan:
            if case_id in sent:
                continue  # its items are offered in a transfer: keep them as the services left them
            officer, keeper = district.users["officer"], district.users["keeper"]
            for _ in range(ITEMS_PER_CASE - 1):
                label_numbers[district.police_code] += 1
                label = f"{district.police_code}-{now.year}-{label_numbers[district.police_code]:06d}"
                seized_at = datetime.combine(filed_on, datetime.min.time(), UTC) + timedelta(
                    days=1, hours=rng.randint(1, 20)
                )
                kind = kinds[bulk.next_item_id % len(kinds)]
                item = bulk.item(case_id, list_id, list_no, label, officer, seized_at, kind)
                if kind != "seized":
                    continue
                when = seized_at + timedelta(hours=rng.randint(2, 20))
                location = rng.choice(district.bins)
                bulk.check_in(item, keeper, location, district.paths[location], when)
                for e in range(events_per_item - 2):
                    when += timedelta(days=rng.randint(1, 30))
                    if e % 2 == 0:
                        location = rng.choice(district.bins)
                        bulk.move(item, keeper, location, district.paths[location], when)
                    else:
                        bulk.condition(item, keeper, f"封存完好（第{e}次检查）", when)
            if len(bulk.items) >= BATCH:
                written += bulk.write()
                print(f"  bulk: {written:,} events", file=sys.stderr, end="\r")
        written += bulk.write()
        if session.get_bind().dialect.name == "postgresql":
            for table in ("item", "audit_event"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
        session.commit()
        from custody.audit.ledger import create_checkpoint, settings_if_available

        create_checkpoint(session, settings_if_available(), only_if_grown=True)
        session.commit()
        city.items = session.scalar(select(func.count()).select_from(Item))
        city.events = session.scalar(select(func.count()).select_from(AuditEvent))
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
        session.remove()
        db.engine.dispose()
    city.seconds = time.perf_counter() - started
    print(f"  built: {city.items:,} items, {city.events:,} events in {city.seconds:.0f} s", file=sys.stderr)
    return city


# -- measuring -------------------------------------------------------------------------------------


def _timed(call, repeat: int) -> float:
    """The median wall time of ``call`` in milliseconds (after one warm-up call)."""
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return stats.median(times)


def measure_city(
    city: City, folder: Path, signing_key: str, repeat: int, *, verify: bool = True
) -> dict[str, float]:
    app, results = page_calls(city, folder, signing_key)
    timings = {name: _timed(call, repeat) for name, call in results.items()}
    return finish(app, timings, verify)


def finish(app, timings: dict[str, float], verify: bool) -> dict[str, float]:
    # An export is as long as the ledger: its time per 1,000 rows is what should not grow.
    rows = ledger_rows_exported(app)
    timings["ledger export (XLSX, per 1,000 rows)"] = timings["ledger export (XLSX)"] / max(rows, 1) * 1000
    if verify:
        timings.update(verification(app))
    return timings


def page_calls(city: City, folder: Path, signing_key: str) -> tuple[Any, dict[str, Any]]:
    """The app on ``city`` and, for each measured page, a call that sends its request once."""
    import re

    from config import load_config
    from custody import create_app

    env = {
        "CUSTODY_CONFIG": "production",
        "SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "DATABASE_URL": city.url,
        "CUSTODY_LEDGER_SIGNING_KEY": signing_key,
        "CUSTODY_INSTANCE_PATH": str(folder / "instance"),
    }
    app = create_app(load_config("production", env))
    with app.app_context():  # a city built before a new migration (``measure``) gets it first
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
    # The same server computing the statistics on every request, as when the figures kept for
    # CUSTODY_STATISTICS_MAX_AGE_SECONDS are older than that (the first request of a scope).
    computing = create_app(load_config("production", {**env, "CUSTODY_STATISTICS_MAX_AGE_SECONDS": "0"}))

    def page_client(username: str):
        client = app.test_client()
        body = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body).group(1)
        answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
        return client

    api = app.test_client()

    def bearer(username: str) -> dict[str, str]:
        answer = api.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
        return {"Authorization": f"Bearer {answer.json['token']}"}

    officer_api, keeper_api = bearer("d01.officer"), bearer("d01.keeper")
    keeper, prosecutor, officer = (
        page_client("d01.keeper"),
        page_client("d01.prosecutor"),
        page_client("d01.officer"),
    )

    def ok(response):
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return response

    results = {
        "item page (HTML)": lambda: ok(officer.get(f"/items/{city.sample_item}")),
        "item (API)": lambda: ok(api.get(f"/api/v1/items/{city.sample_item}", headers=officer_api)),
        "list, filtered (API, 50)": lambda: ok(
            api.get(
                "/api/v1/items?page_size=50&status=in_storage&category=goods&custodian=police",
                headers=officer_api,
            )
        ),
        "keeper inbox (HTML)": lambda: ok(keeper.get("/")),
        "prosecutor inbox (HTML)": lambda: ok(prosecutor.get("/")),
        "alerts (API)": lambda: ok(api.get("/api/v1/alerts/summary", headers=keeper_api)),
        "statistics (API, computed)": lambda: ok(
            computing.test_client().get("/api/v1/statistics", headers=keeper_api)
        ),
        "statistics (API, kept ≤ 5 min)": lambda: ok(api.get("/api/v1/statistics", headers=keeper_api)),
        "ledger export (XLSX)": lambda: ok(keeper.get("/oversight/ledger/export?scope=agency&format=xlsx")),
    }

    def first_bytes():
        """The streamed CSV ledger up to its first chunk (the count, the header and the first rows)."""
        response = keeper.get("/oversight/ledger/export?scope=agency&format=csv", buffered=False)
        assert response.status_code == 200
        next(iter(response.response))
        response.close()

    results["ledger export (CSV, first chunk)"] = first_bytes
    return app, results


def ledger_rows_exported(app) -> int:
    """Rows of the keeper's agency ledger (district 1's police: the items in its custody)."""
    from sqlalchemy import func, select

    from custody.extensions import db
    from custody.models.agency import Agency
    from custody.models.item import Item

    with app.app_context():
        agency = select(Agency.id).where(Agency.code == "D01GA").scalar_subquery()
        rows = db.session.scalar(
            select(func.count()).select_from(Item).where(Item.custodian_agency_id == agency)
        )
        db.session.remove()
    return rows or 0


# New events before the incremental verification: a district keeper's condition records (one event
# each, on stored items), as a shift's work between two runs of ``verify-audit --since-last``.
NEW_EVENTS = 100


def verification(app) -> dict[str, float]:
    """``verify-audit`` over the whole record, in events per second; then, from that run (recorded as
    the CLI records it), ``verify-audit --since-last`` after ``NEW_EVENTS`` new events — its cost
    should grow with those alone, not with the city (``custody/audit/incremental.py``)."""
    from sqlalchemy import select

    from custody.audit.incremental import verify_since_mark
    from custody.audit.ledger import create_checkpoint, current_settings
    from custody.audit.service import record_ledger_verification
    from custody.audit.verification import snapshot_session, verify_ledger
    from custody.domain.actor import Origin
    from custody.domain.enums import LocationState
    from custody.extensions import db
    from custody.models.agency import Agency
    from custody.models.item import Item
    from custody.models.user import User
    from custody.services import storage
    from custody.services.context import actor_for

    with app.app_context():
        settings = current_settings()
        started = time.perf_counter()
        with snapshot_session(db.engine) as session:
            report = verify_ledger(session, settings)
        seconds = time.perf_counter() - started
        if not report.ok:
            print(f"  verify-audit FAILED: {[p.text() for p in report.problems[:5]]}", file=sys.stderr)
            db.session.remove()
            return {"verify-audit (events/s)": report.events / seconds if seconds else 0.0}
        record_ledger_verification(db.session, report, origin=Origin.cli())
        db.session.commit()

        keeper = actor_for(db.session.scalar(select(User).where(User.username == "d01.keeper")))
        agency = select(Agency.id).where(Agency.code == "D01GA").scalar_subquery()
        stored = db.session.scalars(
            select(Item.id)
            .where(Item.custodian_agency_id == agency, Item.location_state == LocationState.IN_STORAGE)
            .order_by(Item.id.desc())
            .limit(NEW_EVENTS)
        ).all()
        for item_id in stored:
            storage.record_condition(db.session, keeper, item_id, condition="外观完好，封条完整")
            db.session.commit()

        # As ``verify-audit --since-last`` runs: sign the head if it grew, then check what is new.
        started = time.perf_counter()
        create_checkpoint(db.session, settings, only_if_grown=True)
        db.session.commit()
        with snapshot_session(db.engine) as session:
            since = verify_since_mark(session, settings)
        incremental_ms = (time.perf_counter() - started) * 1000
        db.session.remove()
    if not since.ok or since.events < len(stored):
        print(
            f"  verify-audit --since-last FAILED: {[p.text() for p in since.problems[:5]]}", file=sys.stderr
        )
    print(
        f"  since the last verification: {since.events} events, {since.items} items replayed", file=sys.stderr
    )
    return {
        "verify-audit (events/s)": report.events / seconds if seconds else 0.0,
        f"verify-audit --since-last ({NEW_EVENTS} new events)": incremental_ms,
    }


def compare(args: argparse.Namespace) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = base64.b64encode(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    ).decode()
    work = args.work or Path(tempfile.mkdtemp(prefix="seed-scale-"))
    rows = []
    try:
        for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
            measured = {}
            for label, total in (("small", round(10_000 * args.scale)), ("large", round(ITEMS * args.scale))):
                folder = work / f"{engine}-{label}"
                folder.mkdir(parents=True)
                (folder / "bench_signing_key").write_text(key)  # for ``measure --verify``
                url = _database(engine, args.pg_url, f"{args.pg_prefix}_{label}", folder)
                print(f"[{engine}] {label}: {total:,} items", file=sys.stderr)
                city = build_city(
                    url,
                    folder,
                    items=total,
                    events_per_item=EVENTS_PER_ITEM[engine],
                    districts=args.districts,
                    signing_key=key,
                )
                measured[label] = (city, measure_city(city, folder, key, args.repeat))
                for name, value in measured[label][1].items():
                    print(f"  {name:28} {value:10.1f}", file=sys.stderr)
            rows += ratio_rows(engine, measured)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    report(rows, args.markdown)


def ratio_rows(engine: str, measured: dict[str, Any]) -> list[tuple[Any, ...]]:
    (small_city, small), (large_city, large) = measured["small"], measured["large"]
    rows = []
    for name in small:
        per_second = name.endswith("/s)")
        ratio = (small[name] / large[name]) if per_second else (large[name] / small[name])
        rows.append((engine, name, small[name], large[name], ratio, small_city, large_city))
    return rows


def report(rows: list[tuple[Any, ...]], markdown: Path | None) -> None:
    table = ["| engine | measure | small | large | large ÷ small (slowdown) |", "|---|---|---|---|---|"]
    for engine, name, small_value, large_value, ratio, sc, lc in rows:
        unit = "" if name.endswith("/s)") else " ms"
        table.append(
            f"| {engine} ({sc.items:,} → {lc.items:,} items, {sc.events:,} → {lc.events:,} events) | {name} "
            f"| {small_value:,.1f}{unit} | {large_value:,.1f}{unit} | {ratio:.2f}{' ✗' if ratio > 1.5 else ''} |"
        )
    print("\n".join(table))
    if markdown:
        markdown.write_text("\n".join(table) + "\n")


def remeasure(args: argparse.Namespace) -> None:
    """Time the pages again on the cities a ``compare --work DIR`` left (after a change to the app):
    both apps in one process, each page's requests to the small and the large city alternating."""
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.engine import make_url

    from config import normalise_database_url
    from custody.models.audit import AuditEvent
    from custody.models.case import Case
    from custody.models.item import Item

    measured, cities = {}, {}
    for label in ("small", "large"):
        folder = args.work / f"{args.engine}-{label}"
        if args.engine == "sqlite":
            url = f"sqlite:///{folder}/city.db"
        else:
            base = make_url(normalise_database_url(args.pg_url))
            url = base.set(database=f"{args.pg_prefix}_{label}").render_as_string(hide_password=False)
        engine = create_engine(url)
        with engine.connect() as conn:
            first_case = select(func.min(Case.id)).where(Case.police_case_no.like("D01%")).scalar_subquery()
            city = City(
                url,
                conn.scalar(select(func.count()).select_from(Item)) or 0,
                conn.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                [],
                sample_item=conn.scalar(select(func.min(Item.id)).where(Item.case_id == first_case)) or 0,
            )
        engine.dispose()
        key_file = folder / "bench_signing_key"
        key = (key_file if key_file.exists() else folder / "ledger_signing_key").read_text().strip()
        print(f"[{args.engine}] {label}: {city.items:,} items", file=sys.stderr)
        cities[label] = (city, *page_calls(city, folder, key))
    # The two cities' requests alternate, so that the load of a shared machine weighs on both alike.
    timings: dict[str, dict[str, float]] = {"small": {}, "large": {}}
    for name in cities["small"][2]:
        samples: dict[str, list[float]] = {"small": [], "large": []}
        for label in ("small", "large"):
            cities[label][2][name]()  # warm-up
        for _ in range(args.repeat):
            for label in ("small", "large"):
                started = time.perf_counter()
                cities[label][2][name]()
                samples[label].append((time.perf_counter() - started) * 1000)
        for label in ("small", "large"):
            timings[label][name] = stats.median(samples[label])
        print(f"  {name:36} {timings['small'][name]:10.1f} {timings['large'][name]:10.1f}", file=sys.stderr)
    for label in ("small", "large"):
        city, app, _calls = cities[label]
        measured[label] = (city, finish(app, timings[label], args.verify))
    report(ratio_rows(args.engine, measured), args.markdown)


def _database(engine: str, pg_url: str, name: str, folder: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{folder}/city.db"
    from bench.http_ratios import _pg_database

    return _pg_database(pg_url, name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build one city database")
    build.add_argument("--url", required=True, help="an empty database (migrated here)")
    build.add_argument("--scale", type=float, default=1.0, help="items = 200,000 × scale")
    build.add_argument(
        "--events-per-item", type=int, default=None, help="default: 10 on PostgreSQL, 1 on SQLite"
    )
    build.add_argument("--districts", type=int, default=DISTRICTS)
    cmp = commands.add_parser("compare", help="10,000 vs 200,000 items (× scale): time the pages")
    cmp.add_argument("--engines", default="sqlite,postgresql")
    cmp.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    cmp.add_argument(
        "--pg-prefix",
        default="custody_scale",
        help="PostgreSQL databases <prefix>_small, <prefix>_large (dropped first)",
    )
    cmp.add_argument("--scale", type=float, default=1.0)
    cmp.add_argument("--districts", type=int, default=DISTRICTS)
    cmp.add_argument("--repeat", type=int, default=7, help="timed requests per page (median)")
    cmp.add_argument("--markdown", type=Path)
    cmp.add_argument(
        "--work", type=Path, help="keep the SQLite cities and instance folders here (default: removed)"
    )
    again = commands.add_parser("measure", help="time the pages again on the cities of compare --work")
    again.add_argument("--engine", choices=("sqlite", "postgresql"), required=True)
    again.add_argument("--work", type=Path, required=True)
    again.add_argument("--pg-url", default=cmp.get_default("pg_url"))
    again.add_argument("--pg-prefix", default="custody_scale")
    again.add_argument("--repeat", type=int, default=7)
    again.add_argument("--verify", action="store_true", help="run verify-audit too (needs the build's key)")
    again.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    if args.command == "measure":
        remeasure(args)
    elif args.command == "build":
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = base64.b64encode(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
        ).decode()
        engine = "postgresql" if args.url.startswith("postgres") else "sqlite"
        folder = Path(tempfile.mkdtemp(prefix="seed-scale-"))
        city = build_city(
            args.url,
            folder,
            items=round(ITEMS * args.scale),
            events_per_item=args.events_per_item or EVENTS_PER_ITEM[engine],
            districts=args.districts,
            signing_key=key,
        )
        print(f"{city.items:,} items, {city.events:,} events; signing key (base64 seed): {key}")
    else:
        compare(args)


if __name__ == "__main__":
    main()
