"""A case whose personal data the police no longer see: shared by the API and page tests (issue 14).

The police registered a frozen bank account (owner, account number and holder name, a freeze) and
handed it to the procuratorate, which now holds it and proposed a correction of the owner's ID.
"""

from __future__ import annotations

from datetime import timedelta

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.enums import ExternalKind, ItemCategory, Measure
from custody.domain.lifecycle import FreezeAssetType
from custody.extensions import db
from custody.services import corrections, freezes
from custody.services.items import SeizureListInput
from custody.services.transfers import decide_lines
from tests.factories import act, open_case, register, send_to_procuratorate

OWNER = "欧阳娜娜"
ID_NO = "310115199001011234"
PHONE = "13812345678"
ACCOUNT_NO = "6222021001112223334"
HOLDER = "张三丰"


def hand_over_bank_account():
    case = open_case()
    item = register(
        case,
        name="欧阳某工行账户存款",
        category=ItemCategory.BANK_ACCOUNT,
        measure=Measure.FROZEN,
        details={"bank": "中国工商银行上海浦东分行", "account_no": ACCOUNT_NO, "account_name": OWNER},
        external_kind=ExternalKind.BANK,
        external_place="工商银行浦东分行",
        owner_name=OWNER,
        owner_id_no=ID_NO,
        owner_contact=PHONE,
        seizure_list=SeizureListInput(
            seized_at=app_clock.now() - timedelta(hours=3), holder_name=HOLDER, holder_id_no=ID_NO
        ),
    )
    freeze = freezes.create_freeze(
        db.session,
        act("police_officer"),
        item_id=item.id,
        asset_type=FreezeAssetType.DEPOSIT,
        institution="工商银行浦东分行",
        account_no=ACCOUNT_NO,
        account_name=OWNER,
        amount_fen=52_000_000,
        start_on=local_date(app_clock.now()),
        notice_doc_no="沪公(浦)冻通[2026]12号",
    )
    db.session.commit()
    transfer = send_to_procuratorate(case, [item.id])
    decide_lines(
        db.session, act("prosecutor"), transfer.id, [item.id], accept=True, case_no=f"浦检[2026]{case.id}号"
    )
    db.session.commit()
    correction = corrections.propose_correction(
        db.session,
        act("prosecutor"),
        item_id=item.id,
        field="owner_id_no",
        new_value="310115199001015678",
        reason="身份证号录入错误",
    )
    db.session.commit()
    return case, item, freeze, correction
