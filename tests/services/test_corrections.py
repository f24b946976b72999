"""更正 at the service layer: proposed, approved by someone else, history never rewritten."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.domain.lifecycle import CorrectionStatus
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.item import Item
from custody.services.corrections import decide_correction

from ..factories import act, dual_role_user, open_case, register
from ..helpers import events
from ..lifecycle_helpers import correct


def test_approved_correction_changes_the_value_and_keeps_history(app):
    item = register(open_case(), name="苹果手机", quantity=2)
    chain_before = [(e.item_seq, e.hash) for e in events(item_id=item.id)]
    correction = correct(item, "quantity", "1", reason="清点实为一部")
    assert correction.old_value == "2"
    assert correction.new_value == "1"
    assert db.session.get(Item, item.id).quantity == 2  # nothing changes until approved
    decide_correction(db.session, act("police_approver"), correction.id, approve=True)
    db.session.commit()
    assert db.session.get(Item, item.id).quantity == 1
    history = events(item_id=item.id)
    assert [(e.item_seq, e.hash) for e in history[: len(chain_before)]] == chain_before  # untouched
    fix = history[-1]
    assert fix.action == "item.correct"
    assert fix.reason == "清点实为一部"
    assert fix.data["before"] == {"quantity": "2"}
    assert fix.data["after"] == {"quantity": "1"}
    assert fix.data["correction_id"] == correction.id


def test_nobody_approves_their_own_correction(app):
    item = register(open_case())
    dual_role_user()
    correction = correct(item, "name", "苹果手机（白色）", username="police_chief")
    with pytest.raises(PermissionDenied) as own:
        decide_correction(db.session, act("police_chief"), correction.id, approve=True)
    assert own.value.code == "separation.requester_not_approver"
    with pytest.raises(PermissionDenied):
        decide_correction(db.session, act("police_keeper"), correction.id, approve=True)


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("quantity", "0", "new_value"),
        ("quantity", "abc", "new_value"),
        ("quantity", "1E+400000000", "new_value"),
        ("estimated_value_fen", -5, "new_value"),
        ("details", {"imei": "12345"}, "details.imei"),
        ("name", "", "new_value"),
        ("custodian_agency_id", 3, "field"),
        ("ownership_clear", "yes", "new_value"),
        ("measure_date", "yesterday", "new_value"),
        ("measure_date", "2199-01-01", "new_value"),
        ("measure_date", "1900-01-01", "new_value"),
    ],
)
def test_invalid_corrections_are_refused(app, field, value, error_field):
    item = register(open_case())
    with pytest.raises(InvalidInput) as refused:
        correct(item, field, value)
    assert error_field in refused.value.fields


def test_stale_and_decided_corrections(app):
    item = register(open_case(), name="手机")
    first = correct(item, "name", "黑色手机")
    second = correct(item, "name", "白色手机")
    decide_correction(db.session, act("police_approver"), first.id, approve=True)
    db.session.commit()
    with pytest.raises(Conflict) as stale:
        decide_correction(db.session, act("police_approver"), second.id, approve=True)
    assert stale.value.code == "correction.stale"
    db.session.rollback()
    with pytest.raises(Conflict):
        decide_correction(db.session, act("police_approver"), first.id, approve=False, reason="x")
    with pytest.raises(InvalidInput):
        decide_correction(db.session, act("police_approver"), second.id, approve=False)
    decide_correction(db.session, act("police_approver"), second.id, approve=False, reason="与现场照片不符")
    db.session.commit()
    assert second.status is CorrectionStatus.REJECTED


def test_personal_data_corrections_leave_only_digests_in_the_permanent_record(app):
    item = register(open_case(), owner_id_no="310115199001011234")
    correction = correct(item, "owner_id_no", "310115199001015678", reason="证件号录入错误")
    decide_correction(db.session, act("police_approver"), correction.id, approve=True)
    db.session.commit()
    recorded = db.session.scalars(select(AuditEvent.data).where(AuditEvent.item_id == item.id)).all()
    assert "310115199001015678" not in str(recorded)
    assert "310115199001011234" not in str(recorded)
    assert db.session.get(Item, item.id).owner_id_no == "310115199001015678"


def test_personal_data_correction_digests_are_salted_with_the_items_salt(app):
    item = register(open_case(), owner_contact="13856781234")
    correction = correct(item, "owner_contact", "13856784321", reason="电话录入错误")
    decide_correction(db.session, act("police_approver"), correction.id, approve=True)
    db.session.commit()
    salt = db.session.get(Item, item.id).personal_data_salt
    [proposed] = events("correction.propose", item_id=item.id)
    [corrected] = events("item.correct", item_id=item.id)

    def proof(value: str) -> str:  # what the custodian reveals: the value and the item's salt
        return hashlib.sha256(salt.encode() + json.dumps(value, ensure_ascii=False).encode()).hexdigest()

    assert (
        proposed.data["old_value"]
        == corrected.data["before"]["owner_contact"]
        == {"sha256": proof("13856781234")}
    )
    assert (
        proposed.data["new_value"]
        == corrected.data["after"]["owner_contact"]
        == {"sha256": proof("13856784321")}
    )
    # Not the bare SHA-256 a masked number 138****4321 would give away in 10,000 tries.
    assert corrected.data["after"]["owner_contact"]["sha256"] not in {
        hashlib.sha256(json.dumps(f"138{n:04d}4321").encode()).hexdigest() for n in range(10_000)
    }
