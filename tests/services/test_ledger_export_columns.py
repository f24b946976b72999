"""The ledger export carries what identifies a thing and when it was disposed of (issue 18).

IMEI, plate and VIN (from the item's details), the disposal date (the executed disposition, a Beijing
date), the owner masked as every list masks it, and an auto-filter on the XLSX header row.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from custody.domain import clock as app_clock
from custody.domain.clock import LOCAL_TZ
from custody.domain.enums import DispositionKind, ItemCategory
from custody.extensions import db
from custody.services import dispositions, ledgers
from custody.services.items import ItemQuery

from ..factories import act, judge_case, open_case, register, stored_items


def _rows(username: str = "police_keeper") -> dict[str, dict[str, str]]:
    actor = act(username)
    spec = ledgers.make_spec(actor, "centre", None, ItemQuery(sort="id"))
    data = b"".join(ledgers.csv_chunks(ledgers.ledger_rows(db.session, actor, spec)))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ledgers.HEADERS
    return {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def test_the_ledger_carries_imei_plate_vin_and_the_masked_owner(app):
    case = open_case()
    phone = register(case, name="手机", details={"imei": "490154203237518", "imei2": "356938035643809"})
    car = register(
        case,
        name="轿车",
        category=ItemCategory.VEHICLE,
        unit="辆",
        owner_name="欧阳娜娜",
        details={"plate": "沪A12345", "vin": "LSVAU2180N2123456"},
    )
    rows = _rows()
    assert rows[phone.label_code]["IMEI"] == "490154203237518 / 356938035643809"
    assert rows[phone.label_code]["车牌号"] == ""
    assert rows[phone.label_code]["处置日期"] == ""
    assert rows[car.label_code]["车牌号"] == "沪A12345"
    assert rows[car.label_code]["车架号（VIN）"] == "LSVAU2180N2123456"
    # a list of many items masks the owner for everyone, the custodian's own keeper too [DESIGN §8]
    assert rows[car.label_code]["所有人（已遮蔽）"] == "欧**娜"


def test_the_ledger_carries_the_disposal_date_in_beijing_time(app):
    case, [item, kept] = stored_items(2)
    judge_case(case)
    disposition = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[item.id], kind=DispositionKind.CONFISCATE
    )
    db.session.commit()
    dispositions.decide_disposition(db.session, act("police_approver"), disposition.id, approve=True)
    db.session.commit()
    dispositions.execute_disposition(
        db.session, act("police_keeper"), disposition.id, receipt_no="国库回执 1"
    )
    db.session.commit()
    rows = _rows()
    executed = disposition.executed_at.astimezone(LOCAL_TZ)
    assert rows[item.label_code]["处置日期"] == executed.strftime("%Y-%m-%d")
    assert rows[item.label_code]["处置方式"] != ""
    assert rows[kept.label_code]["处置日期"] == ""


def test_the_xlsx_has_an_auto_filter_on_its_header_row(app):
    case = open_case()
    for name in ("甲", "乙", "丙"):
        register(case, name=name, seized_at=app_clock.now() - timedelta(hours=3))
    auditor = act("auditor")
    spec = ledgers.make_spec(auditor, "centre", None, ItemQuery(sort="id"))
    count = ledgers.prepare_export(db.session, auditor, spec, "xlsx")
    db.session.commit()
    sheet = load_workbook(ledgers.xlsx_file(db.session, auditor, spec, count))["台账"]
    last = sheet.cell(row=1, column=len(ledgers.HEADERS)).column_letter
    assert sheet.auto_filter.ref == f"A1:{last}{1 + count}"
    assert count == 3
    assert sheet.cell(row=1, column=len(ledgers.HEADERS)).value == ledgers.HEADERS[-1]
    assert len(ledgers.COLUMN_WIDTHS) == len(ledgers.HEADERS)
    imei = ledgers.HEADERS.index("IMEI") + 1
    assert sheet.cell(row=2, column=imei).value == "490154203237518"
