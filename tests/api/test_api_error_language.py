"""Request-parsing errors (marshmallow/webargs) and werkzeug's HTTP errors speak the API user's
language, like the business-rule errors; their ``code`` values are unchanged.

The Chinese expectations use ``zh()`` (the catalog's text, the msgid itself until the new
translations are merged); English is asked for with the API's language switch, ``?lang=en``.
"""

from __future__ import annotations

import enum

import marshmallow as ma
import pytest

from custody import errors
from custody.errors import API_DETAILS, translate_validation, validation_msgid

from ..web.ui import zh

WERKZEUG_404 = "The requested URL was not found on the server."
CHOICES = "prosecution, indictment, supplementary_investigation, appeal, jurisdiction, other"
INT_RANGE = (
    "Must be greater than or equal to -9223372036854775808 and less than or equal to 9223372036854775807."
)
BAD_CASE = {"title": 5, "bogus": 1}
BAD_TRANSFER = {
    "case_id": "x",
    "to_agency_id": 10**30,
    "kind": "zz",
    "item_ids": ["a", 1],
    "lines": [{"item_id": None}, 5],
}


@pytest.fixture
def headers(auth_headers):
    return auth_headers("police_officer")


@pytest.fixture
def english(app, headers):
    """A second client that chose English (the choice sticks to its session, so keep it apart)."""
    client = app.test_client()

    def call(method: str, path: str, **kwargs):
        sep = "&" if "?" in path else "?"
        return client.open(f"/api/v1{path}{sep}lang=en", method=method, headers=headers, **kwargs)

    return call


def zh_brace(msgid: str, **params: str) -> str:
    return zh(msgid).format(**params)


# -- request parsing ---------------------------------------------------------------------------


def test_parsing_errors_in_english_are_marshmallows_msgids(english):
    response = english("POST", "/cases", json=BAD_CASE)
    assert response.status_code == 422
    assert response.json["code"] == "http.422"
    assert response.json["title"] == "Unprocessable input"
    assert response.json["detail"] == "The request has invalid or missing fields."
    assert response.json["errors"] == {
        "bogus": ["Unknown field."],
        "title": ["Not a valid string."],
    }

    transfer = english("POST", "/transfers", json=BAD_TRANSFER)
    assert transfer.status_code == 422
    assert transfer.json["code"] == "http.422"
    assert transfer.json["errors"] == {
        "case_id": ["Not a valid integer."],
        "item_ids": {"0": ["Not a valid integer."]},
        "kind": [f"Must be one of: {CHOICES}."],
        "lines": {"0": {"item_id": ["Field may not be null."]}, "1": {"_schema": ["Invalid input type."]}},
        "to_agency_id": [INT_RANGE],
    }


def test_parsing_errors_in_chinese(client, headers):
    response = client.post("/api/v1/cases", json=BAD_CASE, headers=headers)
    assert response.status_code == 422
    assert response.json["code"] == "http.422"
    assert response.json["title"] == zh("Unprocessable input") != "Unprocessable Entity"
    assert response.json["detail"] == zh("The request has invalid or missing fields.")
    assert response.json["errors"] == {
        "bogus": [zh("Unknown field.")],
        "title": [zh("Not a valid string.")],
    }

    transfer = client.post("/api/v1/transfers", json=BAD_TRANSFER, headers=headers)
    assert transfer.status_code == 422
    assert transfer.json["code"] == "http.422"
    assert transfer.json["errors"] == {
        "case_id": [zh("Not a valid integer.")],
        "item_ids": {"0": [zh("Not a valid integer.")]},
        "kind": [zh_brace("Must be one of: {choices}.", choices=CHOICES)],
        "lines": {
            "0": {"item_id": [zh("Field may not be null.")]},
            "1": {"_schema": [zh("Invalid input type.")]},
        },
        "to_agency_id": [
            zh_brace(
                "Must be greater than or equal to {min} and less than or equal to {max}.",
                min="-9223372036854775808",
                max="9223372036854775807",
            )
        ],
    }

    query = client.get("/api/v1/items?flagged=maybe&seized_from=x&page=0", headers=headers)
    assert query.status_code == 422
    assert query.json["errors"]["flagged"] == [zh("Not a valid boolean.")]
    assert query.json["errors"]["seized_from"] == [zh("Not a valid date.")]


def test_a_body_that_is_not_json_is_explained(client, english, headers):
    response = client.post("/api/v1/cases", data="{bad", content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert response.json["code"] == "http.400"
    assert response.json["title"] == zh("Bad request")
    assert response.json["errors"] == [zh("Invalid JSON body.")]
    assert response.json["detail"] == zh(API_DETAILS[400])
    english_response = english("POST", "/cases", data="{bad", content_type="application/json")
    assert english_response.json["errors"] == ["Invalid JSON body."]
    assert english_response.json["detail"] == "The request could not be understood."


# -- werkzeug's own errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/cases/99999999999999999999999", "/items/18446744073709551616", "/no-such-thing"]
)
def test_unknown_addresses_and_ids_too_large_are_translated_404s(client, english, headers, path):
    response = client.get(f"/api/v1{path}", headers=headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "http.404"
    assert response.json["title"] == zh("Not found")
    assert response.json["detail"] == zh(API_DETAILS[404])
    assert WERKZEUG_404 not in response.json["detail"]
    english_response = english("GET", path)
    assert english_response.json["title"] == "Not found"
    assert (
        english_response.json["detail"]
        == "Nothing was found at this address, or it is not visible to your agency."
    )


def test_a_wrong_method_is_a_translated_405(client, english, headers):
    response = client.delete("/api/v1/cases", headers=headers)
    assert response.status_code == 405
    assert response.json["code"] == "http.405"
    assert response.json["title"] == zh("Not allowed")
    assert response.json["detail"] == zh(API_DETAILS[405])
    english_response = english("DELETE", "/cases")
    assert english_response.json["detail"] == "This method is not allowed for this address."


def test_html_pages_keep_their_own_404(client):
    response = client.get("/cases/99999999999999999999999")
    assert response.status_code in (302, 404)
    assert response.mimetype == "text/html"


# -- the message table -------------------------------------------------------------------------


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Inner(ma.Schema):
    x = ma.fields.Int()


class Probe(ma.Schema):
    required = ma.fields.Str(required=True)
    null = ma.fields.Str()
    string = ma.fields.Str()
    integer = ma.fields.Int()
    number = ma.fields.Float()
    decimal = ma.fields.Decimal()
    boolean = ma.fields.Bool()
    day = ma.fields.Date()
    moment = ma.fields.DateTime()
    aware = ma.fields.AwareDateTime()
    items = ma.fields.List(ma.fields.Int())
    mapping = ma.fields.Dict()
    nested = ma.fields.Nested(Inner)
    many = ma.fields.List(ma.fields.Nested(Inner))
    colour = ma.fields.Enum(Colour, by_value=True)
    one_of = ma.fields.Str(validate=ma.validate.OneOf(["a", "b"]))
    short = ma.fields.Str(validate=ma.validate.Length(min=3))
    long = ma.fields.Str(validate=ma.validate.Length(max=1))
    between = ma.fields.Str(validate=ma.validate.Length(min=1, max=2))
    exact = ma.fields.Str(validate=ma.validate.Length(equal=2))
    at_least = ma.fields.Int(validate=ma.validate.Range(min=1))
    above = ma.fields.Int(validate=ma.validate.Range(min=1, min_inclusive=False))
    at_most = ma.fields.Int(validate=ma.validate.Range(max=1))
    below = ma.fields.Int(validate=ma.validate.Range(max=1, max_inclusive=False))
    in_range = ma.fields.Int(validate=ma.validate.Range(min=1, max=2))


BAD = {
    "null": None,
    "string": 5,
    "integer": "x",
    "number": "x",
    "decimal": "NaN",
    "boolean": "maybe",
    "day": "x",
    "moment": "x",
    "aware": "2026-01-01T10:00:00",
    "items": 5,
    "mapping": 5,
    "nested": 5,
    "many": [5],
    "colour": "green",
    "one_of": "c",
    "short": "x",
    "long": "xx",
    "between": "xyz",
    "exact": "x",
    "at_least": 0,
    "above": 1,
    "at_most": 2,
    "below": 1,
    "in_range": 3,
    "unknown": 1,
}


def _strings(messages):
    if isinstance(messages, dict):
        return [s for value in messages.values() for s in _strings(value)]
    if isinstance(messages, list):
        return [s for value in messages for s in _strings(value)]
    return [messages]


def test_every_standard_marshmallow_message_is_in_the_table():
    with pytest.raises(ma.ValidationError) as refused:
        Probe().load(BAD)
    messages = refused.value.messages
    assert set(messages) == set(BAD) | {"required"}  # every probe failed
    unknown = [m for m in _strings(messages) if validation_msgid(m) is None]
    assert unknown == []


def test_messages_are_translated_with_their_values_kept(monkeypatch):
    monkeypatch.setattr(errors, "gettext", lambda message, **params: f"«{message}»")
    assert translate_validation(
        {
            "kind": [f"Must be one of: {CHOICES}."],
            "lines": {"0": {"_schema": ["Invalid input type."]}},
            "n": ["Must be greater than or equal to 1 and less than or equal to 2."],
            "m": ["Must be greater than or equal to 1."],
            "d": ["Must be between 1949-10-01 and 2199-12-31."],
            "own": ["A name, or an object."],
        }
    ) == {
        "kind": [f"«Must be one of: {CHOICES}.»"],
        "lines": {"0": {"_schema": ["«Invalid input type.»"]}},
        "n": ["«Must be greater than or equal to 1 and less than or equal to 2.»"],
        "m": ["«Must be greater than or equal to 1.»"],
        "d": ["«Must be between 1949-10-01 and 2199-12-31.»"],
        "own": ["«A name, or an object.»"],
    }
    assert validation_msgid(INT_RANGE) == (
        "Must be greater than or equal to {min} and less than or equal to {max}.",
        {"min": "-9223372036854775808", "max": "9223372036854775807"},
    )


def test_a_broken_translation_keeps_the_english(monkeypatch):
    monkeypatch.setattr(errors, "gettext", lambda message, **params: "必须是 {choice} 之一")
    assert translate_validation(["Must be one of: a, b."]) == ["Must be one of: a, b."]
