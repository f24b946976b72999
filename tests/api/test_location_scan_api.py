"""``GET /api/v1/locations/by-scan-code``: what a scanned shelf or bin label names (issue 18)."""

from __future__ import annotations

from ..factories import operator_running_the_demo_centre_with_another_centre


def test_a_shelf_label_resolves_through_the_api(api):
    found = api.get("police_keeper", "/locations/by-scan-code", query_string={"code": "loc:pdzx:r1-b-02"})
    assert found.status_code == 200, found.json
    assert found.json["code"] == "R1-B-02"
    assert found.json["scan_code"] == "LOC:PDZX:R1-B-02"
    assert "B架" in found.json["path"]
    listed = {loc["code"]: loc["scan_code"] for loc in api.get("police_keeper", "/locations").json}
    assert listed["R3-A-01"] == "LOC:PDZX:R3-A-01"


def test_unknown_codes_missing_codes_and_no_login_are_refused(api, client):
    unknown = api.get("police_keeper", "/locations/by-scan-code", query_string={"code": "LOC:PDZX:ZZ"})
    assert unknown.status_code == 404
    assert unknown.json["code"] == "not_found.location"
    assert unknown.headers["Content-Type"].startswith("application/problem+json")
    missing = api.get("police_keeper", "/locations/by-scan-code")
    assert missing.status_code == 422
    anonymous = client.get("/api/v1/locations/by-scan-code?code=LOC:PDZX:R1-B-02")
    assert anonymous.status_code == 401


def test_another_centres_code_is_forbidden_to_an_operators_keeper(api):
    operator_running_the_demo_centre_with_another_centre()
    refused = api.get("operator_keeper", "/locations/by-scan-code", query_string={"code": "LOC:CSZX:CS-R1"})
    assert refused.status_code == 403
    assert refused.json["code"] == "location.other_centre"
