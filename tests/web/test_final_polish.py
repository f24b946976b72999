"""Final polish: a neutral error summary, one alert per refusal, disposal refusals at 处置方式, cash
denominations, plural and hint wording in English, and the freeze notice number left to the user."""

from __future__ import annotations

import re
from datetime import timedelta

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.enums import ItemCategory

from ..factories import location, open_case, register, stored_items
from .builders import freeze_of, frozen_account, requested_checkout
from .ui import client_for, get, post, submit, text, text_of, zh


def _english(client, form_page: str = "/") -> None:
    post(client, "/language", {"locale": "en", "next": "/"}, form_page=form_page)


def _main(page: str) -> str:
    return page[page.index("<main") :]


def _alerts(page: str) -> list[str]:
    return re.findall(r'<[^>]+role="alert"[^>]*>', _main(page))


def _summary(page: str) -> str:
    main = _main(page)
    start = main.index('id="error-summary"')
    return main[start : main.index("</div>", start)]


# -- 1. the summary's heading says nothing about saving ----------------------------------------


def test_summary_heading_is_neutral_on_login_and_forms(app):
    anonymous = app.test_client()
    _english(anonymous, "/login")
    response = post(anonymous, "/login", {"username": "", "password": ""}, form_page="/login")
    page = response.get_data(as_text=True)
    assert "not saved" not in page
    assert "Please correct the following:" in text(_summary(page))

    case = open_case()
    officer = client_for(app, "police_officer")
    _english(officer)
    response = post(
        officer,
        f"/cases/{case.id}/items/new",
        {
            "seizure_list_id": "0",
            "holder_signature": "signed",
            "name": "",
            "category": "goods",
            "quantity": "1",
            "unit": "件",
            "measure": "seized",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please correct the following:" in text(_summary(page))
    assert "not saved" not in page


# -- 2. a refusal with field errors is one alert, the summary, first ----------------------------


def test_wrong_recipient_on_release_is_one_alert_at_the_top(app):
    _, stored = stored_items(1)
    checkout = requested_checkout([stored[0].id])
    approver = client_for(app, "police_approver")
    url = f"/checkouts/{checkout.id}"
    assert submit(approver, url, "decide", "approve", reason="").status_code == 302
    keeper = client_for(app, "police_keeper")
    response = submit(keeper, url, "release", released_to="张三")
    page = text_of(response)
    assert response.status_code == 422
    assert 'class="flash flash-error"' not in page
    alerts = _alerts(page)
    assert len(alerts) == 1
    assert 'id="error-summary"' in alerts[0]
    main = _main(page)
    assert main.index('id="error-summary"') < main.index("<h1")


def test_freeze_started_years_ago_is_one_alert(app):
    account = frozen_account()
    officer = client_for(app, "police_officer")
    url = f"/freezes/new/{account.id}"
    start = (local_date(app_clock.now()) - timedelta(days=5 * 365)).isoformat()
    response = submit(
        officer,
        url,
        asset_type="deposit",
        institution="工商银行浦东分行",
        account_no="6222021001122334455",
        amount="100",
        start_on=start,
        notice_doc_no="冻通 12号",
    )
    page = text_of(response)
    assert response.status_code in (409, 422), page[:2000]
    assert 'id="error-summary"' in page
    assert 'class="flash flash-error"' not in page
    assert len(_alerts(page)) == 1


# -- 3. disposal refusals caused by the chosen kind are said at 处置方式 --------------------------


def _kind_error(page: str) -> str:
    match = re.search(r'<ul class="errors" id="kind-err">(.*?)</ul>', page, flags=re.S)
    return text(match.group(1)) if match else ""


def test_return_without_owner_is_said_at_the_kind_field(app):
    _, stored = stored_items(1)
    officer = client_for(app, "police_officer")
    url = f"/dispositions/new?item_ids={stored[0].id}"
    get(officer, url)
    response = submit(
        officer,
        url,
        kind="pretrial_return",
        legal_basis="",
        reason="",
        owner_consent="",
        item_ids=[stored[0].id],
    )
    page = text_of(response)
    assert response.status_code == 409
    message = zh(
        "No owner is recorded for this item, and a return goes only to the recorded owner: "
        "first record the owner's name by a correction of the item."
    )
    assert message in _kind_error(page)
    assert 'href="#kind"' in _summary(page)
    assert re.search(r'<select[^>]*id="kind"[^>]*aria-invalid="true"', page) or re.search(
        r'<select[^>]*aria-invalid="true"[^>]*id="kind"', page
    )
    assert 'class="flash flash-error"' not in page
    assert len(_alerts(page)) == 1


def test_final_disposal_before_judgment_is_said_at_the_kind_field(app):
    _, stored = stored_items(1)
    officer = client_for(app, "police_officer")
    url = f"/dispositions/new?item_ids={stored[0].id}"
    response = submit(
        officer,
        url,
        kind="confiscate",
        legal_basis="某判决书",
        reason="",
        owner_consent="",
        item_ids=[stored[0].id],
    )
    page = text_of(response)
    assert response.status_code == 409
    assert zh(
        "A final disposal carries out the outcome of the case: first record the court's "
        "effective judgment, or close the case with the decision not to prosecute or to "
        "drop it. Before judgment only unrelated property (returned), contraband (handed over or "
        "destroyed) and unclaimed property after its notice period (confiscated) may be disposed of."
    ) in _kind_error(page)
    assert 'href="#kind"' in _summary(page)


# -- 4. cash denominations on the item page ----------------------------------------------------


def test_cash_denominations_are_shown_in_yuan(app):
    case = open_case()
    cash = register(
        case,
        "人民币现金",
        ItemCategory.CASH,
        unit="元",
        quantity=128_050,
        details={"amount_fen": 12_805_000, "denominations": {"10000": 1280, "5000": 1}},
    )
    officer = client_for(app, "police_officer")
    page = text(officer.get(f"/items/{cash.id}"))
    assert zh("Denominations") in page
    assert "denominations" not in page
    assert zh("%(amount)s yuan × %(count)s", amount="100", count=1280) in page
    assert zh("%(amount)s yuan × %(count)s", amount="50", count=1) in page
    assert "10000: 1280" not in page


# -- 5. and 6. English wording ------------------------------------------------------------------


def test_one_item_checked_in_is_singular_in_english(app):
    case = open_case()
    bag = register(case, "帆布包", ItemCategory.GOODS)
    keeper = client_for(app, "police_keeper")
    _english(keeper)
    response = post(
        keeper, "/storage/check-in", {"location_id": location("R1-A-02").id, "codes": [bag.label_code]}
    )
    assert response.status_code == 302
    page = text(keeper.get(response.location))
    assert "1 item checked in to" in page
    assert "1 items" not in page


def test_seizure_time_hint_says_empty_means_now(app):
    case = open_case()
    officer = client_for(app, "police_officer")
    _english(officer)
    page = text(officer.get(f"/cases/{case.id}/items/new"))
    assert "Leave empty to use the current time." in page
    assert "Leave empty for now." not in page


# -- 7. the freeze notice number is not the seizure decision's ---------------------------------


def test_freeze_form_does_not_prefill_the_seizure_decision_number(app):
    account = frozen_account()
    officer = client_for(app, "police_officer")
    page = get(officer, f"/freezes/new/{account.id}")
    field = re.search(r'<input[^>]*id="notice_doc_no"[^>]*>', page).group(0)
    assert account.measure_doc_no not in field
    assert 'value="' not in field.replace('value=""', "")

    freeze_of(account)  # notice 冻通 1号
    page = get(officer, f"/freezes/new/{account.id}")
    field = re.search(r'<input[^>]*id="notice_doc_no"[^>]*>', page).group(0)
    assert 'value="冻通 1号"' in field
