"""The log's side of witnessing, without witness processes: the registry and its audited trust
policy, key rotation with an overlap, the quorum, polling witnesses posting cosignatures, the API's
access rules and errors, ``flask custody witness-key``, and ``verify-audit --against`` a witness's
state file."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from custody.audit import witnessing
from custody.audit.ledger import create_checkpoint, current_settings, latest_checkpoint
from custody.audit.note import TYPE_COSIGNATURE_V1, VerifierKey, format_note, parse_note
from custody.audit.tlog import parse_policy
from custody.domain.errors import Conflict, NotFound
from custody.extensions import db
from custody.witness.core import AppendOnlyRecord, LogConfig, Witness
from custody.witness.poll import poll_once
from custody.witness.server import Reply

from ..factories import stored_items
from ..helpers import events, fresh


def _witness(directory: Path, name: str) -> Witness:
    return Witness(
        name=name,
        keys=[Ed25519PrivateKey.generate()],
        logs={
            current_settings().origin: LogConfig(current_settings().origin, current_settings().note_keys())
        },
        state_path=directory / "state.json",
        refusals=AppendOnlyRecord(directory / "refusals.jsonl"),
        history=AppendOnlyRecord(directory / "cosigned.jsonl"),
    )


def _vkey(key: Ed25519PrivateKey, name: str) -> str:
    return VerifierKey.for_key(name, TYPE_COSIGNATURE_V1, key.public_key()).vkey


def _register(code: str, key: Ed25519PrivateKey | None = None, url: str | None = None) -> Ed25519PrivateKey:
    key = key or Ed25519PrivateKey.generate()
    witnessing.register_witness(
        db.session,
        current_settings(),
        None,
        name=code,
        vkey=_vkey(key, f"w.{code.lower()}/c"),
        agency_code=code,
        url=url,
    )
    db.session.commit()
    return key


def _cosign_latest(keys: dict[str, Ed25519PrivateKey]) -> None:
    """What polling witnesses do: cosign the latest checkpoint and hand the lines to the log."""
    from custody.audit.note import cosign

    checkpoint = latest_checkpoint(db.session)
    text = witnessing.ledger.checkpoint_note_text(checkpoint)
    lines = [cosign(text, f"w.{code.lower()}/c", key, 1_800_000_000) for code, key in keys.items()]
    witnessing.store_cosignatures(db.session, checkpoint, lines)
    db.session.commit()


def test_registering_a_witness_records_the_new_trust_policy(app):
    key = _register("PDGA")
    [event] = events("witness.register")
    policy = parse_policy(event.data["policy"])
    assert event.category.value == "admin"
    assert event.data["vkey"] == _vkey(key, "w.pdga/c")
    assert event.data["policy_version"] == 1
    assert event.data["policy_changed"]
    assert [w.key.vkey for w in policy.witnesses.values()] == [_vkey(key, "w.pdga/c")]
    assert policy.log_keys == [current_settings().note_key]
    assert policy.describe_quorum() == "1 of agencies (PDGA)"  # fewer registered than the configured 2
    assert witnessing.policy_is_recorded(db.session, current_settings())


def test_three_agencies_make_a_two_of_three_quorum(app):
    for code in ("PDGA", "PDJC", "PDFY"):
        _register(code)
    policy = witnessing.current_policy(db.session, current_settings())
    assert policy.describe_quorum() == "2 of agencies (PDFY, PDGA, PDJC)"
    assert [e.data["policy_version"] for e in events("witness.register")] == [1, 2, 3]


def test_registration_refuses_what_it_cannot_trust(app):
    key = _register("PDGA")
    with pytest.raises(Conflict, match="exists already"):
        _register("PDGA")
    db.session.rollback()
    with pytest.raises(Conflict, match="registered already"):
        _register("PDJC", key)
    db.session.rollback()
    log_vkey = current_settings().note_key.vkey
    with pytest.raises(witnessing.WitnessRegistryError, match="signature type 0x04"):
        witnessing.register_witness(db.session, current_settings(), None, name="PDFY", vkey=log_vkey)
    with pytest.raises(witnessing.WitnessRegistryError, match="Not a witness verifier key"):
        witnessing.register_witness(db.session, current_settings(), None, name="PDFY", vkey="junk")
    with pytest.raises(witnessing.WitnessRegistryError, match="1 to 32 letters"):
        witnessing.register_witness(db.session, current_settings(), None, name="a b", vkey=_vkey(key, "x"))
    with pytest.raises(witnessing.WitnessRegistryError, match="http"):
        witnessing.register_witness(
            db.session,
            current_settings(),
            None,
            name="PDFY",
            vkey=_vkey(Ed25519PrivateKey.generate(), "x"),
            url="ftp://x",
        )
    with pytest.raises(NotFound):
        witnessing.register_witness(
            db.session,
            current_settings(),
            None,
            name="PDFY",
            vkey=_vkey(Ed25519PrivateKey.generate(), "x"),
            agency_code="NOPE",
        )


def test_a_key_rotation_overlaps_then_the_old_key_stops_counting(app):
    old = _register("PDGA")
    pdjc = _register("PDJC")
    new = Ed25519PrivateKey.generate()
    witnessing.add_key(db.session, current_settings(), None, name="PDGA", vkey=_vkey(new, "w.pdga/c"))
    db.session.commit()
    text = witnessing.policy_text(witnessing.current_policy(db.session, current_settings()))
    assert "group PDGA any PDGA.1 PDGA.2\n" in text
    assert "group agencies all PDGA PDJC\n" in text

    stored_items(1)
    create_checkpoint(db.session, current_settings())
    db.session.commit()
    _cosign_latest({"PDGA": old})
    _cosign_latest({"PDJC": Ed25519PrivateKey.generate()})  # not a registered key: ignored
    assert witnessing.latest_witnessed(db.session, current_settings()) is None
    _cosign_latest({"PDJC": pdjc})
    found = witnessing.latest_witnessed(db.session, current_settings())
    assert found is not None
    assert sorted(found[1].members) == ["PDGA", "PDJC"]

    witnessing.retire_key(db.session, current_settings(), None, key=_vkey(old, "w.pdga/c"))
    db.session.commit()
    assert witnessing.latest_witnessed(db.session, current_settings()) is None  # the old key no longer does
    _cosign_latest({"PDGA": new})
    assert witnessing.latest_witnessed(db.session, current_settings()) is not None
    actions = [e.action for e in events() if e.action.startswith("witness.")]
    assert actions == ["witness.register", "witness.register", "witness.key_add", "witness.key_retire"]
    assert [p for p in (e.data["policy_version"] for e in events() if e.action.startswith("witness."))] == [
        1,
        2,
        3,
        4,
    ]


def test_a_quorum_of_zero_means_unwitnessed(app):
    settings = current_settings()
    _register("PDGA")
    policy = witnessing.build_policy(
        type(settings)(**{**settings.__dict__, "witness_quorum": 0}), witnessing.active_witnesses(db.session)
    )
    assert policy.quorum == "none"
    assert "quorum none\n" in policy.text()


# -- polling witnesses and the API ---------------------------------------------------------------------


def _transport(client, headers):
    def exchange(url, *, method="GET", data=None, content_type=None, token=None, timeout=10.0) -> Reply:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.open(path, method=method, data=data, content_type=content_type, headers=headers)
        return Reply(response.status_code, response.data, response.content_type or "")

    return exchange


def test_a_polling_witness_cosigns_and_posts_its_cosignature(app, client, auth_headers, tmp_path):
    witness = _witness(tmp_path, "w.pdjc/c")
    witnessing.register_witness(
        db.session, current_settings(), None, name="PDJC", vkey=witness.vkeys[0].vkey, agency_code="PDJC"
    )
    db.session.commit()
    stored_items(1)
    create_checkpoint(db.session, current_settings())
    db.session.commit()
    log = LogConfig(
        current_settings().origin, current_settings().note_keys(), url="http://custody.test/api/v1"
    )
    transport = _transport(client, auth_headers("prosecutor"))

    first = poll_once(witness, log, base=tmp_path, transport=transport)
    assert first.ok
    assert first.message.startswith("cosigned ")
    fresh()
    checkpoint = latest_checkpoint(db.session)
    assert [c.key.witness.name for c in checkpoint.cosignatures] == ["PDJC"]
    assert poll_once(witness, log, base=tmp_path, transport=transport).message.startswith("up to date")

    stored_items(1)  # the log grows: the next poll fetches a consistency proof from the held size
    create_checkpoint(db.session, current_settings())
    db.session.commit()
    grown = poll_once(witness, log, base=tmp_path, transport=transport)
    assert grown.ok, grown.message
    assert witness.held(log.origin).tree_size == latest_checkpoint(db.session).tree_size
    overview = client.get("/api/v1/audit/witnesses", headers=auth_headers("auditor")).json
    assert overview["witnesses"][0]["mode"] == "poll"
    assert overview["witnesses"][0]["cosigned_latest"]


def test_the_cosignatures_endpoint_verifies_what_it_stores(app, client, auth_headers):
    key = _register("PDGA")
    stored_items(1)
    checkpoint = create_checkpoint(db.session, current_settings())
    db.session.commit()
    headers = {**auth_headers("police_officer"), "Content-Type": "text/plain"}
    note = witnessing.checkpoint_note(current_settings(), checkpoint, cosigned=False)
    from custody.audit.note import cosign

    line = cosign(parse_note(note).text, "w.pdga/c", key, 1_800_000_000)
    body = format_note(parse_note(note).text, [*parse_note(note).signatures, line])

    assert client.post("/api/v1/audit/cosignatures", data=body).status_code == 401
    assert (
        client.post("/api/v1/audit/cosignatures", data=b"junk", headers=headers).json["code"]
        == "witness.bad_note"
    )
    forged = bytearray(body)
    forged[-10] ^= 1
    answer = client.post("/api/v1/audit/cosignatures", data=bytes(forged), headers=headers)
    assert answer.status_code in (400, 422)
    other = body.replace(
        f"\n{checkpoint.tree_size}\n".encode(), f"\n{checkpoint.tree_size + 1000}\n".encode()
    )
    assert client.post("/api/v1/audit/cosignatures", data=other, headers=headers).status_code == 404
    ok = client.post("/api/v1/audit/cosignatures", data=body, headers=headers)
    assert ok.status_code == 200
    assert ok.json["stored"] == ["PDGA"]
    assert ok.json["ignored"] == 1
    again = client.post("/api/v1/audit/cosignatures", data=body, headers=headers)
    assert again.json["stored"] == []
    assert again.json["known"] == ["PDGA"]


def test_who_may_read_witness_status_and_the_public_policy(app, client, auth_headers):
    _register("PDGA")
    assert client.get("/api/v1/audit/witnesses").status_code == 401
    assert client.get("/api/v1/audit/witnesses", headers=auth_headers("police_officer")).status_code == 403
    assert client.get("/api/v1/audit/witnesses", headers=auth_headers("auditor")).status_code == 200
    policy = client.get("/api/v1/audit/witness-policy")
    assert policy.status_code == 200
    assert policy.content_type.startswith("text/plain")
    assert parse_policy(policy.data).describe_quorum() == "1 of agencies (PDGA)"
    key = client.get("/api/v1/audit/public-key").json
    assert key["vkey"] == current_settings().note_key.vkey


# -- keys and held checkpoints -----------------------------------------------------------------------------


def test_witness_key_prints_only_the_public_verifier_key(app, runner, tmp_path):
    path = tmp_path / "pdga-witness-key"
    result = runner.invoke(args=["custody", "witness-key", "--name", "w.pdga/c", "--out", str(path)])
    assert result.exit_code == 0
    seed = path.read_text().strip()
    assert seed not in result.output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed))
    assert result.output.strip() == _vkey(key, "w.pdga/c")
    again = runner.invoke(args=["custody", "witness-key", "--name", "w.pdga/c", "--key", str(path)])
    assert again.output == result.output
    refused = runner.invoke(args=["custody", "witness-key", "--name", "w.pdga/c", "--out", str(path)])
    assert refused.exit_code == 2
    assert "never overwritten" in refused.output


def test_verify_audit_accepts_a_witness_state_file(app, runner, tmp_path):
    witness = _witness(tmp_path, "w.pdfy/c")
    witnessing.register_witness(
        db.session, current_settings(), None, name="PDFY", vkey=witness.vkeys[0].vkey, agency_code="PDFY"
    )
    stored_items(1)
    checkpoint = create_checkpoint(db.session, current_settings())
    db.session.commit()
    from custody.audit.tlog import format_add_checkpoint

    note = witnessing.checkpoint_note(current_settings(), checkpoint, cosigned=False)
    assert witness.add_checkpoint(format_add_checkpoint(0, [], note.encode())).status == 200
    stored_items(1)  # the log goes on after the witness's checkpoint
    result = runner.invoke(args=["custody", "verify-audit", "--against", str(witness.state_path)])
    assert result.exit_code == 0, result.output
    assert "The log extends the checkpoint held by witness w.pdfy/c of " in result.output
    assert "cosigned by witness PDFY (key " in result.output

    # The same file with the witness's cosignature altered.
    state = witness.state_path.read_text()
    text = parse_note(witness.held(current_settings().origin).note)
    forged_line = text.signatures[-1].line.rstrip("\n")
    blob = bytearray(base64.b64decode(forged_line.split()[-1]))
    blob[-1] ^= 1
    forged = state.replace(forged_line.split()[-1], base64.b64encode(bytes(blob)).decode())
    (tmp_path / "forged.json").write_text(forged)
    result = runner.invoke(args=["custody", "verify-audit", "--against", str(tmp_path / "forged.json")])
    assert result.exit_code == 1
    assert "the file was altered" in result.output


@pytest.mark.postgres
def test_the_same_cosignature_stored_twice_at_once_is_kept_once(postgres_app):
    """A push and a polling witness may hand in the same cosignature concurrently (PostgreSQL)."""
    from sqlalchemy.orm import Session

    from custody.audit.note import cosign
    from custody.models.witness import Cosignature

    key = _register("PDGA")
    stored_items(1)
    checkpoint = create_checkpoint(db.session, current_settings())
    db.session.commit()
    line = cosign(witnessing.ledger.checkpoint_note_text(checkpoint), "w.pdga/c", key, 1_800_000_000)
    with Session(db.engine) as first, Session(db.engine) as second:
        one = first.get(type(checkpoint), checkpoint.id)
        two = second.get(type(checkpoint), checkpoint.id)
        assert one.cosignatures == []
        assert two.cosignatures == []
        assert [c.key.witness.name for c in witnessing.store_cosignatures(first, one, [line]).stored] == [
            "PDGA"
        ]
        first.commit()
        result = witnessing.store_cosignatures(second, two, [line])
        second.commit()
    assert result.stored == []
    assert result.known == ["PDGA"]
    fresh()
    assert len(db.session.scalars(select(Cosignature)).all()) == 1


# -- verify-audit checks the witness records ----------------------------------------------------------


def _verify(runner) -> list[str]:
    result = runner.invoke(args=["custody", "verify-audit"])
    return [result.exit_code, *result.output.splitlines()]


def test_verify_audit_passes_a_witnessed_log(app, runner):
    key = _register("PDGA")
    stored_items(1)
    create_checkpoint(db.session, current_settings())
    db.session.commit()
    _cosign_latest({"PDGA": key})
    code, first, *_ = _verify(runner)
    assert code == 0, first
    assert first.startswith("OK: the audit record is intact."), first


def test_a_witness_key_slipped_into_the_database_is_named(app, runner):
    from custody.models.witness import Witness, WitnessKey

    _register("PDGA")
    forged = Ed25519PrivateKey.generate()
    vkey = VerifierKey.for_key("w.pdga/c", TYPE_COSIGNATURE_V1, forged.public_key())
    witness = db.session.scalar(select(Witness).where(Witness.name == "PDGA"))
    db.session.add(
        WitnessKey(
            witness=witness,
            key_name=vkey.name,
            key_id=vkey.key_id_hex,
            public_key=base64.b64encode(vkey.public_key).decode(),
        )
    )
    db.session.commit()
    code, first, *_ = _verify(runner)
    assert code == 1
    assert first == (
        "FAILED: The witness registry is not the last recorded trust policy: keys or witnesses were changed "
        "outside the audited commands (or the log key or quorum changed: flask custody witness policy --record)."
    )
    assert events("audit.verify")[-1].outcome.value == "failure"


def test_a_forged_cosignature_row_is_named(app, runner):
    from custody.models.witness import Cosignature, WitnessKey

    _register("PDGA")
    stored_items(1)
    checkpoint = create_checkpoint(db.session, current_settings())
    db.session.commit()
    key = db.session.scalar(select(WitnessKey))
    blob = bytes.fromhex(key.key_id) + (1_800_000_000).to_bytes(8, "big") + bytes(64)
    db.session.add(
        Cosignature(
            checkpoint_id=checkpoint.id,
            witness_key_id=key.id,
            timestamp=checkpoint.timestamp,
            signature=base64.b64encode(blob).decode(),
        )
    )
    db.session.commit()
    code, first, *_ = _verify(runner)
    assert code == 1
    assert first == (
        f"FAILED: Cosignature 1 of checkpoint {checkpoint.id} by witness PDGA does not verify: it was forged or altered."
    )


def test_an_edited_policy_is_named(app, runner):
    from sqlalchemy import update

    from custody.models.witness import WitnessPolicy

    from .ledger_helpers import as_dba

    _register("PDGA")
    with as_dba() as conn:
        conn.execute(update(WitnessPolicy.__table__).values(text="quorum none\n"))
    code, first, *rest = _verify(runner)
    assert code == 1
    assert first == "FAILED: Witness policy version 1 does not match its SHA-256: it was altered."
