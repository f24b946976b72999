"""Three agencies, one history: the app and three witness processes, one per agency.

Each witness is a real ``python -m custody.witness serve`` process with its own key and state file,
on a free port. The app pushes checkpoints to them (``flask custody witness push``, and before
every dossier export) and keeps their cosignatures. Then the operator misbehaves: edits the
database and re-signs the head with the log's own key — every witness refuses and the refusal is
reported; shows two different histories to different witnesses — ``custody.witness compare``
finds the split.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from custody.audit import witnessing
from custody.audit.canonical import GENESIS_HASH, canonical_bytes, entry_hash
from custody.audit.ledger import current_settings
from custody.audit.merkle import leaf_hash
from custody.audit.recorder import event_entry
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.ledger import LogEntry
from custody.models.witness import Witness
from custody.services import storage

from ..factories import act, stored_items
from ..helpers import events, fresh
from .ledger_helpers import (
    _repair_caches,
    as_dba,
    backup_database,
    drop_backup,
    restore_database,
    run_verifier,
)
from .witness_helpers import AGENCIES, start_witness, witness_cli

EVENTS = AuditEvent.__table__
ENTRIES = LogEntry.__table__


@pytest.fixture
def agencies(app, runner, tmp_path):
    """One witness process per agency, registered with the log for pushing."""
    log_vkey = current_settings().note_key.vkey
    started = {}
    try:
        for code in AGENCIES:
            started[code] = start_witness(tmp_path / f"witness-{code}", code, log_vkey)
            result = runner.invoke(
                args=[
                    "custody",
                    "witness",
                    "register",
                    "--name",
                    code,
                    "--agency",
                    code,
                    "--vkey",
                    started[code].vkey,
                    "--url",
                    started[code].url,
                ]
            )
            assert result.exit_code == 0, result.output
        yield started
    finally:
        for witness in started.values():
            witness.stop()


def push(runner) -> tuple[int, dict[str, str]]:
    result = runner.invoke(args=["custody", "witness", "push"])
    statuses = {}
    for line in result.output.splitlines():
        name, _, rest = line.partition(": ")
        statuses[name] = rest.split(":")[0]
    return result.exit_code, statuses


def test_three_agencies_cosign_and_a_dossier_needs_two_of_them(
    app, runner, client, agencies, auth_headers, tmp_path
):
    case, items = stored_items(2)
    code, statuses = push(runner)
    assert code == 0
    assert statuses == {"PDFY": "ok", "PDGA": "ok", "PDJC": "ok"}

    headers = auth_headers("auditor")
    witnessed = client.get("/api/v1/audit/checkpoints/witnessed", headers=headers)
    assert witnessed.status_code == 200
    assert sorted(c["witness"] for c in witnessed.json["cosignatures"]) == ["PDFY", "PDGA", "PDJC"]
    assert witnessed.json["note"].count("\n\u2014 ") == 4  # the log's signature and three cosignatures
    overview = client.get("/api/v1/audit/witnesses", headers=headers).json
    assert overview["quorum"] == "2 of agencies (PDFY, PDGA, PDJC)"
    assert overview["witnessed_by"] == ["PDFY", "PDGA", "PDJC"]
    assert all(w["cosigned_latest"] and w["lag"] == 0 and w["mode"] == "push" for w in overview["witnesses"])

    # Each witness holds what it cosigned; the three agree.
    sizes = {
        json.loads(w.state.read_text())["logs"][current_settings().origin]["tree_size"]
        for w in agencies.values()
    }
    assert sizes == {witnessed.json["tree_size"]}

    # A dossier is proven against a witnessed checkpoint, checked with the agencies' policy.
    policy = tmp_path / "policy.txt"
    policy.write_bytes(client.get("/api/v1/audit/witness-policy").data)
    out = tmp_path / "dossier.json"
    result = runner.invoke(args=["custody", "export-dossier", "--item", str(items[0].id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    checked = run_verifier(str(out), "--policy", str(policy))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "witnesses: quorum 2 of agencies (PDFY, PDGA, PDJC) met, cosigned by PDFY (" in checked.stdout

    # The same dossier against a policy that trusts other witness keys: not witnessed.
    text = policy.read_text()
    for witness in agencies.values():
        text = text.replace(witness.vkey, _another_vkey(witness.name))
    policy.write_text(text)
    checked = run_verifier(str(out), "--policy", str(policy))
    assert checked.returncode == 1
    assert checked.stdout.startswith(
        "FAILED: the checkpoint is not witnessed: the policy requires 2 of agencies (PDFY, PDGA, PDJC); "
        "cosigned by no witness, missing PDFY, PDGA, PDJC"
    ), checked.stdout


def _another_vkey(name: str) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from custody.audit.note import TYPE_COSIGNATURE_V1, VerifierKey

    return VerifierKey.for_key(name, TYPE_COSIGNATURE_V1, Ed25519PrivateKey.generate().public_key()).vkey


def test_one_witness_alone_is_no_quorum(app, runner, client, agencies, auth_headers):
    _case, [item] = stored_items(1)
    agencies["PDJC"].stop()
    agencies["PDFY"].stop()
    code, statuses = push(runner)
    assert statuses == {"PDGA": "ok", "PDJC": "unreachable", "PDFY": "unreachable"}
    headers = auth_headers("auditor")
    assert client.get("/api/v1/audit/checkpoints/witnessed", headers=headers).status_code == 409
    answer = client.get(f"/api/v1/audit/dossier?item_id={item.id}", headers=headers)
    assert answer.status_code == 409
    assert answer.json["code"] == "audit.not_witnessed"
    overview = client.get("/api/v1/audit/witnesses", headers=headers).json
    lagging = {w["name"]: (w["cosigned_latest"], w["last_status"]) for w in overview["witnesses"]}
    assert lagging == {"PDFY": (False, "unreachable"), "PDGA": (True, "ok"), "PDJC": (False, "unreachable")}


@pytest.mark.live_rows_diverge(reason="the operator rewrites history on purpose")
def test_a_database_edit_re_signed_by_the_operator_is_refused_by_every_witness(
    app, runner, client, agencies, auth_headers
):
    _case, items = stored_items(2)
    assert push(runner) == (0, {"PDFY": "ok", "PDGA": "ok", "PDJC": "ok"})
    headers = auth_headers("auditor")
    before = client.get("/api/v1/audit/checkpoints/witnessed", headers=headers).json

    # The operator, holding the database and the log's signing key, rewrites an event of the
    # witnessed history, recomputes every hash and the log, and signs the new head.
    fresh()
    chain = db.session.scalars(
        select(AuditEvent).where(AuditEvent.item_id == items[0].id).order_by(AuditEvent.item_seq)
    ).all()
    with as_dba() as conn:
        previous = GENESIS_HASH
        for row in conn.execute(
            select(EVENTS).where(EVENTS.c.item_id == items[0].id).order_by(EVENTS.c.item_seq)
        ):
            values = row._asdict()
            if row.id == chain[0].id:
                values["data"] = {**row.data, "name": "普通手机"}
            values["prev_hash"] = previous
            values["hash"] = entry_hash(event_entry(SimpleNamespace(**values)))
            conn.execute(
                update(EVENTS)
                .where(EVENTS.c.id == row.id)
                .values(data=values["data"], prev_hash=values["prev_hash"], hash=values["hash"])
            )
            conn.execute(
                update(ENTRIES)
                .where(ENTRIES.c.event_id == row.id)
                .values(leaf_hash=leaf_hash(canonical_bytes(event_entry(SimpleNamespace(**values)))).hex())
            )
            previous = values["hash"]
        _repair_caches(conn)
    assert runner.invoke(args=["custody", "checkpoint"]).exit_code == 0

    code, statuses = push(runner)
    assert code == 1
    assert statuses == {"PDFY": "refused", "PDGA": "refused", "PDJC": "refused"}
    refused = events("witness.refused")
    assert sorted(e.data["witness"] for e in refused) == ["PDFY", "PDGA", "PDJC"]
    assert all(e.data["status"] == 422 and "does not verify" in e.data["message"] for e in refused)

    # The witnessed checkpoint is still the one from before the edit.
    after = client.get("/api/v1/audit/checkpoints/witnessed", headers=headers).json
    assert (after["id"], after["tree_size"], after["root_hash"]) == (
        before["id"],
        before["tree_size"],
        before["root_hash"],
    )

    # Each witness kept the re-signed checkpoint as evidence, in its own append-only record.
    for witness in agencies.values():
        listed = witness_cli("refusals", "--config", witness.config, "--evidence-only")
        assert listed.returncode == 0, listed.stdout
        assert " 422 inconsistent: " in listed.stdout

    # Any agency's state file is enough to show the database was rewritten.
    result = runner.invoke(args=["custody", "verify-audit", "--against", str(agencies["PDFY"].state)])
    assert result.exit_code == 1
    assert "history was rewritten" in result.output


def test_a_split_view_is_found_by_comparing_the_witnesses(app, runner, agencies, tmp_path):
    _case, [item] = stored_items(1)
    item_id = item.id
    assert push(runner) == (0, {"PDFY": "ok", "PDGA": "ok", "PDJC": "ok"})
    backup = backup_database(tmp_path)
    try:
        # History A, shown to the police's witness only.
        storage.record_condition(db.session, act("police_keeper"), item_id, condition="封条完好")
        db.session.commit()
        db.session.execute(update(Witness).where(Witness.name != "PDGA").values(url=None))
        db.session.commit()
        assert push(runner) == (0, {"PDGA": "ok"})

        # History B, from the copy taken before: shown to the procuratorate's and the court's.
        restore_database(backup)
        storage.record_condition(db.session, act("police_keeper"), item_id, condition="封条破损")
        db.session.commit()
        db.session.execute(update(Witness).where(Witness.name == "PDGA").values(url=None))
        db.session.commit()
        assert push(runner) == (0, {"PDFY": "ok", "PDJC": "ok"})
    finally:
        drop_backup(backup)

    log_vkey = current_settings().note_key.vkey
    police, procuratorate, court = (agencies[c] for c in AGENCIES)
    consistent = witness_cli("compare", str(procuratorate.state), court.url, "--log-vkey", log_vkey)
    assert consistent.returncode == 0, consistent.stdout
    assert "CONSISTENT" in consistent.stdout, consistent.stdout

    split = witness_cli(
        "compare",
        str(police.state),
        str(procuratorate.state),
        court.url,
        "--log-vkey",
        log_vkey,
        *[a for w in agencies.values() for a in ("--witness-vkey", w.vkey)],
    )
    assert split.returncode == 1, split.stdout + split.stderr
    assert (
        split.stdout.count("SPLIT VIEW: log custody-tracker/audit showed two histories: two different roots")
        == 2
    )
    assert f"(cosigned by {police.name})" in split.stdout

    # With the agencies' trust policy, the witnesses are named as in the policy.
    policy = tmp_path / "policy.txt"
    policy.write_text(witnessing.policy_text(witnessing.current_policy(db.session, current_settings())))
    named = witness_cli("compare", str(police.state), court.url, "--policy", str(policy))
    assert named.returncode == 1
    assert "(cosigned by PDGA)" in named.stdout
    assert "(cosigned by PDFY)" in named.stdout


def test_an_older_copy_restored_is_refused_by_every_witness(app, runner, agencies, tmp_path):
    """A database restored from a backup taken before the latest witnessed checkpoint goes on
    recording: its next checkpoint is behind, or beside, what the witnesses hold."""
    _case, [item] = stored_items(1)
    item_id = item.id
    assert push(runner) == (0, {"PDFY": "ok", "PDGA": "ok", "PDJC": "ok"})
    backup = backup_database(tmp_path)
    try:
        stored_items(2)
        assert push(runner) == (0, {"PDFY": "ok", "PDGA": "ok", "PDJC": "ok"})
        restore_database(backup)
    finally:
        drop_backup(backup)
    storage.record_condition(db.session, act("police_keeper"), item_id, condition="封存完好")
    db.session.commit()
    code, statuses = push(runner)
    assert code == 1
    assert statuses == {"PDFY": "refused", "PDGA": "refused", "PDJC": "refused"}
    assert sorted(e.data["witness"] for e in events("witness.refused")) == ["PDFY", "PDGA", "PDJC"]
    for witness in agencies.values():
        listed = witness_cli("refusals", "--config", witness.config, "--evidence-only")
        assert " rollback: " in listed.stdout or " inconsistent: " in listed.stdout, listed.stdout
