"""Shelf and bin labels (issue 18, scan-first storage): a location's QR label encodes
``LOC:<centre code>:<location code>``; scanning it resolves to the location — an unknown code is 404,
a location of a centre the keeper's agency does not work in is refused."""

from __future__ import annotations

import pytest

from custody.domain.errors import NotFound, PermissionDenied
from custody.domain.items import is_location_scan_code, location_scan_code, parse_location_scan_code
from custody.extensions import db
from custody.services import accounts, storage

from ..factories import act, location, operator_running_the_demo_centre_with_another_centre


def test_the_code_a_location_label_encodes_reads_back():
    assert location_scan_code("pdzx", "r1-a-01") == "LOC:PDZX:R1-A-01"
    assert parse_location_scan_code(" loc:PDZX:R1-A-01 ") == ("PDZX", "R1-A-01")
    assert is_location_scan_code("loc:x")
    assert not is_location_scan_code("PDGA-2026-000001")
    for bad in ("PDGA-2026-000001", "LOC:PDZX", "LOC::R1", "LOC:PDZX:", "LOC:PD ZX:R1", "", None):
        assert parse_location_scan_code(bad) is None, bad


def test_a_scanned_shelf_label_resolves_to_its_location(app):
    shelf = location("R1-B-02")
    assert shelf.scan_code == "LOC:PDZX:R1-B-02"
    assert storage.location_by_scan_code(db.session, act("police_keeper"), "loc:pdzx:r1-b-02").id == shelf.id
    # the procuratorate's and the court's keepers use the shared centre too
    assert storage.location_by_scan_code(db.session, act("court_keeper"), shelf.scan_code).id == shelf.id


@pytest.mark.parametrize("code", ["LOC:PDZX:NOPE-1", "LOC:XXZX:R1-B-02", "LOC:PDZX", "LOC:PDZX:R1 B"])
def test_an_unknown_or_malformed_location_code_is_not_found(app, code):
    with pytest.raises(NotFound) as unknown:
        storage.location_by_scan_code(db.session, act("police_keeper"), code)
    assert unknown.value.code == "not_found.location"


def test_an_inactive_location_is_not_found(app):
    bin_ = location("R1-A-03")
    accounts.update_location(db.session, act("admin"), bin_.id, is_active=False)
    db.session.commit()
    with pytest.raises(NotFound):
        storage.location_by_scan_code(db.session, act("police_keeper"), "LOC:PDZX:R1-A-03")


def test_another_centres_location_code_is_refused_to_an_operators_keeper(app):
    elsewhere = operator_running_the_demo_centre_with_another_centre()
    keeper = act("operator_keeper")
    assert storage.location_by_scan_code(db.session, keeper, "LOC:PDZX:R1-A-01").code == "R1-A-01"
    with pytest.raises(PermissionDenied) as refused:
        storage.location_by_scan_code(db.session, keeper, elsewhere.scan_code)
    assert refused.value.code == "location.other_centre"
    assert "川沙" in str(refused.value)
    # a case agency's keepers check their own items in anywhere (as the policy allows)
    assert (
        storage.location_by_scan_code(db.session, act("police_keeper"), "LOC:CSZX:CS-R1").id == elsewhere.id
    )
