"""Pudong demo data: three agencies, one shared centre, storage locations and demo accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from custody.domain.enums import AgencyKind, Role, StorageHolds, StorageKind
from custody.models.agency import Agency, CustodyCentre
from custody.models.user import User
from custody.security import hash_password, verify_password
from custody.services import accounts

DEMO_AGENCIES = (
    ("PDGA", "浦东公安分局", AgencyKind.POLICE),
    ("PDJC", "浦东新区人民检察院", AgencyKind.PROCURATORATE),
    ("PDFY", "浦东新区人民法院", AgencyKind.COURT),
)
DEMO_CENTRE = ("PDZX", "浦东新区涉案财物管理中心", "上海市浦东新区")

# (code, name, kind, children)
DEMO_LOCATIONS = (
    (
        "R1",
        "一号库房（一般物品）",
        StorageKind.ROOM,
        (
            (
                "R1-A",
                "A架",
                StorageKind.SHELF,
                (
                    ("R1-A-01", "01格", StorageKind.BIN, ()),
                    ("R1-A-02", "02格", StorageKind.BIN, ()),
                    ("R1-A-03", "03格", StorageKind.BIN, ()),
                ),
            ),
            (
                "R1-B",
                "B架",
                StorageKind.SHELF,
                (("R1-B-01", "01格", StorageKind.BIN, ()), ("R1-B-02", "02格", StorageKind.BIN, ())),
            ),
        ),
    ),
    (
        "R2",
        "二号库房（贵重物品）",
        StorageKind.ROOM,
        (
            (
                "R2-S1",
                "1号保险柜",
                StorageKind.SHELF,
                (("R2-S1-01", "上层", StorageKind.BIN, ()), ("R2-S1-02", "下层", StorageKind.BIN, ())),
            ),
        ),
    ),
    (
        "R3",
        "三号库房（电子产品）",
        StorageKind.ROOM,
        (
            (
                "R3-A",
                "A架",
                StorageKind.SHELF,
                (("R3-A-01", "01格", StorageKind.BIN, ()), ("R3-A-02", "02格", StorageKind.BIN, ())),
            ),
        ),
    ),
    (
        "Y1",
        "车辆停放区",
        StorageKind.ROOM,
        (
            (
                "Y1-A",
                "A区",
                StorageKind.SHELF,
                (("Y1-A-01", "01车位", StorageKind.BIN, ()), ("Y1-A-02", "02车位", StorageKind.BIN, ())),
            ),
        ),
    ),
)
# What the rooms are made for (their shelves and bins inherit it); the others hold general items.
DEMO_HOLDS = {"R2": StorageHolds.VALUABLES, "Y1": StorageHolds.VEHICLES}

# agency code → (bank, account number, account name) of its case-money account (涉案款专户)
DEMO_MONEY_ACCOUNTS = {
    "PDGA": ("中国工商银行上海浦东分行", "1001 2345 6789 0001", "浦东公安分局涉案款专户"),
    "PDJC": ("中国建设银行上海浦东分行", "3100 1234 5678 0002", "浦东检察院涉案款专户"),
    "PDFY": ("中国农业银行上海浦东分行", "0333 0000 1111 0003", "浦东法院涉案款专户"),
}

# (username, display name, agency code, roles)
DEMO_USERS = (
    ("police_officer", "王建国", "PDGA", (Role.OFFICER,)),
    ("police_approver", "李振华", "PDGA", (Role.APPROVER,)),
    ("police_keeper", "张丽", "PDGA", (Role.KEEPER,)),
    ("prosecutor", "陈静", "PDJC", (Role.OFFICER,)),
    ("prosecutor_approver", "刘明", "PDJC", (Role.APPROVER,)),
    ("procuratorate_keeper", "赵敏", "PDJC", (Role.KEEPER,)),
    ("judge", "周正", "PDFY", (Role.OFFICER,)),
    ("court_approver", "吴昊", "PDFY", (Role.APPROVER,)),
    ("court_keeper", "郑芳", "PDFY", (Role.KEEPER,)),
    # Heads approve what the law reserves to them (e.g. early sale: 主要负责人、检察长、院长).
    ("police_head", "钱国强", "PDGA", (Role.HEAD,)),
    ("procuratorate_head", "孙检察长", "PDJC", (Role.HEAD,)),
    ("court_head", "冯院长", "PDFY", (Role.HEAD,)),
    # The procuratorate is the legal supervision organ (法律监督机关): the auditor sits there.
    ("auditor", "孙立", "PDJC", (Role.AUDITOR,)),
    ("admin", "系统管理员", "PDGA", (Role.ADMIN,)),
)


def _create_locations(session: Session, centre: CustodyCentre, nodes, parent_id: int | None) -> None:
    for code, name, kind, children in nodes:
        location = accounts.create_location(
            session,
            None,
            centre_id=centre.id,
            kind=kind,
            code=code,
            name=name,
            parent_id=parent_id,
            holds=DEMO_HOLDS.get(code),
        )
        _create_locations(session, centre, children, location.id)


def seed_demo(session: Session, password: str, mfa_roles: frozenset[Role] | None = None) -> bool:
    """Create the demo reference data and accounts unless present. Returns True if created.

    Demo accounts always end up with ``password`` (so a changed CUSTODY_DEMO_PASSWORD applies).
    Demo accounts whose roles need a second factor (``mfa_roles``, default administrators and
    approvers) are enrolled with a fresh random TOTP secret, which ``flask custody seed-demo``
    prints; ``flask custody demo-otp`` shows their current code outside production.
    """
    from custody.services import mfa

    roles_needing_mfa = mfa.required_roles(None) if mfa_roles is None else mfa_roles
    created = False
    agencies: dict[str, Agency] = {a.code: a for a in session.scalars(select(Agency))}
    for code, name, kind in DEMO_AGENCIES:
        if code not in agencies:
            agencies[code] = accounts.create_agency(session, None, code=code, name=name, kind=kind)
            created = True

    centre = session.scalar(select(CustodyCentre).where(CustodyCentre.code == DEMO_CENTRE[0]))
    if centre is None:
        centre = accounts.create_centre(
            session, None, code=DEMO_CENTRE[0], name=DEMO_CENTRE[1], address=DEMO_CENTRE[2]
        )
        _create_locations(session, centre, DEMO_LOCATIONS, None)
        created = True

    existing = {u.username: u for u in session.scalars(select(User))}
    for username, display_name, agency_code, roles in DEMO_USERS:
        user = existing.get(username)
        if user is None:
            user = accounts.create_user(
                session,
                None,
                username=username,
                display_name=display_name,
                agency_id=agencies[agency_code].id,
                roles=roles,
                password=password,
                locale="zh_CN",
            )
            created = True
        elif not verify_password(user.password_hash, password):
            user.password_hash = hash_password(password)
        if user.totp_secret is None and mfa.is_required(user, roles_needing_mfa):
            mfa.enrol_directly(session, user)
    session.flush()
    # Each agency's case-money account (涉案款专户), so cash can be deposited from the first day.
    from custody.models.money import MoneyAccount
    from custody.services import money

    held = set(session.scalars(select(MoneyAccount.agency_id)))
    for code, (bank, number, name) in DEMO_MONEY_ACCOUNTS.items():
        if agencies[code].id not in held:
            money.create_account(
                session, None, agency_id=agencies[code].id, bank=bank, account_no=number, account_name=name
            )
            created = True
    session.flush()
    return created


def seed_demo_cases(session: Session) -> int:
    """A few cases in different states, made through the services (so every step is recorded and
    in the ledger), so each demo user's inbox has something in it. Returns the number of cases."""
    from datetime import timedelta

    from custody.domain.enums import ExternalKind, ItemCategory, Measure, TransferKind
    from custody.domain.lifecycle import CheckoutPurpose, CounterpartyKind, FreezeAssetType
    from custody.models.agency import StorageLocation
    from custody.models.case import Case
    from custody.orm import utcnow
    from custody.services import cases, checkouts, freezes, items, storage, transfers
    from custody.services.context import actor_for

    if session.scalar(select(Case.id)) is not None:
        return 0
    users = {u.username: actor_for(u) for u in session.scalars(select(User))}
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    bins = {loc.code: loc.id for loc in session.scalars(select(StorageLocation))}
    officer, keeper = users["police_officer"], users["police_keeper"]
    now = utcnow()

    def register(case_id: int, name: str, category: ItemCategory, hours_ago: float, **extra):
        return items.register_item(
            session,
            officer,
            case_id,
            items.ItemInput(
                name=name,
                category=category,
                quantity=extra.pop("quantity", 1),
                unit=extra.pop("unit", "件"),
                measure_doc_no="沪公(浦)扣字[2026]1001号",
                seized_at=now - timedelta(hours=hours_ago),
                **extra,
            ),
        )

    # 1. A fraud case ready for prosecution review: stored phones and cash, a frozen account, a car at
    #    an impound lot; the transfer waits for the procuratorate to sign for it.
    fraud = cases.open_case(
        session,
        officer,
        police_case_no="沪公(浦)立字[2026]1001号",
        title="张某某电信网络诈骗案",
        filed_on=(now - timedelta(days=20)).date(),
        summary="冒充客服诈骗，涉案手机、银行卡、现金。",
    )
    phones = [
        register(
            fraud.id,
            f"{colour}苹果手机",
            ItemCategory.PHONE,
            300,
            unit="部",
            details={"imei": imei, "brand_model": "iPhone 15"},
            estimated_value_fen=499900,
            owner_name="张某某",
            owner_id_no="310115199001011234",
            features=features,
        )
        for colour, imei, features in (
            ("黑色", "490154203237518", "屏幕右上角有裂痕"),
            ("白色", "356938035643809", "背面贴有卡通贴纸"),
        )
    ]
    cash = register(
        fraud.id,
        "人民币现金",
        ItemCategory.CASH,
        300,
        unit="元",
        quantity=128000,
        details={"amount_fen": 12_800_000, "denominations": {"10000": 1280}},
        estimated_value_fen=12_800_000,
    )
    account = register(
        fraud.id,
        "张某某工商银行账户",
        ItemCategory.BANK_ACCOUNT,
        300,
        unit="户",
        measure=Measure.FROZEN,
        details={
            "bank": "中国工商银行上海浦东分行",
            "account_no": "6222021001122334455",
            "account_name": "张某某",
        },
        external_kind=ExternalKind.BANK,
        external_place="中国工商银行上海浦东分行",
    )
    car = register(
        fraud.id,
        "黑色大众轿车",
        ItemCategory.VEHICLE,
        300,
        unit="辆",
        is_perishable=False,
        details={"plate": "沪A12345", "brand_model": "大众帕萨特"},
        estimated_value_fen=9_800_000,
        external_kind=ExternalKind.IMPOUND_LOT,
        external_place="浦东新区川沙扣押车辆停放场",
    )
    for item, code in ((phones[0], "R3-A-01"), (phones[1], "R3-A-01"), (cash, "R2-S1-01")):
        storage.check_in(
            session,
            keeper,
            item.id,
            location_id=bins[code],
            condition="封存完好",
            occurred_at=item.seized_at + timedelta(hours=3),
            reason="演示数据：按纸质入库登记补录",
        )
    freezes.create_freeze(
        session,
        officer,
        item_id=account.id,
        asset_type=FreezeAssetType.DEPOSIT,
        institution="中国工商银行上海浦东分行",
        account_no="6222021001122334455",
        amount_fen=52_000_000,
        start_on=(now - timedelta(days=170)).date(),
        notice_doc_no="沪公(浦)冻通[2026]1001号",
    )
    transfers.propose_transfer(
        session,
        officer,
        case_id=fraud.id,
        to_agency_id=agencies["PDJC"].id,
        kind=TransferKind.PROSECUTION,
        item_ids=[p.id for p in phones] + [cash.id, account.id, car.id],
    )

    # 2. A theft case still in investigation: one item awaits check-in past the 24-hour limit.
    theft = cases.open_case(
        session,
        officer,
        police_case_no="沪公(浦)立字[2026]1002号",
        title="李某盗窃案",
        filed_on=(now - timedelta(days=3)).date(),
    )
    register(
        theft.id,
        "金色项链",
        ItemCategory.VALUABLES,
        30,
        details={"weight_g": "15.2"},
        estimated_value_fen=860_000,
        owner_name="受害人王某",
        ownership_clear=True,
    )
    laptop = register(
        theft.id, "银色笔记本电脑", ItemCategory.ELECTRONICS, 5, details={"serial_no": "C02XK0ABJGH5"}
    )
    storage.check_in(session, keeper, laptop.id, location_id=bins["R3-A-02"], condition="外壳有划痕")

    # 3. A check-out for appraisal waiting for the police approver.
    checkouts.request_checkout(
        session,
        officer,
        item_ids=[laptop.id],
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=checkouts.CounterpartyInput(name="上海市公安局物证鉴定中心", kind=CounterpartyKind.LAB),
        due_at=now + timedelta(days=3),
        note="鉴定电脑中的数据",
    )
    session.flush()
    return 2
