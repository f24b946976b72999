"""POST /api/v1/victim-lookup (issue 13): public, the victim's own status only, 404/429/422 problems; the
victim's lookup code is given to the agency handling the case, not to others."""

from __future__ import annotations

from custody.domain.owner_lookup import MAX_FAILURES, format_code

from ..money_helpers import approve, pay, propose, two_victims


def test_a_victim_looks_up_their_own_status_without_logging_in(app, client):
    case, li, wang = two_victims()
    pay(approve(propose(case)), 1, "领款凭证 L-1")
    done = client.post(
        "/api/v1/victim-lookup", json={"lookup_no": li.lookup_no.lower(), "code": format_code(li.lookup_code)}
    )
    assert done.status_code == 200, done.json
    [mine] = done.json["claims"]
    assert (mine["claimed_fen"], mine["paid_fen"], mine["klass"]) == (300_000, 240_000, "victim_loss")
    assert mine["payments"][0]["amount_fen"] == 240_000
    # no case, no name, no totals; no order of the judgment names them
    assert set(done.json) == {"lookup_no", "claims", "orders"}
    assert done.json["orders"] == []
    assert "王某" not in done.get_data(as_text=True)
    assert "200000" not in done.get_data(as_text=True)


def test_wrong_codes_missing_fields_and_the_limit_are_problems(app, client):
    case, li, wang = two_victims()
    missing = client.post("/api/v1/victim-lookup", json={"lookup_no": li.lookup_no})
    assert missing.status_code == 422
    env = {"REMOTE_ADDR": "10.7.0.1"}
    for _ in range(MAX_FAILURES):
        wrong = client.post(
            "/api/v1/victim-lookup",
            json={"lookup_no": li.lookup_no, "code": wang.lookup_code},
            environ_base=env,
        )
        assert wrong.status_code == 404
        assert wrong.json["code"] == "owner_lookup.not_found"
        assert wrong.headers["Content-Type"].startswith("application/problem+json")
    limited = client.post(
        "/api/v1/victim-lookup", json={"lookup_no": li.lookup_no, "code": li.lookup_code}, environ_base=env
    )
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "900"


def test_the_lookup_code_is_shown_to_the_agency_handling_the_case_only(app, api):
    case, li, wang = two_victims()
    url = f"/cases/{case.id}/victims"
    handler = {v["id"]: v for v in api.get("judge", url).json}
    assert handler[li.id]["lookup_no"] == li.lookup_no
    assert handler[li.id]["lookup_code"] == format_code(li.lookup_code)
    police = api.get("police_officer", url)  # the police still see the case, but do not hand out codes
    assert police.status_code == 200
    assert all(v["lookup_code"] is None for v in police.json)
