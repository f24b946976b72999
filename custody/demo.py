"""Pudong demo data: three agencies, one shared centre, storage locations and demo accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from custody.domain.enums import AgencyKind, Role, StorageKind
from custody.models.agency import Agency, CustodyCentre
from custody.models.user import User
from custody.security import hash_password, verify_password
from custody.services import accounts

DEMO_AGENCIES = (
    ("PDGA", "浦东公安分局", AgencyKind.POLICE),
    ("PDJC", "浦东新区人民检察院", AgencyKind.PROCURATORATE),
    ("PDFY", "浦东新区人民法院", AgencyKind.COURT),
)
DEMO_CENTRE = ("PDZX", "浦东新区涉案财物管理中心", "上海市浦东新区")

# (code, name, kind, children)
DEMO_LOCATIONS = (
    ("R1", "一号库房（一般物品）", StorageKind.ROOM, (
        ("R1-A", "A架", StorageKind.SHELF, (("R1-A-01", "01格", StorageKind.BIN, ()),
                                            ("R1-A-02", "02格", StorageKind.BIN, ()),
                                            ("R1-A-03", "03格", StorageKind.BIN, ()))),
        ("R1-B", "B架", StorageKind.SHELF, (("R1-B-01", "01格", StorageKind.BIN, ()),
                                            ("R1-B-02", "02格", StorageKind.BIN, ()))),
    )),
    ("R2", "二号库房（贵重物品）", StorageKind.ROOM, (
        ("R2-S1", "1号保险柜", StorageKind.SHELF, (("R2-S1-01", "上层", StorageKind.BIN, ()),
                                                   ("R2-S1-02", "下层", StorageKind.BIN, ()))),
    )),
    ("R3", "三号库房（电子产品）", StorageKind.ROOM, (
        ("R3-A", "A架", StorageKind.SHELF, (("R3-A-01", "01格", StorageKind.BIN, ()),
                                            ("R3-A-02", "02格", StorageKind.BIN, ()))),
    )),
)

# (username, display name, agency code, roles)
DEMO_USERS = (
    ("police_officer", "王建国", "PDGA", (Role.OFFICER,)),
    ("police_approver", "李振华", "PDGA", (Role.APPROVER,)),
    ("police_keeper", "张丽", "PDGA", (Role.KEEPER,)),
    ("prosecutor", "陈静", "PDJC", (Role.OFFICER,)),
    ("prosecutor_approver", "刘明", "PDJC", (Role.APPROVER,)),
    ("procuratorate_keeper", "赵敏", "PDJC", (Role.KEEPER,)),
    ("judge", "周正", "PDFY", (Role.OFFICER,)),
    ("court_approver", "吴昊", "PDFY", (Role.APPROVER,)),
    ("court_keeper", "郑芳", "PDFY", (Role.KEEPER,)),
    # The procuratorate is the legal supervision organ (法律监督机关): the auditor sits there.
    ("auditor", "孙立", "PDJC", (Role.AUDITOR,)),
    ("admin", "系统管理员", "PDGA", (Role.ADMIN,)),
)


def _create_locations(session: Session, centre: CustodyCentre, nodes, parent_id: int | None) -> None:  # noqa: ANN001
    for code, name, kind, children in nodes:
        location = accounts.create_location(
            session, None, centre_id=centre.id, kind=kind, code=code, name=name, parent_id=parent_id
        )
        _create_locations(session, centre, children, location.id)


def seed_demo(session: Session, password: str) -> bool:
    """Create the demo reference data and accounts unless present. Returns True if created.

    Demo accounts always end up with ``password`` (so a changed CUSTODY_DEMO_PASSWORD applies).
    """
    created = False
    agencies: dict[str, Agency] = {a.code: a for a in session.scalars(select(Agency))}
    for code, name, kind in DEMO_AGENCIES:
        if code not in agencies:
            agencies[code] = accounts.create_agency(session, None, code=code, name=name, kind=kind)
            created = True

    centre = session.scalar(select(CustodyCentre).where(CustodyCentre.code == DEMO_CENTRE[0]))
    if centre is None:
        centre = accounts.create_centre(session, None, code=DEMO_CENTRE[0], name=DEMO_CENTRE[1],
                                        address=DEMO_CENTRE[2])
        _create_locations(session, centre, DEMO_LOCATIONS, None)
        created = True

    existing = {u.username: u for u in session.scalars(select(User))}
    for username, display_name, agency_code, roles in DEMO_USERS:
        user = existing.get(username)
        if user is None:
            accounts.create_user(session, None, username=username, display_name=display_name,
                                 agency_id=agencies[agency_code].id, roles=roles, password=password,
                                 locale="zh_CN")
            created = True
        elif not verify_password(user.password_hash, password):
            user.password_hash = hash_password(password)
    session.flush()
    return created
