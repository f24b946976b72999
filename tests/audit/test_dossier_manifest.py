"""The signed manifest of a dossier: what it is about, how far each item's history goes, which events.

Without it a dossier's completeness rested on ``items[].event_count`` / ``last_event_hash``, which
nobody signs: whoever held the file could drop an item's last events (its disposal, say), edit those
two fields and still get "OK". The manifest is signed with the log's key; the verifier checks the
items' histories against it.
"""

from __future__ import annotations

import base64
import copy
import json

import pytest

from custody.audit.bundle import MANIFEST_FORMAT, bundle_json, manifest_body, sign_manifest, verify_bundle
from custody.audit.canonical import canonical_bytes
from custody.audit.ledger import current_settings
from custody.audit.service import export_dossier
from custody.audit.signing import generate_private_key_text, key_id, load_private_key, public_key_to_text
from custody.domain.enums import DispositionKind
from custody.extensions import db
from custody.services import dispositions

from ..factories import act, judge_case, stored_items
from .ledger_helpers import KEY, make_bundle, run_verifier, sign


def _disposed_item_dossier():
    """A real item dossier, exported after the item was confiscated (its last events: the disposal)."""
    case, [item] = stored_items(1)
    judge_case(case)
    disposition = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[item.id], kind=DispositionKind.CONFISCATE
    )
    db.session.commit()
    dispositions.decide_disposition(db.session, act("police_approver"), disposition.id, approve=True)
    db.session.commit()
    dispositions.execute_disposition(
        db.session, act("police_keeper"), disposition.id, receipt_no="国库回执 1"
    )
    db.session.commit()
    bundle = export_dossier(db.session, current_settings(), None, item_id=item.id).bundle
    db.session.commit()
    return item, bundle


def _drop_disposal_and_fix_the_heads(bundle: dict) -> None:
    """What a holder of the file would do to hide the disposal: drop its events, then make the
    unsigned item heads agree with what is left."""
    bundle["events"] = [e for e in bundle["events"] if not e["entry"]["action"].startswith("disposition.")]
    last = max(bundle["events"], key=lambda e: e["entry"]["item_seq"])
    bundle["items"][0]["event_count"] = last["entry"]["item_seq"]
    bundle["items"][0]["last_event_hash"] = last["hash"]


def test_an_exported_dossier_carries_a_signed_manifest_of_its_heads(app):
    item, bundle = _disposed_item_dossier()
    body = bundle["manifest"]["body"]
    db.session.refresh(item)
    assert body["format"] == MANIFEST_FORMAT
    assert body["subject"] == {"type": "item", "item_id": item.id}
    assert body["items"] == [
        {"item_id": item.id, "event_count": item.event_count, "last_event_hash": item.last_event_hash}
    ]
    assert body["checkpoint"] == {
        "tree_size": bundle["checkpoint"]["tree_size"],
        "root_hash": bundle["checkpoint"]["root_hash"],
    }
    assert body["events"]["count"] == len(bundle["events"])
    assert body["created_at"] == bundle["generated_at"]
    assert body["key_id"] == current_settings().key_id
    current_settings().public_key.verify(
        base64.b64decode(bundle["manifest"]["signature"]), canonical_bytes(body)
    )
    assert verify_bundle(bundle, current_settings().public_key).ok


def test_a_dossier_cut_short_with_its_unsigned_heads_edited_fails(app, tmp_path):
    item, bundle = _disposed_item_dossier()
    _drop_disposal_and_fix_the_heads(bundle)
    report = verify_bundle(bundle, current_settings().public_key)
    assert not report.ok
    count = bundle["manifest"]["body"]["items"][0]["event_count"]
    assert report.problems[0] == (
        f"item {item.id}: the history is incomplete ({count - 3} of {count} events signed in the manifest)"
    )
    assert any(
        p.startswith(f"item {item.id}: its event_count or last_event_hash") and p.endswith("altered")
        for p in report.problems
    )

    cut = tmp_path / "cut.json"
    cut.write_bytes(bundle_json(bundle))
    checked = run_verifier(str(cut), "--key", public_key_to_text(current_settings().public_key))
    assert checked.returncode == 1
    assert checked.stdout.startswith(f"FAILED: item {item.id}: the history is incomplete"), checked.stdout


def test_a_manifest_re_signed_with_another_key_fails_against_the_published_key(app, tmp_path):
    item, bundle = _disposed_item_dossier()
    _drop_disposal_and_fix_the_heads(bundle)
    forger = load_private_key(generate_private_key_text())
    body = copy.deepcopy(bundle["manifest"]["body"])
    body["items"] = [{k: bundle["items"][0][k] for k in ("item_id", "event_count", "last_event_hash")}]
    bundle["manifest"] = sign_manifest(forger, body)
    published = public_key_to_text(current_settings().public_key)

    forged = tmp_path / "forged.json"
    forged.write_bytes(bundle_json(bundle))
    checked = run_verifier(str(forged), "--key", published)
    assert checked.returncode == 1
    assert checked.stdout.startswith(
        f"FAILED: the manifest signature does not verify with key {current_settings().key_id}"
    ), checked.stdout

    # Swapping in the forger's key as the bundle's key as well: only the published key catches it.
    bundle["log"]["public_key"] = public_key_to_text(forger.public_key())
    bundle["log"]["key_id"] = body["key_id"] = key_id(forger.public_key())
    bundle["manifest"] = sign_manifest(forger, body)
    forged.write_bytes(bundle_json(bundle))
    checked = run_verifier(str(forged), "--key", published)
    assert checked.returncode == 1
    assert checked.stdout.startswith(
        f"FAILED: the bundle is signed by key {key_id(forger.public_key())}, "
        f"not by the trusted key {current_settings().key_id}"
    ), checked.stdout


# -- the manifest of a hand-built dossier -------------------------------------------------------------


def _flipped(signature: str) -> str:
    raw = bytearray(base64.b64decode(signature))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _problems(bundle: dict) -> list[str]:
    return verify_bundle(bundle, KEY.public_key()).problems


def test_a_dossier_without_its_manifest_fails():
    bundle = make_bundle()
    del bundle["manifest"]
    assert _problems(bundle) == ["the dossier has no signed manifest"]
    older = make_bundle()
    del older["manifest"]
    older["version"] = 1
    assert _problems(older)[0].startswith("not a custody-audit-dossier version 2 or 3 document")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda m: m.update(signature=_flipped(m["signature"])),
            "the manifest signature does not verify with key",
        ),
        (
            lambda m: m["body"]["items"][0].update(event_count=2),
            "the manifest signature does not verify with key",
        ),
        (
            lambda m: m["body"].update(extra=1),
            "the manifest cannot be read: the body must have exactly the members",
        ),
        (
            lambda m: m["body"]["items"][0].update(event_count=-1),
            "the manifest cannot be read: each item must be",
        ),
        (lambda m: m.update(signature="***"), "the manifest cannot be read: the signature must be base64"),
        (
            lambda m: m["body"].update(key_id="0" * 16),
            "the manifest names key 0000000000000000, not the log's key",
        ),
    ],
    ids=["signature", "body", "extra member", "negative count", "not base64", "other key id"],
)
def test_an_altered_manifest_fails(edit, problem):
    bundle = make_bundle()
    edit(bundle["manifest"])
    assert _problems(bundle)[0].startswith(problem)


def test_dropping_a_case_event_fails_even_though_no_item_history_changes():
    bundle = make_bundle()
    del bundle["events"][0]  # case.open: no item head covers it, the signed event set does
    assert _problems(bundle) == [
        "the dossier's 3 events are not the 4 events signed in the manifest: some "
        "were removed, added or replaced"
    ]


def test_the_manifest_binds_the_checkpoint_subject_and_time():
    bundle = make_bundle()
    body = bundle["manifest"]["body"]
    other = manifest_body(
        origin=body["origin"],
        key=body["key_id"],
        subject=body["subject"],
        heads=body["items"],
        event_hashes=[e["hash"] for e in bundle["events"]],
        tree_size=body["checkpoint"]["tree_size"] - 1,
        root_hash="00" * 32,
        created_at=body["created_at"],
    )
    stale = copy.deepcopy(bundle)
    stale["manifest"] = sign_manifest(KEY, other)
    assert _problems(stale)[0].startswith("the manifest was signed for checkpoint 11 of log")

    later = copy.deepcopy(bundle)
    later["generated_at"] = "2027-01-01T00:00:00.000000Z"
    assert _problems(later) == [
        "generated_at '2027-01-01T00:00:00.000000Z' is not the signed time '2026-03-01T09:00:00.000000Z'"
    ]

    unlisted = copy.deepcopy(bundle)
    unlisted["items"] = []
    sign(unlisted)  # signed without the item: its events are not the subject's history
    assert _problems(unlisted)[0] == "item 5: not among the items of the signed manifest"


def test_the_verifier_reports_the_signed_manifest():
    report = verify_bundle(make_bundle(), KEY.public_key())
    assert report.ok
    assert "manifest signed 2026-03-01T09:00:00.000000Z" in report.summary
    assert json.loads(bundle_json(make_bundle()))["manifest"]["body"]["subject"] == {
        "type": "case",
        "case_id": 7,
    }
