"""Shelf and bin labels (issue 18, scan-first storage): a location's QR label encodes
``LOC:<centre code>:<location code>``; scanning it resolves to the location — an unknown code is 404,
a location of a centre the keeper's agency does not work in is refused."""

from __future__ import annotations

import pytest

from custody.domain.enums import AgencyKind, Role, StorageKind
from custody.domain.errors import NotFound, PermissionDenied
from custody.domain.items import is_location_scan_code, location_scan_code, parse_location_scan_code
from custody.extensions import db
from custody.services import accounts, storage

from ..conftest import TEST_PASSWORD
from ..factories import act, location


def test_the_code_a_location_label_encodes_reads_back():
    assert location_scan_code("pdzx", "r1-a-01") == "LOC:PDZX:R1-A-01"
    assert parse_location_scan_code(" loc:PDZX:R1-A-01 ") == ("PDZX", "R1-A-01")
    assert is_location_scan_code("loc:x") and not is_location_scan_code("PDGA-2026-000001")
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


def operator_running_the_demo_centre_with_another_centre():
    """A neutral operator runs PDZX; a second centre CSZX exists, which it does not run."""
    operator = accounts.create_agency(
        db.session, None, code="ZXYY", name="中心运营公司", kind=AgencyKind.CENTRE_OPERATOR
    )
    accounts.create_user(
        db.session,
        None,
        username="operator_keeper",
        display_name="中心保管员",
        agency_id=operator.id,
        roles=[Role.KEEPER],
        password=TEST_PASSWORD,
    )
    pudong = location("R1").centre
    accounts.set_centre_operator(db.session, act("admin"), pudong.id, operator_agency_id=operator.id)
    other = accounts.create_centre(db.session, None, code="CSZX", name="川沙涉案财物管理中心")
    elsewhere = accounts.create_location(
        db.session, None, centre_id=other.id, kind=StorageKind.ROOM, code="CS-R1", name="一号库房"
    )
    db.session.commit()
    return elsewhere


def test_another_centres_location_code_is_refused_to_an_operators_keeper(app):
    elsewhere = operator_running_the_demo_centre_with_another_centre()
    keeper = act("operator_keeper")
    assert storage.location_by_scan_code(db.session, keeper, "LOC:PDZX:R1-A-01").code == "R1-A-01"
    with pytest.raises(PermissionDenied) as refused:
        storage.location_by_scan_code(db.session, keeper, elsewhere.scan_code)
    assert refused.value.code == "location.other_centre" and "川沙" in str(refused.value)
    # a case agency's keepers check their own items in anywhere (as the policy allows)
    assert (
        storage.location_by_scan_code(db.session, act("police_keeper"), "LOC:CSZX:CS-R1").id == elsewhere.id
    )
