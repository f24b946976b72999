"""Pages, the ledger export and printed forms mask personal data by the one rule (issue 14).

Same case as the API test (``tests/personal_data_case.py``): the procuratorate holds a frozen bank
account the police registered; the police see the item, its freeze, its corrections and its
history, but not the owner's, the account's or the holder's personal data.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.personal_data_case import ACCOUNT_NO, ID_NO, OWNER, PHONE, hand_over_bank_account

SECRETS = (OWNER, ID_NO, PHONE, ACCOUNT_NO, "310115199001015678")


@pytest.fixture
def handed_over(app):
    return hand_over_bank_account()


def pages(case, item, freeze, correction) -> list[str]:
    return [
        f"/items/{item.id}",
        "/freezes",
        f"/freezes/{freeze.id}",
        "/corrections",
        f"/corrections/{correction.id}",
        f"/corrections/new/{item.id}",
    ]


def test_pages_mask_personal_data_outside_the_custodian_agency(login_as, handed_over):
    police = login_as("police_officer")
    for path in pages(*handed_over):
        response = police.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, (path, secret)
    item_page = police.get(f"/items/{handed_over[1].id}").get_data(as_text=True)
    assert "622************3334" in item_page
    assert "欧**娜" in item_page


def test_pages_show_personal_data_to_the_custodian_agency(login_as, handed_over):
    _, item, freeze, correction = handed_over
    prosecutor = login_as("prosecutor")
    item_page = prosecutor.get(f"/items/{item.id}").get_data(as_text=True)
    assert OWNER in item_page
    assert ID_NO in item_page
    assert ACCOUNT_NO in item_page
    assert ACCOUNT_NO in prosecutor.get(f"/freezes/{freeze.id}").get_data(as_text=True)
    assert "310115199001015678" in prosecutor.get(f"/corrections/{correction.id}").get_data(as_text=True)


def test_the_ledger_export_carries_owner_names_masked(login_as, handed_over):
    client = login_as("prosecutor_approver")
    export = client.get("/oversight/ledger/export?format=csv&scope=centre", buffered=True)
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data().decode("utf-8-sig"))))
    owner = rows[0].index("所有人（已遮蔽）")
    assert [row[owner] for row in rows[1:]] == ["欧**娜"]
    assert OWNER not in export.get_data().decode("utf-8-sig")


def _pdf_text(data: bytes) -> str:
    import re

    from pypdf import PdfReader

    return "".join(re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages)


def test_the_printed_seizure_list_masks_the_holder_outside_the_listing_agency(app, login_as, handed_over):
    from tests.conftest import login

    case, item, _, _ = handed_over
    path = f"/cases/{case.id}/seizure-lists/{item.seizure_list_id}.pdf"
    other = login_as("prosecutor").get(path)
    assert other.status_code == 200
    assert other.mimetype == "application/pdf"
    text = _pdf_text(other.get_data())
    assert "张*丰" in text
    assert "310***********1234" in text
    assert "张三丰" not in text
    assert ID_NO not in text
    police = app.test_client()
    login(police, "police_officer")
    own = police.get(path)
    assert own.status_code == 200, own.headers.get("Location")
    text = _pdf_text(own.get_data())
    assert "张三丰" in text
    assert ID_NO in text


def test_the_items_history_masks_a_corrected_account_number(login_as, handed_over):
    """The history tells a correction of the category details with its old and new values: the
    account number in them is masked outside the custodian agency, like everywhere else."""
    from custody.extensions import db
    from custody.services import corrections
    from tests.factories import act

    _, item, _, _ = handed_over
    corrections.propose_correction(
        db.session,
        act("prosecutor"),
        item_id=item.id,
        field="details",
        new_value={"bank": "中国工商银行上海浦东分行", "account_no": "6222021001112220000"},
        reason="账号有误",
    )
    db.session.commit()
    page = login_as("police_officer").get(f"/items/{item.id}").get_data(as_text=True)
    assert "622************0000" in page
    assert "6222021001112220000" not in page
    assert ACCOUNT_NO not in page
