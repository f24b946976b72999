"""Hostile or odd input to the registration, correction and import endpoints: a 4xx problem, never a 500."""

from __future__ import annotations

import io

import pytest

from ..factories import open_case, register


@pytest.fixture
def case_id(app):
    return open_case().id


def _post(client, auth_headers, path, body, user="police_officer"):
    return client.post(f"/api/v1{path}", json=body, headers=auth_headers(user))


def _problem(response, status=422):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    return response.json


ITEM = {"name": "手机", "category": "goods", "quantity": "1", "unit": "件"}


@pytest.mark.parametrize("quantity", ["1E+400000000", "-1E+400000000", "1E-400000000", "sNaN", "Infinity"])
def test_absurd_quantities_are_a_field_error(client, auth_headers, case_id, quantity):
    body = _problem(_post(client, auth_headers, f"/cases/{case_id}/items", {**ITEM, "quantity": quantity}))
    assert "quantity" in body["errors"]


def test_absurd_quantity_in_a_correction_is_a_field_error(app, client, auth_headers):
    item = register(open_case())
    body = _problem(
        _post(
            client,
            auth_headers,
            "/corrections",
            {"item_id": item.id, "field": "quantity", "new_value": "1E+400000000", "reason": "录错"},
        )
    )
    assert body["errors"]


def test_a_denomination_with_thousands_of_digits_is_a_field_error(client, auth_headers, case_id):
    details = {"amount_fen": 100, "denominations": {"9" * 5000: 1}}
    body = _problem(
        _post(
            client,
            auth_headers,
            f"/cases/{case_id}/items",
            {**ITEM, "category": "cash", "unit": "元", "details": details},
        )
    )
    assert "details.denominations" in body["errors"]


@pytest.mark.parametrize("key", ["²", "١٠٠", "0100"])
def test_denomination_keys_must_be_plain_listed_numbers(client, auth_headers, case_id, key):
    details = {"amount_fen": 100, "denominations": {key: 1}}
    body = _problem(
        _post(
            client,
            auth_headers,
            f"/cases/{case_id}/items",
            {**ITEM, "category": "cash", "unit": "元", "details": details},
        )
    )
    assert "details.denominations" in body["errors"]


@pytest.mark.parametrize("depth", [40, 5000])
@pytest.mark.parametrize("path", ["/cases/{case_id}/items", "/corrections", "/transfers"])
def test_deeply_nested_bodies_are_a_4xx_problem(client, auth_headers, case_id, path, depth):
    raw = '{"details": ' + "[" * depth + "]" * depth + "}"
    response = client.post(
        f"/api/v1{path.format(case_id=case_id)}",
        data=raw,
        content_type="application/json",
        headers=auth_headers("police_officer"),
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"


def test_normal_nested_details_still_work(client, auth_headers, case_id):
    details = {"amount_fen": 12000, "denominations": {"10000": 1, "1000": 2}}
    response = _post(
        client,
        auth_headers,
        f"/cases/{case_id}/items",
        {**ITEM, "category": "cash", "unit": "元", "details": details},
    )
    assert response.status_code == 201, response.json
    assert response.json["details"]["denominations"] == {"10000": 1, "1000": 2}


def test_far_future_measure_date_is_refused(client, auth_headers, case_id):
    body = _problem(
        _post(client, auth_headers, f"/cases/{case_id}/items", {**ITEM, "measure_date": "2199-01-01"})
    )
    assert "measure_date" in body["errors"]


def test_domain_validation_problems_have_a_dotted_code(client, auth_headers, case_id):
    body = _problem(_post(client, auth_headers, f"/cases/{case_id}/items", {**ITEM, "quantity": "0"}))
    assert body["code"] == "invalid_input"


def test_the_csv_template_has_one_charset(client, auth_headers):
    response = client.get("/api/v1/import-template?format=csv", headers=auth_headers("police_officer"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def _import(client, auth_headers, case_id, text, name="清单.csv"):
    return client.post(
        f"/api/v1/cases/{case_id}/items/import",
        headers=auth_headers("police_officer"),
        data={"file": (io.BytesIO(text.encode("utf-8")), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("value", ["1e400000000", "Infinity", "-Infinity", "NaN", "1e-400000000"])
def test_absurd_amounts_in_an_import_are_row_errors(client, auth_headers, case_id, value):
    text = f"名称,类别,数量,单位,估价（元）\n箱子,一般物品,1,个,{value}\n"
    body = _problem(_import(client, auth_headers, case_id, text))
    assert body["code"] == "import.rows_invalid"
    assert [row["row"] for row in body["rows"]] == [2]
    assert set(body["rows"][0]["errors"]) == {"估价（元）"}


def test_absurd_quantity_in_an_import_is_a_row_error(client, auth_headers, case_id):
    body = _problem(
        _import(client, auth_headers, case_id, "名称,类别,数量,单位\n箱子,一般物品,1E+400000000,个\n")
    )
    assert [row["row"] for row in body["rows"]] == [2]
    assert set(body["rows"][0]["errors"]) == {"数量"}


def test_duplicate_headers_are_refused(client, auth_headers, case_id):
    body = _problem(
        _import(client, auth_headers, case_id, "名称,类别,数量,单位,名称\n箱子,一般物品,1,个,盒子\n")
    )
    assert "名称" in body["detail"]
    assert "file" in body["errors"]


def test_openapi_documents_uploads_as_multipart_with_a_file_part(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/cases/{case_id}/items/import", "/api/v1/items/{item_id}/attachments"):
        content = spec["paths"][path]["post"]["requestBody"]["content"]
        assert list(content) == ["multipart/form-data"], (path, list(content))
        schema = content["multipart/form-data"]["schema"]
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        file_part = schema["properties"]["file"]
        assert (file_part["type"], file_part["format"]) == ("string", "binary"), path
        assert "file" in schema.get("required", []), path


def test_openapi_documents_quantity_as_a_decimal_string(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    for name in ("Item", "ItemSummary"):
        assert schemas[name]["properties"]["quantity"]["type"] == "string", name
