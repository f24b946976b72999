"""The replay itself (custody/audit/replay.py), pure: events as recorded before a field was part of
their payload are replayed without guessing — what they do not say is not compared — and the
personal-data digests of before migration 0006 (unsalted) still hold the row to its history."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from custody.audit.canonical import canonical_bytes, jsonable, legacy_digest, salted_digest
from custody.audit.replay import CASE, ITEM, UNKNOWN, Replay, compare

SALT = "0123456789abcdef0123456789abcdef"
POLICE = {"agency_id": 1, "agency_kind": "police"}
PROCURATORATE = {"agency_id": 2, "agency_kind": "procuratorate"}
COURT, APPEAL_COURT = 3, 4


def entry(action: str, data: dict, *, item_id=None, case_id=7, actor=POLICE, category="custody", **more):
    return {
        "action": action,
        "category": category,
        "outcome": "success",
        "actor": actor,
        "object_type": "item" if item_id else "case",
        "case_id": case_id,
        "item_id": item_id,
        "occurred_at": "2026-03-01T01:30:00.000000Z",
        "reason": None,
        "data": data,
        **more,
    }


SNAPSHOT = {
    "measure": "seized",
    "custodian_agency_id": 1,
    "custody_state": "held",
    "location_state": "awaiting_check_in",
    "storage_location_id": None,
    "external_kind": None,
    "external_place": None,
    "disposition_status": "none",
    "disposition_kind": None,
}
# item.register as it was recorded before the registration carried every field (and before 0006).
LEGACY_REGISTER = {
    "label_code": "PDGA-2026-000001",
    "name": "苹果手机",
    "category": "phone",
    "quantity": "1",
    "unit": "部",
    "features": None,
    "estimated_value_fen": None,
    "details": {},
    "measure_doc_no": None,
    "measure_date": "2026-03-01",
    "seizure_list_no": "QD-1",
    "personal_data_sha256": legacy_digest(["王某", "310101199001011234", None]),
    "after": SNAPSHOT,
}


def row(**changes):
    base = {
        "case_id": 7,
        **SNAPSHOT,
        "external_contact": None,
        "condition": None,
        "checked_in_at": None,
        "flag_reason": None,
        "label_code": "PDGA-2026-000001",
        "name": "苹果手机",
        "category": "phone",
        "quantity": Decimal("1.000"),
        "unit": "部",
        "features": None,
        "specification": "256G",
        "condition_at_seizure": "屏幕碎裂",
        "source": "嫌疑人随身",
        "is_perishable": False,
        "estimated_value_fen": None,
        "details": {},
        "measure_doc_no": None,
        "measure_date": "2026-03-01",
        "seized_at": "2026-03-01T01:30:00.000000Z",
        "ownership_clear": False,
        "source_item_id": None,
        "owner_name": "王某",
        "owner_id_no": "310101199001011234",
        "owner_contact": None,
        "personal_data_salt": SALT,
    }
    return {**base, **changes}


def fields(mismatches):
    return [m.field for m in mismatches]


def test_a_legacy_registration_leaves_unrecorded_fields_unknown_and_unsalted_digests_hold():
    replay = Replay()
    replay.add(entry("item.register", LEGACY_REGISTER, item_id=5), 1)
    record = replay.get(ITEM, 5)
    assert record.fields["specification"] is UNKNOWN
    assert record.fields["is_perishable"] is UNKNOWN
    assert compare(record, row()) == []  # specification, source, … are not what the history says
    assert compare(record, row(specification="128G", external_contact="x")) == []  # … so not compared
    assert fields(compare(record, row(owner_id_no="310101199001015678"))) == [
        "owner_name, owner_id_no, owner_contact"
    ]
    assert fields(compare(record, row(quantity=Decimal("2")))) == ["quantity"]


def test_a_correction_of_one_personal_field_is_checked_by_its_own_digest():
    replay = Replay()
    replay.add(entry("item.register", LEGACY_REGISTER, item_id=5), 1)
    corrected = {"sha256": salted_digest(SALT, "王某某")}
    replay.add(
        entry(
            "item.correct",
            {"correction_id": 3, "field": "owner_name", "after": {"owner_name": corrected}},
            item_id=5,
        ),
        2,
    )
    record = replay.get(ITEM, 5)
    assert compare(record, row(owner_name="王某某")) == []  # the others, only jointly known, not compared
    [mismatch] = compare(record, row(owner_name="李某"))
    assert (mismatch.field, mismatch.personal) == ("owner_name", True)
    assert replay.get("correction", 3).fields["status"] == "approved"


def test_a_registration_with_every_field_checks_each_personal_field():
    data = {
        **{k: v for k, v in LEGACY_REGISTER.items() if k != "personal_data_sha256"},
        "specification": "256G",
        "condition_at_seizure": "屏幕碎裂",
        "source": "嫌疑人随身",
        "is_perishable": False,
        "ownership_clear": False,
        "external_contact": None,
        "seized_at": "2026-03-01T01:30:00.000000Z",
        "source_item_id": None,
        "personal_data_sha256": salted_digest(SALT, ["王某", "310101199001011234", None]),
        "personal_data_fields_sha256": {
            "owner_name": salted_digest(SALT, "王某"),
            "owner_id_no": salted_digest(SALT, "310101199001011234"),
            "owner_contact": salted_digest(SALT, None),
        },
    }
    replay = Replay()
    replay.add(entry("item.register", data, item_id=5), 1)
    record = replay.get(ITEM, 5)
    assert compare(record, row()) == []
    assert fields(compare(record, row(specification="128G", owner_contact="138"))) == [
        "specification",
        "owner_contact",
    ]
    # A changed salt makes every digest fail: the salt is part of what the row must keep.
    assert fields(compare(record, row(personal_data_salt="f" * 32))) == list(
        ("owner_name", "owner_id_no", "owner_contact")
    )


def test_a_legacy_case_receive_leaves_the_receiving_agencies_unknown():
    replay = Replay()
    replay.add(
        entry(
            "case.open",
            {"stage": "investigation", "title": "案", "filed_on": "2026-03-01", "police_case_no": "A1"},
            category="case",
        ),
        1,
    )
    replay.add(
        entry(
            "case.receive",
            {
                "transfer_id": 9,
                "supplementary_rounds": 0,
                "after": {
                    "stage": "prosecution_review",
                    "handling_agency_id": 2,
                    "police_agency_id": 1,
                    "police_case_no": "A1",
                    "procuratorate_case_no": "J1",
                    "court_case_no": None,
                    "appeal_case_no": None,
                },
            },
            actor=PROCURATORATE,
            category="case",
        ),
        2,
    )
    case = replay.get(CASE, 7)
    assert case.fields["procuratorate_agency_id"] is UNKNOWN
    assert case.fields["handling_agency_id"] == 2
    assert case.fields["origin"] == "police_filing"
    # A judgment recorded before the payload named the handling agency: known only if the replay
    # knows the courts; here it does not, so the handling agency is not compared from then on.
    replay.add(
        entry(
            "case.judgment", {"after": {"stage": "execution"}}, actor={"agency_id": COURT}, category="case"
        ),
        3,
    )
    assert case.fields["handling_agency_id"] is UNKNOWN
    assert case.fields["stage"] == "execution"
    assert replay.get("transfer", 9).fields["status"] == "completed"  # a file-only transfer, signed for


def test_a_legacy_appeal_judgment_sends_the_case_back_to_the_first_instance_court():
    replay = Replay()
    replay.add(
        entry(
            "case.open",
            {"stage": "trial", "title": "自诉案", "filed_on": "2026-03-01", "case_no": "Z1"},
            actor={"agency_id": COURT, "agency_kind": "court"},
            category="case",
        ),
        1,
    )
    after = {
        name: None
        for name in (
            "police_agency_id",
            "police_case_no",
            "procuratorate_agency_id",
            "procuratorate_case_no",
            "court_case_no",
        )
    }
    after.update(
        stage="trial",
        handling_agency_id=APPEAL_COURT,
        court_agency_id=COURT,
        court_case_no="Z1",
        appeal_court_agency_id=APPEAL_COURT,
        appeal_case_no="Z2",
    )
    replay.add(entry("case.receive", {"transfer_id": 1, "after": after}, category="case"), 2)
    replay.add(
        entry(
            "case.judgment",
            {"after": {"stage": "execution"}},
            actor={"agency_id": APPEAL_COURT},
            category="case",
        ),
        3,
    )
    assert replay.get(CASE, 7).fields["handling_agency_id"] == COURT


def test_security_events_and_refusals_change_nothing():
    replay = Replay()
    replay.add(entry("login", {}, category="security", case_id=None), 1)
    replay.add(
        entry("item.check_in", {"after": {"location_state": "in_storage"}}, item_id=5, outcome="denied"), 2
    )
    assert all(not records for records in replay.records.values())


# -- the fast paths (issue 15: verify-audit reads every field of every row) ---------------------------


def test_a_field_that_changed_type_is_still_a_mismatch():
    """A boolean where the history has a number (or a number's text) is an edit, not the same value:
    the shortcut for plain values compares types first."""
    replay = Replay()
    replay.add(entry("item.register", {**LEGACY_REGISTER, "after": SNAPSHOT}, item_id=11))
    record = replay.get(ITEM, 11)
    row = {name: value for name, value in record.fields.items() if value is not UNKNOWN}
    row.update(owner_name="王某", owner_id_no="310101199001011234", owner_contact=None)
    assert compare(record, row) == []
    assert [m.field for m in compare(record, {**row, "custodian_agency_id": True})] == ["custodian_agency_id"]
    assert [m.field for m in compare(record, {**row, "custodian_agency_id": "1"})] == ["custodian_agency_id"]
    assert [m.field for m in compare(record, {**row, "storage_location_id": 0})] == ["storage_location_id"]
    record.fields["is_perishable"] = False
    assert [m.field for m in compare(record, {**row, "is_perishable": 0})] == ["is_perishable"]
    assert compare(record, {**row, "is_perishable": False}) == []
    # A quantity is compared as a number whatever its spelling (as text too); another number is an edit.
    assert compare(record, {**row, "quantity": "1.000"}) == []
    assert compare(record, {**row, "quantity": Decimal("1.000")}) == []
    assert [m.field for m in compare(record, {**row, "quantity": Decimal("2")})] == ["quantity"]


def test_jsonable_gives_plain_values_back_and_converts_the_rest():
    from enum import StrEnum

    class Colour(StrEnum):
        RED = "red"

    assert [jsonable(v) for v in ("红", 7, True, None)] == ["红", 7, True, None]
    assert jsonable(True) is True
    converted = jsonable(Colour.RED)
    assert converted == "red"
    assert type(converted) is str  # an enum member is not plain text
    assert jsonable({"q": Decimal("2.500"), "s": {2, 1}}) == {"q": "2.5", "s": [1, 2]}


def test_canonical_bytes_are_those_of_json_dumps_with_the_canonical_options():
    value = {"b": [1, "二", None, True], "a": {"z": '\u2028"\\', "y": 2}, "c": "é"}
    assert canonical_bytes(value) == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
    with pytest.raises(ValueError):
        canonical_bytes({"nan": float("nan")})
