"""Verifying outside the app: ``python -m custody.verify`` on dossiers, and ``flask custody
verify-audit`` / ``export-dossier`` on an intact database.

The stand-alone verifier runs in a subprocess that cannot import Flask, SQLAlchemy or anything
else of the app's stack — only the standard library and ``cryptography``.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys

import pytest
from pypdf import PdfReader

from custody.audit.bundle import (
    bundle_json,
    verify_bundle,
)
from custody.audit.canonical import entry_hash
from custody.audit.ledger import current_settings
from custody.audit.signing import (
    generate_private_key_text,
    key_id,
    load_private_key,
    public_key_to_text,
)

from ..factories import stored_items
from ..helpers import events
from .ledger_helpers import (
    KEY,
    ROOT,
    make_bundle,
    run_verifier,
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
