"""The audit API: public key, checkpoints, inclusion and consistency proofs, verification, dossiers.

Every proof returned is checked with the reference verifier (``custody.audit.merkle``) against a
checkpoint whose signature is checked with the published key; out-of-range requests are 400 JSON
problems; who may read what follows ``custody.audit.service``.
"""

from __future__ import annotations

import io
import json

from pypdf import PdfReader
from sqlalchemy import select, update

from custody.audit.bundle import leaf_of, read_checkpoint, verify_bundle
from custody.audit.merkle import verify_consistency, verify_inclusion
from custody.audit.signing import load_public_key
from custody.domain.enums import TransferKind
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.ledger import LogState
from custody.services.transfers import decide_lines, propose_transfer

from ..factories import act, agency, send_to_procuratorate, stored_items
from ..helpers import events, fresh
from .ledger_helpers import as_dba

API = "/api/v1/audit"


def through_three_agencies():
    """A case whose two items went police → procuratorate → court, signed for at each step."""
    case, items = stored_items(2)
    ids = [i.id for i in items]
    decide_lines(
        db.session,
        act("prosecutor"),
        send_to_procuratorate(case, ids).id,
        ids,
        accept=True,
        case_no="浦检刑诉[2026]12号",
    )
    db.session.commit()
    to_court = propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDFY").id,
        kind=TransferKind.INDICTMENT,
        item_ids=ids,
    )
    db.session.commit()
    decide_lines(db.session, act("judge"), to_court.id, ids, accept=True, case_no="(2026)沪0115刑初1234号")
    db.session.commit()
    return case, items


def sign(runner) -> None:
    assert runner.invoke(args=["custody", "checkpoint"]).exit_code == 0


def public_key(client):
    return load_public_key(client.get(f"{API}/public-key").json["public_key"])


def log_size() -> int:
    fresh()
    return db.session.scalar(select(LogState.tree_size))


def test_the_public_key_is_published_to_anyone(client):
    response = client.get(f"{API}/public-key")
    assert response.status_code == 200
    body = response.json
    assert body["algorithm"] == "Ed25519"
    assert body["origin"] == "custody-tracker/audit"
    assert load_public_key(body["public_key"])
    assert len(body["key_id"]) == 16
    assert body["previous_keys"] == []


def test_checkpoints_latest_and_list(client, runner, auth_headers):
    headers = auth_headers("police_officer")
    assert client.get(f"{API}/checkpoints/latest").status_code == 401
    missing = client.get(f"{API}/checkpoints/latest", headers=headers)
    assert missing.status_code == 404
    assert missing.json["code"] == "audit.no_checkpoint"
    stored_items(1)
    sign(runner)
    stored_items(1)
    sign(runner)
    latest = client.get(f"{API}/checkpoints/latest", headers=headers)
    assert latest.status_code == 200
    checkpoint = read_checkpoint(latest.json)
    assert checkpoint.verifies_with(public_key(client))
    listed = client.get(f"{API}/checkpoints", headers=headers)
    assert [c["tree_size"] for c in listed.json] == sorted(
        (c["tree_size"] for c in listed.json), reverse=True
    )
    assert listed.json[0] == latest.json
    assert len(listed.json) == 2
    assert json.loads(listed.headers["X-Pagination"])["total"] == 2


def test_an_inclusion_proof_verifies_against_the_signed_checkpoint(client, runner, auth_headers):
    _, [item] = stored_items(1)
    sign(runner)
    event = events(item_id=item.id)[0]
    response = client.get(
        f"{API}/proofs/inclusion", query_string={"event_id": event.id}, headers=auth_headers("police_officer")
    )
    assert response.status_code == 200, response.json
    body = response.json
    checkpoint = read_checkpoint(body["checkpoint"])
    assert checkpoint.verifies_with(public_key(client))
    assert body["tree_size"] == checkpoint.tree_size
    assert body["root_hash"] == checkpoint.root_hash.hex()
    leaf = leaf_of(body["entry"])
    assert leaf.hex() == body["leaf_hash"]
    proof = [bytes.fromhex(p) for p in body["proof"]]
    assert verify_inclusion(leaf, body["log_index"], body["tree_size"], proof, checkpoint.root_hash)
    # Any size that contains the event works too; without a checkpoint there, none is returned.
    smaller = client.get(
        f"{API}/proofs/inclusion",
        query_string={"event_id": event.id, "tree_size": body["log_index"] + 1},
        headers=auth_headers("police_officer"),
    ).json
    assert smaller["checkpoint"] is None
    assert verify_inclusion(
        leaf,
        smaller["log_index"],
        smaller["tree_size"],
        [bytes.fromhex(p) for p in smaller["proof"]],
        bytes.fromhex(smaller["root_hash"]),
    )


def test_a_consistency_proof_links_two_checkpoints(client, runner, auth_headers):
    stored_items(1)
    sign(runner)
    first = log_size()
    stored_items(2)
    sign(runner)
    headers = auth_headers("procuratorate_keeper")
    body = client.get(f"{API}/proofs/consistency", query_string={"first": first}, headers=headers).json
    old, new = read_checkpoint(body["first_checkpoint"]), read_checkpoint(body["second_checkpoint"])
    key = public_key(client)
    assert old.verifies_with(key)
    assert new.verifies_with(key)
    assert verify_consistency(
        old.tree_size, new.tree_size, old.root_hash, new.root_hash, [bytes.fromhex(p) for p in body["proof"]]
    )
    same = client.get(
        f"{API}/proofs/consistency", query_string={"first": new.tree_size}, headers=headers
    ).json
    assert same["proof"] == []
    assert same["first_root"] == same["second_root"]
    empty = client.get(
        f"{API}/proofs/consistency", query_string={"first": 0, "second": first}, headers=headers
    ).json
    assert empty["proof"] == []
    assert empty["second_checkpoint"] is not None


OUT_OF_RANGE = [
    ("proofs/inclusion", {"tree_size": "{size_plus_one}"}, "audit.out_of_range"),
    ("proofs/inclusion", {"tree_size": "{index}"}, "audit.not_in_tree"),
    ("proofs/inclusion", {"tree_size": 0}, "audit.not_in_tree"),
    ("proofs/inclusion", {"tree_size": -1}, "audit.out_of_range"),
    ("proofs/consistency", {"first": "{size_plus_one}", "second": "{size}"}, "audit.out_of_range"),
    ("proofs/consistency", {"first": 2, "second": 1}, "audit.out_of_range"),
    ("proofs/consistency", {"first": 1, "second": "{size_plus_one}"}, "audit.out_of_range"),
    ("proofs/consistency", {"first": -1, "second": 1}, "audit.out_of_range"),
    ("dossier", {}, "audit.dossier_subject"),
    ("dossier", {"item_id": "{item}", "case_id": 1}, "audit.dossier_subject"),
]


def test_out_of_range_requests_are_400_problems(client, runner, auth_headers):
    headers = auth_headers("auditor")  # first: issuing the token is an event too
    _, [item] = stored_items(1)
    sign(runner)
    event = events(item_id=item.id)[-1]
    index = db.session.scalar(select(LogState.tree_size)) - 1  # the newest entry is this event's
    values = {"size": index + 1, "size_plus_one": index + 2, "index": index, "item": item.id}
    for path, query, code in OUT_OF_RANGE:
        params = {k: int(str(v).format(**values)) for k, v in query.items()}
        if path == "proofs/inclusion":
            params["event_id"] = event.id
        response = client.get(f"{API}/{path}", query_string=params, headers=headers)
        assert response.status_code == 400, (path, params, response.json)
        assert response.mimetype == "application/problem+json", (path, params)
        assert response.json["code"] == code, (path, params)
    # The log did not move: every refusal above was about the same sizes.
    assert log_size() == index + 1
    # Malformed numbers are shape errors (422), like everywhere else in the API.
    assert (
        client.get(f"{API}/proofs/inclusion", query_string={"event_id": "x"}, headers=headers).status_code
        == 422
    )


def test_who_may_see_an_events_proof(client, runner, auth_headers):
    _, [item] = stored_items(1)
    client.post("/api/v1/tokens", json={"username": "judge", "password": "wrong"})  # a security event
    sign(runner)
    item_event = events(item_id=item.id)[0].id
    login_event = events("login")[-1].id

    def status(username: str, event_id: int) -> int:
        return client.get(
            f"{API}/proofs/inclusion", query_string={"event_id": event_id}, headers=auth_headers(username)
        ).status_code

    assert status("police_officer", item_event) == 200  # the agency that holds the case
    assert status("auditor", item_event) == 200  # auditors see everything
    assert status("judge", item_event) == 404  # the court has not been offered this case
    assert status("admin", item_event) == 404  # administrators see no case data...
    assert status("admin", login_event) == 200  # ...but read the security log
    assert status("police_officer", login_event) == 403
    assert status("auditor", 10**9) == 404
    assert status("auditor", 2**70) == 404
    assert status("auditor", -5) == 404
    for path, query in (
        ("verify", {"item_id": 2**70}),
        ("dossier", {"case_id": 2**64}),
        ("certificate", {"item_id": 0}),
    ):
        assert (
            client.get(f"{API}/{path}", query_string=query, headers=auth_headers("auditor")).status_code
            == 404
        )


def test_verify_one_item_for_auditors(client, runner, auth_headers):
    _, [item] = stored_items(1)
    sign(runner)
    refused = client.get(
        f"{API}/verify", query_string={"item_id": item.id}, headers=auth_headers("police_officer")
    )
    assert refused.status_code == 403
    response = client.get(f"{API}/verify", query_string={"item_id": item.id}, headers=auth_headers("auditor"))
    assert response.status_code == 200
    body = response.json
    assert body["ok"]
    assert body["events"] == body["proven"] == 2
    assert body["pending"] == 0
    run = events("audit.verify")[-1]
    assert run.object_id == str(item.id)
    assert run.outcome.value == "success"
    assert run.actor["username"] == "auditor"

    target = events(item_id=item.id)[0]
    with as_dba() as conn:  # editing the record past the triggers, as a DBA could
        conn.execute(
            update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == target.id).values(reason="改过了")
        )
    broken = client.get(
        f"{API}/verify", query_string={"item_id": item.id}, headers=auth_headers("auditor")
    ).json
    assert not broken["ok"]
    assert broken["problems"][0]["code"] == "event.altered"
    assert broken["problems"][0]["event_id"] == target.id
    assert events("audit.verify")[-1].outcome.value == "failure"


def test_item_and_case_dossiers_verify_offline(client, auth_headers):
    case, items = through_three_agencies()
    headers = auth_headers("judge")  # the court now holds the case and sees its whole history
    response = client.get(f"{API}/dossier", query_string={"item_id": items[0].id}, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    bundle = json.loads(response.data)
    report = verify_bundle(bundle, public_key(client))
    assert report.ok, report.problems
    assert [e["entry"]["item_seq"] for e in bundle["events"]] == list(range(1, len(bundle["events"]) + 1))
    export = events("audit.export")[-1]
    assert export.object_type == "item"
    assert export.data["events"] == len(bundle["events"])

    whole = json.loads(client.get(f"{API}/dossier", query_string={"case_id": case.id}, headers=headers).data)
    assert verify_bundle(whole, public_key(client)).ok
    assert {e["entry"]["item_id"] for e in whole["events"]} == {items[0].id, items[1].id, None}
    assert any(e["entry"]["action"] == "case.open" for e in whole["events"])
    assert whole["subject"]["case_numbers"]["court"] == "(2026)沪0115刑初1234号"


def test_dossiers_follow_visibility(client, auth_headers):
    case, [item] = stored_items(1)
    for username in ("judge", "admin"):
        for query in ({"item_id": item.id}, {"case_id": case.id}):
            assert (
                client.get(f"{API}/dossier", query_string=query, headers=auth_headers(username)).status_code
                == 404
            )
    assert (
        client.get(
            f"{API}/dossier", query_string={"item_id": 10**9}, headers=auth_headers("auditor")
        ).status_code
        == 404
    )


def test_the_certificate_spans_the_three_agencies(client, auth_headers):
    case, items = through_three_agencies()
    response = client.get(
        f"{API}/certificate", query_string={"case_id": case.id}, headers=auth_headers("auditor")
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    compact = "".join(text.split())
    for expected in (
        "涉案财物保管链证明",
        case.title,
        items[0].label_code,
        items[1].label_code,
        "公安机关",
        "人民检察院",
        "人民法院",
        "签收",
        "入库",
        "浦东新区人民法院",
        "(2026)沪0115刑初1234号",
        "核验信息",
        "custody.verify",
    ):
        assert "".join(expected.split()) in compact, expected
    assert events("audit.export")[-1].data["document"] == "pdf"
