"""Verifying outside the app: ``python -m custody.verify`` on dossiers, and ``flask custody
verify-audit`` / ``export-dossier`` on an intact database.

The stand-alone verifier runs in a subprocess that cannot import Flask, SQLAlchemy or anything
else of the app's stack — only the standard library and ``cryptography``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from custody.audit.bundle import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    bundle_json,
    manifest_body,
    sign_manifest,
    verify_bundle,
)
from custody.audit.canonical import GENESIS_HASH, build_entry, canonical_bytes, entry_hash
from custody.audit.ledger import current_settings
from custody.audit.merkle import MerkleTree, leaf_hash
from custody.audit.note import (
    TYPE_COSIGNATURE_V1,
    TYPE_ED25519,
    VerifierKey,
    cosign,
    format_note,
    sign_note_text,
)
from custody.audit.signing import (
    checkpoint_body,
    generate_private_key_text,
    key_id,
    load_private_key,
    public_key_to_text,
    sign_checkpoint,
)

from ..factories import stored_items
from ..helpers import events

ROOT = Path(__file__).resolve().parents[2]

# Runs custody.verify with every package of the app's stack made unimportable.
ISOLATED = """
import importlib.abc, runpy, sys
BLOCKED = {"flask", "flask_smorest", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "marshmallow", "jinja2",
           "reportlab", "psycopg", "alembic", "babel", "custody.models", "custody.services", "custody.api"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in BLOCKED or name.split(".")[0] in BLOCKED or ".".join(name.split(".")[:2]) in BLOCKED:
            raise ImportError(f"{name} is not available to the stand-alone verifier")
sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv.pop(1))
sys.argv[0] = "custody.verify"
runpy.run_module("custody.verify", run_name="__main__", alter_sys=True)
"""


def run_verifier(*args: str) -> subprocess.CompletedProcess[str]:
    # -I: no PYTHONPATH, no user site, not even the current directory on sys.path.
    return subprocess.run(
        [sys.executable, "-I", "-c", ISOLATED, str(ROOT), *args], capture_output=True, text=True, timeout=60
    )


def test_the_verifier_imports_nothing_of_the_app_stack():
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import custody.verify; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'werkzeug', 'marshmallow', 'reportlab', 'psycopg'}); print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(ROOT)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stderr


# -- a dossier built by hand, to alter in every way -------------------------------------------------

KEY = load_private_key(generate_private_key_text())
ORIGIN = "test.custody/audit"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _entry(n: int, item_id: int | None, seq: int | None, prev: str | None, action: str) -> dict:
    return build_entry(
        category="custody" if item_id else "case",
        action=action,
        outcome="success",
        actor={"username": "police_keeper", "agency_name": "浦东公安分局", "agency_kind": "police"},
        object_type="item" if item_id else "case",
        object_id=str(item_id or 7),
        case_id=7,
        item_id=item_id,
        item_seq=seq,
        occurred_at=T0 + timedelta(minutes=n),
        recorded_at=T0 + timedelta(minutes=n),
        reason=None,
        data={
            "n": n,
            "说明": "封存完好",
            **({"label_code": "PDGA-2026-000005", "name": "手机"} if action == "item.register" else {}),
        },
        origin_ip="10.1.2.3",
        user_agent="pytest",
        prev_hash=prev,
    )


def witness_section(key, when, tree, witnesses=(), quorum: int = 0) -> tuple[str, str]:
    """The checkpoint note (log signature, then a cosignature/v1 by each ``(name, key)`` witness)
    and the trust policy naming them with ``quorum`` (0: none), as the exporter writes them."""
    text = checkpoint_body(ORIGIN, tree.size, tree.root(), when).decode()
    lines = [sign_note_text(text, ORIGIN, key)]
    policy = [f"log {VerifierKey.for_key(ORIGIN, TYPE_ED25519, key.public_key()).vkey}"]
    for number, (name, witness_key) in enumerate(witnesses):
        lines.append(cosign(text, name, witness_key, int(when.timestamp()) + 60 + number))
        vkey = VerifierKey.for_key(name, TYPE_COSIGNATURE_V1, witness_key.public_key()).vkey
        policy.append(f"witness W{number} {vkey}")
    if quorum:
        policy.append(f"group agencies {quorum} " + " ".join(f"W{n}" for n in range(len(witnesses))))
        policy.append("quorum agencies")
    else:
        policy.append("quorum none")
    return format_note(text, lines).decode(), "\n".join(policy) + "\n"


def make_bundle(key=KEY, witnesses=(), quorum: int = 0) -> dict:
    """A case dossier: one case event and an item with three events, among unrelated leaves."""
    leaves = [leaf_hash(f"other {n}".encode()) for n in range(12)]
    events, prev = [], GENESIS_HASH
    plan = [(None, None, "case.open"), (5, 1, "item.register"), (5, 2, "item.check_in"), (5, 3, "item.move")]
    for n, (item_id, seq, action) in enumerate(plan):
        entry = _entry(n, item_id, seq, prev if item_id else None, action)
        digest = entry_hash(entry)
        if item_id:
            prev = digest
        index = 2 + 3 * n
        leaves[index] = leaf_hash(canonical_bytes(entry))
        events.append({"event_id": 100 + n, "log_index": index, "hash": digest, "entry": entry})
    tree = MerkleTree.from_leaf_hashes(leaves)
    for event in events:
        event["inclusion_proof"] = [p.hex() for p in tree.inclusion_proof(event["log_index"])]
    when = T0 + timedelta(hours=1)
    signature = sign_checkpoint(key, ORIGIN, tree.size, tree.root(), when)
    note, policy = witness_section(key, when, tree, witnesses, quorum)
    bundle = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "generated_at": "2026-03-01T09:00:00.000000Z",
        "subject": {"type": "case", "case_id": 7, "title": "张某某诈骗案", "case_numbers": {}},
        "items": [
            {
                "item_id": 5,
                "label_code": "PDGA-2026-000005",
                "name": "手机",
                "event_count": 3,
                "last_event_hash": prev,
            }
        ],
        "log": {
            "origin": ORIGIN,
            "algorithm": "Ed25519",
            "key_id": key_id(key.public_key()),
            "public_key": public_key_to_text(key.public_key()),
        },
        "checkpoint": {
            "origin": ORIGIN,
            "tree_size": tree.size,
            "root_hash": tree.root().hex(),
            "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "key_id": key_id(key.public_key()),
            "signature": base64.b64encode(signature).decode(),
            "note": note,
        },
        "witnesses": {"policy": policy},
        "events": events,
    }
    sign(bundle, key)
    return bundle


def sign(bundle: dict, key=KEY) -> None:
    """(Re-)sign the bundle's manifest with ``key``, as the exporter does, from the bundle as it is."""
    bundle["manifest"] = sign_manifest(
        key,
        manifest_body(
            origin=bundle["checkpoint"]["origin"],
            key=key_id(key.public_key()),
            subject={"type": "case", "case_id": bundle["subject"]["case_id"]},
            heads=bundle["items"],
            event_hashes=[e["hash"] for e in sorted(bundle["events"], key=lambda e: e["log_index"])],
            tree_size=bundle["checkpoint"]["tree_size"],
            root_hash=bundle["checkpoint"]["root_hash"],
            created_at=bundle["generated_at"],
        ),
    )


def test_a_hand_built_dossier_verifies():
    report = verify_bundle(make_bundle(), KEY.public_key())
    assert report.ok, report.problems
    assert report.summary[0] == "subject: case 7 (张某某诈骗案)"
    assert "12 entries" in report.summary[2]


def _edit_payload(b: dict) -> None:
    b["events"][2]["entry"]["data"]["说明"] = "封条破损"


def _rehash_one(b: dict) -> None:
    event = b["events"][2]
    event["entry"]["reason"] = "补记"
    event["hash"] = entry_hash(event["entry"])


def _drop_middle(b: dict) -> None:
    del b["events"][2]


def _swap_places(b: dict) -> None:
    first, second = b["events"][2], b["events"][3]
    first["log_index"], second["log_index"] = second["log_index"], first["log_index"]


def _truncate_tail(b: dict) -> None:
    del b["events"][3]


def _bad_proof(b: dict) -> None:
    proof = b["events"][1]["inclusion_proof"]
    proof[0] = hashlib.sha256(b"forged").hexdigest()


def _bigger_tree(b: dict) -> None:
    b["checkpoint"]["tree_size"] += 1


def _other_root(b: dict) -> None:
    b["checkpoint"]["root_hash"] = "00" * 32


def _other_subject(b: dict) -> None:
    b["subject"]["case_id"] = 8


def _renamed_item(b: dict) -> None:
    b["items"][0]["name"] = "金条"


ALTERATIONS = [
    (_edit_payload, "event 102 (item 5 no. 2): the entry does not match its hash: it was altered"),
    (_rehash_one, "event 102 (item 5 no. 2): not proven to be entry 8 of the log signed at"),
    (_drop_middle, "item 5: event no. 2 is missing (found no. 3)"),
    (_swap_places, "event 102 (item 5 no. 2): not proven to be entry 11 of the log signed at"),
    (_truncate_tail, "item 5: the history is incomplete (2 of 3 events signed in the manifest)"),
    (_bad_proof, "event 101 (item 5 no. 1): not proven to be entry 5 of the log signed at"),
    (_bigger_tree, "the checkpoint signature does not verify (tree size 13,"),
    (_other_root, "the checkpoint signature does not verify (tree size 12,"),
    (_other_subject, "the dossier says it is about case 8, the signed manifest about case 7"),
    (_renamed_item, "item 5: its name '金条' differs from its registration ('手机')"),
]


@pytest.mark.parametrize(
    ("alter", "first_problem"), ALTERATIONS, ids=[a.__name__.strip("_") for a, _ in ALTERATIONS]
)
def test_every_alteration_of_a_dossier_is_named(alter, first_problem):
    bundle = make_bundle()
    alter(bundle)
    report = verify_bundle(bundle, KEY.public_key())
    assert not report.ok
    assert report.problems[0].startswith(first_problem), report.problems


def test_a_dossier_re_signed_by_someone_else_needs_the_published_key_to_be_caught():
    forger = load_private_key(generate_private_key_text())
    forged = make_bundle(forger)
    report = verify_bundle(forged)  # self-consistent: only the key tells
    assert report.ok
    assert any(
        line.endswith("(taken from the bundle: compare it with the published key)") for line in report.summary
    )
    refused = verify_bundle(forged, KEY.public_key())
    assert refused.problems == [
        f"the bundle is signed by key {key_id(forger.public_key())}, not by the trusted key "
        f"{key_id(KEY.public_key())}"
    ]


def test_not_a_dossier():
    assert verify_bundle([]).problems == ["the file is not a dossier (not a JSON object)"]
    assert (
        verify_bundle({"format": "x"})
        .problems[0]
        .startswith("not a custody-audit-dossier version 2 or 3 document")
    )


def test_the_stand_alone_verifier_on_files(tmp_path):
    good = tmp_path / "dossier.json"
    good.write_bytes(bundle_json(make_bundle()))
    key = tmp_path / "key.txt"
    key.write_text(public_key_to_text(KEY.public_key()))
    ok = run_verifier(str(good), "--key", str(key))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith(f"OK: {good} verifies.")
    assert "trusted key" in ok.stdout

    bad = tmp_path / "altered.json"
    altered = make_bundle()
    _edit_payload(altered)
    bad.write_bytes(bundle_json(altered))
    failed = run_verifier(str(bad))
    assert failed.returncode == 1
    assert failed.stdout.startswith("FAILED: event 102 (item 5 no. 2): the entry does not match its hash")

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert run_verifier(str(broken)).returncode == 2
    assert run_verifier(str(good), "--key", "not-a-key").returncode == 2


# -- the CLI on a real database ---------------------------------------------------------------------


def test_export_dossier_command_writes_a_bundle_and_certificate_that_verify(app, runner, tmp_path):
    case, items = stored_items(2)
    out, pdf = tmp_path / "item.json", tmp_path / "item.pdf"
    result = runner.invoke(
        args=["custody", "export-dossier", "--item", str(items[0].id), "--out", str(out), "--pdf", str(pdf)]
    )
    assert result.exit_code == 0, result.output
    assert "python -m custody.verify" in result.output
    checked = run_verifier(str(out), "--key", public_key_to_text(current_settings().public_key))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = "".join(
        "".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages
    )
    assert hashlib.sha256(out.read_bytes()).hexdigest() in text
    assert items[0].label_code in text
    export = events("audit.export")[-1]
    assert export.actor is None
    assert export.user_agent == "flask custody (command line)"
    assert export.data["document"] == "json+pdf"

    whole = tmp_path / "case.json"
    assert (
        runner.invoke(
            args=["custody", "export-dossier", "--case", str(case.id), "--out", str(whole)]
        ).exit_code
        == 0
    )
    assert verify_bundle(json.loads(whole.read_text()), current_settings().public_key).ok
    missing = runner.invoke(args=["custody", "export-dossier", "--item", "999999", "--out", str(out)])
    assert missing.exit_code == 1
    assert "Record not found" in missing.output
    neither = runner.invoke(args=["custody", "export-dossier", "--out", str(out)])
    assert neither.exit_code == 1
    assert "either item_id or case_id" in neither.output


def test_verify_audit_on_an_intact_record(app, runner, tmp_path):
    stored_items(2)
    exported = tmp_path / "checkpoint.json"
    assert runner.invoke(args=["custody", "checkpoint", "--out", str(exported)]).exit_code == 0
    result = runner.invoke(args=["custody", "verify-audit", "--against", str(exported)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: the audit record is intact. ")
    assert "The log extends the exported checkpoint" in result.output
    run = events("audit.verify")[-1]
    assert run.outcome.value == "success"
    assert run.object_type == "ledger"
    assert run.data["problems"] == 0
    assert run.data["against"]["tree_size"] == json.loads(exported.read_text())["tree_size"]
    garbage = tmp_path / "garbage.json"
    garbage.write_text("[")
    assert runner.invoke(args=["custody", "verify-audit", "--against", str(garbage)]).exit_code == 2
