"""Issue 14: visibility follows custody and case participation actually accepted.

An offer (a transfer line awaiting the receiver) shows the receiver only the offered items; recalling
or rejecting it takes even that away; signing for something makes the receiver take part in the case.
Items-only ("other") transfers go only where the law sends property: on to the agency handling the case.
"""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from custody.audit.service import visible_event
from custody.domain.enums import CustodyState, TransferKind
from custody.domain.errors import Conflict, InvalidInput, NotFound
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.case import CaseParticipant
from custody.models.item import Item
from custody.services import cases
from custody.services.statistics import statistics
from custody.services.transfers import decide_lines, get_transfer, propose_transfer, recall_transfer
from custody.services.visibility import get_case, get_item, item_filter, takes_part

from ..factories import act, agency, send_to_procuratorate, stored_items


def sees_case(username, case):
    return takes_part(db.session, act(username), case.id)


def sees_item(username, item):
    try:
        get_item(db.session, act(username), item.id)
    except NotFound:
        return False
    return True


def visible_item_ids(username):
    return set(db.session.scalars(select(Item.id).where(item_filter(act(username)))))


def an_event_of(item):
    return db.session.scalar(select(AuditEvent.id).where(AuditEvent.item_id == item.id).limit(1))


def offer(case, stored, kind=TransferKind.PROSECUTION):
    transfer = propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=kind,
        item_ids=[i.id for i in stored],
    )
    db.session.commit()
    return transfer


def test_a_pending_offer_shows_only_its_own_lines(app):
    case, stored = stored_items(3)
    offered, kept = stored[0], stored[1]
    transfer = offer(case, [offered])
    prosecutor = act("prosecutor")
    # The offered item, its history and its photos: what the receiver must check before signing.
    assert sees_item("prosecutor", offered)
    visible_event(db.session, prosecutor, an_event_of(offered))
    # Not the case, not its other items, not their events, not the case in lists.
    assert not sees_case("prosecutor", case)
    with pytest.raises(NotFound):
        get_case(db.session, prosecutor, case.id)
    assert not sees_item("prosecutor", kept)
    with pytest.raises(NotFound):
        visible_event(db.session, prosecutor, an_event_of(kept))
    assert visible_item_ids("prosecutor") == {offered.id}
    assert case.id not in {c.id for c in db.session.scalars(cases.list_cases_query(prosecutor))}
    assert get_transfer(db.session, prosecutor, transfer.id).id == transfer.id
    # Nobody else gains anything; the sender and the auditor see all.
    assert not sees_item("judge", offered)
    assert sees_case("police_officer", case)
    assert sees_case("auditor", case)


def test_a_recalled_offer_shows_nothing_any_more(app):
    case, stored = stored_items(2)
    transfer = offer(case, stored)
    recall_transfer(db.session, act("police_officer"), transfer.id, "清单有误")
    db.session.commit()
    assert not sees_case("prosecutor", case)
    assert not any(sees_item("prosecutor", i) for i in stored)
    assert visible_item_ids("prosecutor") == set()
    # The transfer record itself stays with both sides.
    assert get_transfer(db.session, act("prosecutor"), transfer.id).id == transfer.id


def test_a_rejected_line_shows_nothing_any_more(app):
    case, stored = stored_items(2)
    transfer = offer(case, stored)
    decide_lines(db.session, act("prosecutor"), transfer.id, [stored[0].id], accept=False, reason="封条破损")
    db.session.commit()
    assert not sees_item("prosecutor", stored[0])
    assert sees_item("prosecutor", stored[1])  # still offered
    decide_lines(db.session, act("prosecutor"), transfer.id, [stored[1].id], accept=False, reason="数量不符")
    db.session.commit()
    assert not sees_case("prosecutor", case)
    assert visible_item_ids("prosecutor") == set()
    assert (
        db.session.scalar(
            select(CaseParticipant).where(
                CaseParticipant.case_id == case.id, CaseParticipant.agency_id == agency("PDJC").id
            )
        )
        is None
    )


def test_signing_for_something_makes_the_receiver_take_part_in_the_case(app):
    case, stored = stored_items(3)
    transfer = offer(case, stored[:2])
    decide_lines(
        db.session, act("prosecutor"), transfer.id, [stored[0].id], accept=True, case_no="浦检刑诉[2026]3号"
    )
    db.session.commit()
    assert sees_case("prosecutor", case)
    assert all(sees_item("prosecutor", i) for i in stored)  # every item of the case, held or not
    # An agency that has held the case keeps seeing it (the police, after the file moved).
    assert sees_case("police_officer", case)


def test_statistics_count_only_the_cases_an_agency_takes_part_in(app):
    case, stored = stored_items(2)
    offer(case, stored)
    figures = statistics(db.session, act("prosecutor_approver"))
    assert figures.total.count == 0


# -- items-only transfers follow the case ----------------------------------------------------------


def test_an_items_only_transfer_goes_only_to_the_agency_handling_the_case(app):
    case, stored = stored_items(2)
    # While the police handle the case, their items go with it by a stage transfer, not "other".
    for to in ("PDJC", "PDFY"):
        with pytest.raises(InvalidInput) as refused:
            propose_transfer(
                db.session,
                act("police_officer"),
                case_id=case.id,
                to_agency_id=agency(to).id,
                kind=TransferKind.OTHER,
                item_ids=[stored[0].id],
            )
        assert refused.value.code == "transfer.wrong_route"
        db.session.rollback()
    assert not sees_case("judge", case)
    # The file goes on alone; the items the police still hold follow it — to the procuratorate only.
    decide_lines(
        db.session, act("prosecutor"), send_to_procuratorate(case, []).id, [], accept=True, case_no="浦检-9"
    )
    db.session.commit()
    with pytest.raises(InvalidInput) as elsewhere:
        propose_transfer(
            db.session,
            act("police_officer"),
            case_id=case.id,
            to_agency_id=agency("PDFY").id,
            kind=TransferKind.OTHER,
            item_ids=[stored[0].id],
        )
    assert elsewhere.value.code == "transfer.wrong_route"
    db.session.rollback()
    follow = offer(case, stored, kind=TransferKind.OTHER)
    decide_lines(db.session, act("prosecutor"), follow.id, [stored[0].id], accept=True)
    db.session.commit()
    assert db.session.get(Item, stored[0].id).custodian_agency_id == agency("PDJC").id


def test_an_items_only_transfer_is_not_signed_for_after_the_case_moved_on(app):
    case, stored = stored_items(1)
    decide_lines(
        db.session, act("prosecutor"), send_to_procuratorate(case, []).id, [], accept=True, case_no="浦检-8"
    )
    db.session.commit()
    follow = offer(case, stored, kind=TransferKind.OTHER)
    indictment = propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDFY").id,
        kind=TransferKind.INDICTMENT,
        item_ids=[],
    )
    db.session.commit()
    decide_lines(db.session, act("judge"), indictment.id, [], accept=True, case_no="(2026)沪0115刑初8号")
    db.session.commit()
    with pytest.raises(Conflict) as moved_on:
        decide_lines(db.session, act("prosecutor"), follow.id, [stored[0].id], accept=True)
    assert moved_on.value.code == "transfer.receiver_not_handler"
    db.session.rollback()
    recall_transfer(db.session, act("police_officer"), follow.id)
    db.session.commit()
    assert db.session.get(Item, stored[0].id).custody_state is CustodyState.HELD


# -- databases in use ----------------------------------------------------------------------------------


def test_upgrading_drops_the_visibility_that_offers_left_behind(app):
    """Migration 0025: rows a mere offer created (recalled, rejected or still pending) go; rows with a
    ground — opened, handled, held, sent, signed for — stay."""
    case, stored = stored_items(2)
    recalled = offer(case, [stored[0]])
    recall_transfer(db.session, act("police_officer"), recalled.id)
    db.session.commit()
    accepted_case, [held] = stored_items(1)
    decide_lines(
        db.session,
        act("prosecutor"),
        send_to_procuratorate(accepted_case, [held.id]).id,
        [held.id],
        accept=True,
        case_no="浦检-7",
    )
    db.session.commit()
    procuratorate, court = agency("PDJC").id, agency("PDFY").id
    # As the old code left it: the recalled offer's receiver (and a stray court) still on the case.
    db.session.add_all(
        [
            CaseParticipant(case_id=case.id, agency_id=procuratorate),
            CaseParticipant(case_id=case.id, agency_id=court),
        ]
    )
    db.session.commit()
    assert sees_case("prosecutor", case)
    db.session.remove()
    downgrade(revision="0015_centre_operator")  # to before this migration (and the later ones)
    upgrade()
    db.session.remove()
    assert not sees_case("prosecutor", case)
    assert not sees_case("judge", case)
    assert sees_case("police_officer", case)
    assert sees_case("prosecutor", accepted_case)
    assert sees_case("police_officer", accepted_case)
