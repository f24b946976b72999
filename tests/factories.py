"""Building blocks for custody tests: open a case, register and store items through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from custody.domain import clock
from custody.domain import clock as app_clock
from custody.domain.enums import AgencyKind, DispositionKind, ItemCategory, Role, StorageKind, TransferKind
from custody.extensions import db
from custody.models.agency import Agency, StorageLocation
from custody.services import accounts, cases, dispositions, items, milestones, storage, transfers
from custody.services.context import actor_for

from .conftest import TEST_PASSWORD, get_user


def act(username: str):
    return actor_for(get_user(username))


def agency(code: str) -> Agency:
    return db.session.scalar(select(Agency).where(Agency.code == code))


def location(code: str) -> StorageLocation:
    return db.session.scalar(select(StorageLocation).where(StorageLocation.code == code))


_case_counter = iter(range(1, 10_000))
FILED_DAYS_AGO = 3  # open_case files a case three local calendar days before the test's today


def open_case(title: str = "张某某诈骗案", **kwargs: Any):
    number = kwargs.pop("police_case_no", f"沪公(浦)立字[2026]{next(_case_counter):04d}号")
    case = cases.open_case(
        db.session,
        act("police_officer"),
        police_case_no=number,
        title=title,
        filed_on=clock.today() - timedelta(days=FILED_DAYS_AGO),
        **kwargs,
    )
    db.session.commit()
    return case


def register(
    case,
    name: str = "苹果手机",
    category: ItemCategory = ItemCategory.PHONE,
    *,
    username: str = "police_officer",
    **kwargs: Any,
):
    defaults: dict[str, Any] = {
        "quantity": 1,
        "unit": "部",
        "measure_doc_no": "沪公(浦)扣字[2026]88号",
        "seized_at": app_clock.now() - timedelta(hours=2),
    }
    if category is ItemCategory.PHONE:
        defaults["details"] = {"imei": "490154203237518", "brand_model": "iPhone 15"}
    defaults.update(kwargs)
    item = items.register_item(
        db.session, act(username), case.id, items.ItemInput(name=name, category=category, **defaults)
    )
    db.session.commit()
    return item


def stored_items(count: int = 3, case=None):
    """A case with ``count`` items registered by police and checked in by the police keeper."""
    case = case or open_case()
    bins = ["R1-A-01", "R1-A-02", "R3-A-01", "R1-B-01", "R1-B-02"]
    result = []
    for n in range(count):
        item = register(case, name=f"涉案物品{n + 1}", category=ItemCategory.GOODS)
        storage.check_in(
            db.session, act("police_keeper"), item.id, location_id=location(bins[n % len(bins)]).id
        )
        db.session.commit()
        result.append(item)
    return case, result


def send_to_procuratorate(case, item_ids):
    transfer = transfers.propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.PROSECUTION,
        item_ids=item_ids,
    )
    db.session.commit()
    return transfer


DROP_DECISION = "沪公(浦)撤字[2026]3号撤销案件决定书"
JUDGMENT_NO = "(2026)沪0115刑初88号"


def close_case(case, legal_basis: str = DROP_DECISION, reason: str = "不应追究刑事责任，撤销案件"):
    """The police drop the case (撤案): the decision on record lets its items be finally disposed of."""
    milestones.close_case(db.session, act("police_officer"), case.id, legal_basis=legal_basis, reason=reason)
    db.session.commit()
    return case


def handed_to_procuratorate(case, item_ids):
    """The items sent with the case and signed for by the procuratorate: it holds them now."""
    transfer = send_to_procuratorate(case, item_ids)
    transfers.decide_lines(
        db.session,
        act("prosecutor"),
        transfer.id,
        item_ids,
        accept=True,
        case_no=f"浦检刑诉[2026]{case.id}号",
    )
    db.session.commit()


def on_trial(case, item_ids=()):
    """The case sent by the police to the procuratorate and indicted before the court (no judgment)."""
    item_ids = list(item_ids)
    handed_to_procuratorate(case, item_ids)
    indictment = transfers.propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDFY").id,
        kind=TransferKind.INDICTMENT,
        item_ids=item_ids,
    )
    db.session.commit()
    transfers.decide_lines(
        db.session, act("judge"), indictment.id, item_ids, accept=True, case_no=f"(2026)沪0115刑初{case.id}号"
    )
    db.session.commit()
    return case


def judge_case(case, item_ids=(), judgment_no: str = JUDGMENT_NO):
    """Send the case to the procuratorate and on to the court (with ``item_ids``; by default the file
    only, so the items stay with the police), and record the court's effective judgment."""
    from custody.domain.clock import local_date

    on_trial(case, item_ids)
    judgment = milestones.record_judgment(
        db.session, act("judge"), case.id, judgment_no=judgment_no, effective_on=local_date(app_clock.now())
    )
    db.session.commit()
    return judgment


def photo(item, username: str = "police_officer"):
    """Attach a (small, real) photo to the item."""
    from pathlib import Path

    from flask import current_app

    from custody.domain.enums import AttachmentKind

    attachment = items.add_attachment(
        db.session,
        act(username),
        item.id,
        filename="photo.png",
        content=png_bytes(),
        declared_type="image/png",
        kind=AttachmentKind.PHOTO,
        upload_dir=Path(current_app.config["CUSTODY_UPLOAD_DIR"]),
    )
    db.session.commit()
    return attachment


def png_bytes(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (180, 40, 40)) -> bytes:
    """A real PNG image: uploads are decoded, so a PNG signature with noise behind it is refused."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def dual_role_user(username: str = "police_chief", agency_code: str = "PDGA"):
    """A head who is both officer and approver: separation of duties must still stop self-approval."""
    from custody.domain.enums import Role
    from custody.services.accounts import create_user

    user = create_user(
        db.session,
        None,
        username=username,
        display_name="赵局长",
        agency_id=agency(agency_code).id,
        roles=[Role.OFFICER, Role.APPROVER],
        password="Chief-pass-2026",
    )
    enrol_second_factor(user)
    db.session.commit()
    return user


def enrol_second_factor(user):
    """Give a test account whose roles need one a second factor (``conftest.otp_for`` gives codes),
    as ``seed-demo`` does for the demo approvers and administrator."""
    from custody.services import mfa

    mfa.enrol_directly(db.session, user)
    return user


def approved_sale(values, case=None):
    case = case or open_case()
    sold = []
    for n, value in enumerate(values):
        item = register(case, name=f"名表{n}", category=ItemCategory.GOODS, estimated_value_fen=value)
        storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R3-A-01").id)
        db.session.commit()
        photo(item)
        sold.append(item)
    sale = dispositions.propose_disposition(
        db.session,
        act("police_officer"),
        item_ids=[i.id for i in sold],
        kind=DispositionKind.EARLY_SALE,
        reason="易贬值，打包拍卖",
    )
    dispositions.decide_disposition(db.session, act("police_head"), sale.id, approve=True)
    db.session.commit()
    return sale, sold


def operator_running_the_demo_centre_with_another_centre():
    """A neutral operator runs PDZX; a second centre CSZX exists, which it does not run."""
    operator = accounts.create_agency(
        db.session, None, code="ZXYY", name="中心运营公司", kind=AgencyKind.CENTRE_OPERATOR
    )
    accounts.create_user(
        db.session,
        None,
        username="operator_keeper",
        display_name="中心保管员",
        agency_id=operator.id,
        roles=[Role.KEEPER],
        password=TEST_PASSWORD,
    )
    pudong = location("R1").centre
    accounts.set_centre_operator(db.session, act("admin"), pudong.id, operator_agency_id=operator.id)
    other = accounts.create_centre(db.session, None, code="CSZX", name="川沙涉案财物管理中心")
    elsewhere = accounts.create_location(
        db.session, None, centre_id=other.id, kind=StorageKind.ROOM, code="CS-R1", name="一号库房"
    )
    db.session.commit()
    return elsewhere


REASON = "系统故障，事后补录"


def late_check_in():
    item = register(
        open_case(),
        name="摩托车",
        category=ItemCategory.GOODS,
        seized_at=app_clock.now() - timedelta(hours=30),
    )
    storage.check_in(
        db.session,
        act("police_keeper"),
        item.id,
        location_id=location("R1-A-01").id,
        occurred_at=app_clock.now() - timedelta(hours=29),
        reason=REASON,
    )
    db.session.commit()
    return item
