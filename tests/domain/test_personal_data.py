"""The one rule for who sees personal data in full, and the one masking function (issue 14)."""

from __future__ import annotations

import itertools

from custody.domain.actor import Actor
from custody.domain.enums import AgencyKind, Role
from custody.domain.personal_data import (
    PERSONAL_DETAILS,
    PERSONAL_FIELDS,
    mask_name,
    mask_number,
    masked,
    sees_personal_data,
    shown,
)

POLICE, PROCURATORATE = 1, 2


def actor(*roles: Role, agency_id: int = POLICE) -> Actor:
    return Actor(
        user_id=7,
        username="u",
        display_name="u",
        agency_id=agency_id,
        agency_code="X",
        agency_name="X",
        agency_kind=AgencyKind.POLICE,
        roles=frozenset(roles),
    )


def test_sees_personal_data_only_in_the_responsible_agency_and_as_auditor():
    for role in (Role.OFFICER, Role.APPROVER, Role.KEEPER, Role.HEAD):
        assert sees_personal_data(actor(role), POLICE)
        assert not sees_personal_data(actor(role), PROCURATORATE)
        # A document about several items: the custodian of every one of them.
        assert sees_personal_data(actor(role), POLICE, POLICE)
        assert not sees_personal_data(actor(role), POLICE, PROCURATORATE)
        assert not sees_personal_data(actor(role))  # no responsible agency named: nobody but auditors
    # Data the agencies hold jointly (a case's victims): any one of them.
    assert sees_personal_data(actor(Role.OFFICER), PROCURATORATE, POLICE, shared=True)
    assert not sees_personal_data(actor(Role.OFFICER), PROCURATORATE, shared=True)
    assert sees_personal_data(actor(Role.AUDITOR, agency_id=PROCURATORATE), POLICE)
    assert sees_personal_data(actor(Role.AUDITOR))
    assert not sees_personal_data(actor(Role.ADMIN), POLICE)  # administrators see no case data


def test_masks():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("") == ""
    assert mask_number("310115199001011234") == "310***********1234"
    assert mask_number("1234567") == "*******"
    assert mask_number(None) is None


def test_masked_covers_every_personal_field_and_the_account_details():
    for field, value in itertools.product(PERSONAL_FIELDS, ["张三丰某", "6222021001112223334"]):
        assert masked(field, value) != value, field
        assert shown(field, value, full=True) == value
    details = {
        "bank": "工商银行",
        "account_no": "6222021001112223334",
        "account_name": "张三丰",
        "amount_fen": 100,
    }
    assert masked("details", details) == {
        "bank": "工商银行",
        "account_no": "622************3334",
        "account_name": "张*丰",
        "amount_fen": 100,
    }
    assert shown("details", details, full=True) is details
    assert set(PERSONAL_DETAILS) >= {"account_no", "account_name"}
    # Not personal data: unchanged; a digest kept by the record stays a digest.
    assert masked("name", "苹果手机") == "苹果手机"
    assert masked("owner_name", {"sha256": "ab"}) == {"sha256": "ab"}
    assert masked("details", None) is None
