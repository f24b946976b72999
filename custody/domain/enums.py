"""The vocabulary of the domain. Values are stored in the database and used in the API."""

from __future__ import annotations

from enum import StrEnum

from .i18n import N_


class LabelledEnum(StrEnum):
    """An enum whose members carry an English label marked for translation."""

    @property
    def label(self) -> str:
        return _LABELS.get(self, self.value)


class AgencyKind(LabelledEnum):
    POLICE = "police"  # 公安
    PROCURATORATE = "procuratorate"  # 检察院
    COURT = "court"  # 法院


class Role(LabelledEnum):
    OFFICER = "officer"  # 办案人员
    APPROVER = "approver"  # 审批人
    KEEPER = "keeper"  # 保管员
    AUDITOR = "auditor"  # 监督员
    ADMIN = "admin"  # 系统管理员


class StorageKind(LabelledEnum):
    ROOM = "room"
    SHELF = "shelf"
    BIN = "bin"


class EventCategory(LabelledEnum):
    SECURITY = "security"
    ADMIN = "admin"
    CASE = "case"
    CUSTODY = "custody"


class Outcome(LabelledEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


_LABELS: dict[StrEnum, str] = {
    AgencyKind.POLICE: N_("Police"),
    AgencyKind.PROCURATORATE: N_("Procuratorate"),
    AgencyKind.COURT: N_("Court"),
    Role.OFFICER: N_("Case officer"),
    Role.APPROVER: N_("Approver"),
    Role.KEEPER: N_("Keeper"),
    Role.AUDITOR: N_("Auditor"),
    Role.ADMIN: N_("Administrator"),
    StorageKind.ROOM: N_("Room"),
    StorageKind.SHELF: N_("Shelf"),
    StorageKind.BIN: N_("Bin"),
    EventCategory.SECURITY: N_("Security"),
    EventCategory.ADMIN: N_("Administration"),
    EventCategory.CASE: N_("Case"),
    EventCategory.CUSTODY: N_("Custody"),
    Outcome.SUCCESS: N_("Success"),
    Outcome.FAILURE: N_("Failure"),
    Outcome.DENIED: N_("Denied"),
}
