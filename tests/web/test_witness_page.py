"""The auditor's page of the audit log's witnesses (Chinese, the default language): quorum, who cosigned,
who is missing, refusals."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custody.audit import witnessing
from custody.audit.ledger import create_checkpoint, current_settings, latest_checkpoint
from custody.audit.note import TYPE_COSIGNATURE_V1, VerifierKey, cosign
from custody.audit.recorder import record_event
from custody.domain.enums import EventCategory, Outcome
from custody.extensions import db

from ..factories import stored_items


def _register(code: str) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    vkey = VerifierKey.for_key(f"w.{code.lower()}/c", TYPE_COSIGNATURE_V1, key.public_key()).vkey
    witnessing.register_witness(db.session, current_settings(), None, name=code, vkey=vkey, agency_code=code)
    db.session.commit()
    return key


def test_an_unwitnessed_log_says_so(app, login_as):
    page = login_as("auditor").get("/oversight/witnesses")
    assert page.status_code == 200
    assert "尚未登记任何见证方：日志未经见证。" in page.get_data(as_text=True)


def test_the_page_shows_who_cosigned_and_who_is_missing(app, client, login_as):
    keys = {code: _register(code) for code in ("PDGA", "PDJC", "PDFY")}
    stored_items(1)
    checkpoint = create_checkpoint(db.session, current_settings())
    db.session.commit()
    text = witnessing.ledger.checkpoint_note_text(checkpoint)
    lines = [cosign(text, f"w.{c.lower()}/c", keys[c], 1_800_000_000) for c in ("PDGA", "PDJC")]
    witnessing.store_cosignatures(db.session, latest_checkpoint(db.session), lines)
    record_event(
        db.session,
        category=EventCategory.SECURITY,
        action="witness.refused",
        outcome=Outcome.FAILURE,
        actor=None,
        object_type="witness",
        data={"witness": "PDFY", "status": 422, "tree_size": 9, "message": "does not verify"},
    )
    db.session.commit()
    login_as("auditor")
    page = client.get("/oversight/witnesses").get_data(as_text=True)
    assert "2 of agencies (PDFY, PDGA, PDJC)" in page
    assert "联署方：PDGA, PDJC" in page
    assert page.count(">已联署</span>") == 2
    assert page.count(">缺失</span>") == 1
    assert "有见证方拒绝了本日志的检查点" in page
    assert "does not verify" in page
    assert 'href="/oversight/witnesses"' in client.get("/oversight/").get_data(as_text=True)


def test_only_auditors_and_administrators_see_it(app, client, login_as):
    assert client.get("/oversight/witnesses").status_code == 302  # to the login page
    login_as("police_officer")
    assert client.get("/oversight/witnesses").status_code == 403
