"""The public's way in (issue 18): the printed seizure list names the owner-lookup address next to
the holder's code, and the login page links to the lookup page."""

from __future__ import annotations

from custody.domain.owner_lookup import format_code
from custody.web.cases import public_lookup_url

from ..factories import stored_items
from .ui import client_for, pdf_text


def test_the_seizure_list_prints_the_configured_lookup_address(app):
    app.config["CUSTODY_PUBLIC_LOOKUP_URL"] = "https://cwzx.example.gov.cn/lookup"
    case, [item] = stored_items(1)
    response = client_for(app, "police_officer").get(
        f"/cases/{case.id}/seizure-lists/{item.seizure_list_id}.pdf"
    )
    content = pdf_text(response.data)
    code = format_code(item.seizure_list.verification_code).replace(" ", "")
    assert f"持有人查询码：{code}，查询网址：https://cwzx.example.gov.cn/lookup" in content


def test_without_the_setting_the_address_is_built_from_the_request_host(app):
    app.config["CUSTODY_PUBLIC_LOOKUP_URL"] = None
    case, [item] = stored_items(1)
    response = client_for(app, "police_officer").get(
        f"/cases/{case.id}/seizure-lists/{item.seizure_list_id}.pdf"
    )
    assert "查询网址：http://localhost/lookup" in pdf_text(response.data)
    with app.test_request_context("/cases", base_url="https://custody.pudong.local"):
        assert public_lookup_url() == "https://custody.pudong.local/lookup"


def test_the_login_page_links_to_the_lookup(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/lookup"' in page
    assert "查询涉案财物" in page


def test_the_setting_is_read_from_the_environment():
    from config import Config

    assert Config({"CUSTODY_PUBLIC_LOOKUP_URL": "https://x.example/lookup"}).CUSTODY_PUBLIC_LOOKUP_URL == (
        "https://x.example/lookup"
    )
    assert Config({}).CUSTODY_PUBLIC_LOOKUP_URL is None
