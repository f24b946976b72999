"""The vocabulary of the domain. Values are stored in the database and used in the API."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .i18n import N_


class LabelledEnum(StrEnum):
    """An enum whose members carry an English label marked for translation."""

    @property
    def label(self) -> str:
        return _LABELS.get((type(self), self.value), self.value)


# Keyed by (enum class, value): StrEnum members equal their string values, so members of two
# enums sharing a value ("bank", "other", "approved") would be one dictionary key otherwise.
_LABELS: dict[tuple[type, str], str] = {}


def register_labels(pairs: Iterable[tuple[LabelledEnum, str]]) -> None:
    """Give members their labels: (member, msgid) pairs — a list, never a dict, for the reason above."""
    for member, text in pairs:
        _LABELS[(type(member), member.value)] = text


class AgencyKind(LabelledEnum):
    POLICE = "police"  # 公安
    PROCURATORATE = "procuratorate"  # 检察院
    COURT = "court"  # 法院
    # A neutral operator of a shared custody centre (e.g. a third party under contract): it holds no
    # case and no legal custody; its keepers act for the custodian agencies (domain/policy.py).
    CENTRE_OPERATOR = "centre_operator"  # 涉案财物管理中心运营单位


class Role(LabelledEnum):
    OFFICER = "officer"  # 办案人员
    APPROVER = "approver"  # 审批人
    KEEPER = "keeper"  # 保管员
    AUDITOR = "auditor"  # 监督员
    ADMIN = "admin"  # 系统管理员
    HEAD = "head"  # 机关负责人（局长、检察长、院长）: approvals the law reserves to the head


class StorageKind(LabelledEnum):
    ROOM = "room"
    SHELF = "shelf"
    BIN = "bin"


class StorageHolds(LabelledEnum):
    """What a storage location is made for (its room's purpose): a shelf does not take a car."""

    GENERAL = "general"  # 一般物品
    VALUABLES = "valuables"  # 现金、贵重物品（保险柜）
    VEHICLES = "vehicles"  # 车辆、船舶（停放区）


class EventCategory(LabelledEnum):
    SECURITY = "security"
    ADMIN = "admin"
    CASE = "case"
    CUSTODY = "custody"


class Outcome(LabelledEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class CaseStage(LabelledEnum):
    INVESTIGATION = "investigation"  # 侦查
    PROSECUTION_REVIEW = "prosecution_review"  # 审查起诉
    TRIAL = "trial"  # 审判
    EXECUTION = "execution"  # 执行
    CLOSED = "closed"  # 结案


class ItemCategory(LabelledEnum):
    CASH = "cash"  # 现金
    BANK_ACCOUNT = "bank_account"  # 银行账户/存款
    SECURITIES = "securities"  # 股票、债券、基金份额
    EQUITY = "equity"  # 股权
    INSURANCE = "insurance"  # 保险权益
    PAYMENT_ACCOUNT = "payment_account"  # 第三方支付账户（支付宝、微信支付、财付通等）
    VIRTUAL_ASSET = "virtual_asset"  # 虚拟货币、虚拟资产
    VEHICLE = "vehicle"  # 机动车
    VESSEL = "vessel"  # 船舶
    PHONE = "phone"  # 手机
    ELECTRONICS = "electronics"  # 其他电子设备
    VALUABLES = "valuables"  # 贵重物品、珠宝首饰
    DOCUMENTS = "documents"  # 文书、证件、票据
    REAL_ESTATE = "real_estate"  # 不动产
    CONTRABAND = "contraband"  # 违禁品
    GOODS = "goods"  # 一般物品


class Measure(LabelledEnum):
    """措施 — the compulsory measure that keeps the item in the case."""

    SEIZED = "seized"  # 扣押
    SEALED = "sealed"  # 查封
    FROZEN = "frozen"  # 冻结
    REGISTERED_KEPT = "registered_kept"  # 登记保存（留持有人处）
    OBTAINED = "obtained"  # 调取


class CustodyState(LabelledEnum):
    """Whether the custodian agency holds the item outright or has offered it to another agency."""

    HELD = "held"
    IN_TRANSFER = "in_transfer"  # 待对方签收


class LocationState(LabelledEnum):
    """实物位置 — where the physical item is, independent of who is responsible for it."""

    AWAITING_CHECK_IN = "awaiting_check_in"  # 待入库
    IN_STORAGE = "in_storage"  # 在库
    CHECKED_OUT = "checked_out"  # 调用出库
    WITH_HOLDER = "with_holder"  # 登记保存于持有人
    EXTERNAL = "external"  # 外部保管（银行、停车场等）
    GONE = "gone"  # 已处置、离库


class ExternalKind(LabelledEnum):
    WITH_HOLDER = "with_holder"
    BANK = "bank"
    IMPOUND_LOT = "impound_lot"
    OTHER = "other"


class DispositionKind(LabelledEnum):
    """处置 — what finally happens to the item (or what is proposed for it)."""

    RETURN_TO_OWNER = "return_to_owner"  # 发还
    CONFISCATE = "confiscate"  # 没收上缴国库
    DESTROY = "destroy"  # 销毁
    HAND_OVER = "hand_over"  # 移交主管机关
    EARLY_SALE = "early_sale"  # 先行处置（拍卖、变卖）
    PRETRIAL_RETURN = "pretrial_return"  # 先行发还


class DispositionStatus(LabelledEnum):
    NONE = "none"
    PROPOSED = "proposed"
    APPROVED = "approved"
    EXECUTED = "executed"


class ItemStatus(LabelledEnum):
    """One-word summary of an item's four dimensions, for lists and filters (derived, never stored)."""

    AWAITING_CHECK_IN = "awaiting_check_in"
    IN_STORAGE = "in_storage"
    CHECKED_OUT = "checked_out"
    WITH_HOLDER = "with_holder"
    EXTERNAL = "external"
    IN_TRANSFER = "in_transfer"
    DISPOSAL_PENDING = "disposal_pending"
    DISPOSED = "disposed"


class HolderSignature(LabelledEnum):
    SIGNED = "signed"
    ABSENT = "absent"  # 持有人不在场
    REFUSED = "refused"  # 持有人拒绝签名


class AttachmentKind(LabelledEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class TransferKind(LabelledEnum):
    PROSECUTION = "prosecution"  # 移送审查起诉 police → procuratorate
    INDICTMENT = "indictment"  # 提起公诉 procuratorate → court
    SUPPLEMENTARY_INVESTIGATION = "supplementary_investigation"  # 退回补充侦查 procuratorate → police
    APPEAL = "appeal"  # 上诉、抗诉: first-instance court → appeal court (2021解释 440)
    JURISDICTION = "jurisdiction"  # 移送管辖、并案: to another agency of the same kind (程序规定 184, 185)
    OTHER = "other"


class TransferMode(LabelledEnum):
    BY_RECORD = "by_record"  # 物不动、单移动
    PHYSICAL = "physical"  # 实物移交


class TransferStatus(LabelledEnum):
    PENDING = "pending"  # no line decided yet: the sender may still recall it
    PARTIAL = "partial"  # some lines decided
    COMPLETED = "completed"  # every line decided
    RECALLED = "recalled"


class LineDecision(LabelledEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RECALLED = "recalled"


register_labels(
    [
        (AgencyKind.POLICE, N_("Police")),
        (AgencyKind.PROCURATORATE, N_("Procuratorate")),
        (AgencyKind.COURT, N_("Court")),
        (AgencyKind.CENTRE_OPERATOR, N_("Centre operator")),
        (Role.OFFICER, N_("Case officer")),
        (Role.APPROVER, N_("Approver")),
        (Role.KEEPER, N_("Keeper")),
        (Role.AUDITOR, N_("Auditor")),
        (Role.ADMIN, N_("Administrator")),
        (Role.HEAD, N_("Agency head")),
        (StorageKind.ROOM, N_("Room")),
        (StorageKind.SHELF, N_("Shelf")),
        (StorageKind.BIN, N_("Bin")),
        (StorageHolds.GENERAL, N_("General items")),
        (StorageHolds.VALUABLES, N_("Cash and valuables")),
        (StorageHolds.VEHICLES, N_("Vehicles and vessels")),
        (EventCategory.SECURITY, N_("Security")),
        (EventCategory.ADMIN, N_("Administration")),
        (EventCategory.CASE, N_("Case")),
        (EventCategory.CUSTODY, N_("Custody")),
        (Outcome.SUCCESS, N_("Success")),
        (Outcome.FAILURE, N_("Failure")),
        (Outcome.DENIED, N_("Denied")),
        (CaseStage.INVESTIGATION, N_("Investigation")),
        (CaseStage.PROSECUTION_REVIEW, N_("Prosecution review")),
        (CaseStage.TRIAL, N_("Trial")),
        (CaseStage.EXECUTION, N_("Execution")),
        (CaseStage.CLOSED, N_("Closed")),
        (ItemCategory.CASH, N_("Cash")),
        (ItemCategory.BANK_ACCOUNT, N_("Bank account / deposits")),
        (ItemCategory.SECURITIES, N_("Securities")),
        (ItemCategory.EQUITY, N_("Equity")),
        (ItemCategory.INSURANCE, N_("Insurance rights")),
        (ItemCategory.PAYMENT_ACCOUNT, N_("Third-party payment account")),
        (ItemCategory.VIRTUAL_ASSET, N_("Virtual currency / virtual asset")),
        (ItemCategory.VEHICLE, N_("Vehicle")),
        (ItemCategory.VESSEL, N_("Vessel")),
        (ItemCategory.PHONE, N_("Mobile phone")),
        (ItemCategory.ELECTRONICS, N_("Electronics")),
        (ItemCategory.VALUABLES, N_("Valuables")),
        (ItemCategory.DOCUMENTS, N_("Documents")),
        (ItemCategory.REAL_ESTATE, N_("Real estate")),
        (ItemCategory.CONTRABAND, N_("Contraband")),
        (ItemCategory.GOODS, N_("General goods")),
        (Measure.SEIZED, N_("Seized")),
        (Measure.SEALED, N_("Sealed")),
        (Measure.FROZEN, N_("Frozen")),
        (Measure.REGISTERED_KEPT, N_("Registered and kept by holder")),
        (Measure.OBTAINED, N_("Obtained")),
        (CustodyState.HELD, N_("Held")),
        (CustodyState.IN_TRANSFER, N_("Awaiting sign-for")),
        (LocationState.AWAITING_CHECK_IN, N_("Awaiting check-in")),
        (LocationState.IN_STORAGE, N_("In storage")),
        (LocationState.CHECKED_OUT, N_("Checked out")),
        (LocationState.WITH_HOLDER, N_("With holder")),
        (LocationState.EXTERNAL, N_("Kept externally")),
        (LocationState.GONE, N_("Gone (disposed)")),
        (ExternalKind.WITH_HOLDER, N_("With the holder")),
        (ExternalKind.BANK, N_("At a bank")),
        (ExternalKind.IMPOUND_LOT, N_("At an impound lot")),
        (ExternalKind.OTHER, N_("Elsewhere")),
        (DispositionKind.RETURN_TO_OWNER, N_("Return to owner")),
        (DispositionKind.CONFISCATE, N_("Confiscate to the treasury")),
        (DispositionKind.DESTROY, N_("Destroy")),
        (DispositionKind.HAND_OVER, N_("Hand to the competent authority")),
        (DispositionKind.EARLY_SALE, N_("Early sale / auction")),
        (DispositionKind.PRETRIAL_RETURN, N_("Pre-trial return")),
        (DispositionStatus.NONE, N_("None")),
        (DispositionStatus.PROPOSED, N_("Proposed")),
        (DispositionStatus.APPROVED, N_("Approved")),
        (DispositionStatus.EXECUTED, N_("Executed")),
        (ItemStatus.AWAITING_CHECK_IN, N_("Awaiting check-in")),
        (ItemStatus.IN_STORAGE, N_("In storage")),
        (ItemStatus.CHECKED_OUT, N_("Checked out")),
        (ItemStatus.WITH_HOLDER, N_("With holder")),
        (ItemStatus.EXTERNAL, N_("Kept externally")),
        (ItemStatus.IN_TRANSFER, N_("Awaiting sign-for")),
        (ItemStatus.DISPOSAL_PENDING, N_("Disposal pending")),
        (ItemStatus.DISPOSED, N_("Disposed")),
        (HolderSignature.SIGNED, N_("Signed by holder")),
        (HolderSignature.ABSENT, N_("Holder absent")),
        (HolderSignature.REFUSED, N_("Holder refused to sign")),
        (AttachmentKind.PHOTO, N_("Photo")),
        (AttachmentKind.DOCUMENT, N_("Document")),
        (TransferKind.PROSECUTION, N_("Transfer for prosecution review")),
        (TransferKind.INDICTMENT, N_("Public prosecution (to court)")),
        (TransferKind.SUPPLEMENTARY_INVESTIGATION, N_("Return for supplementary investigation")),
        (TransferKind.APPEAL, N_("Appeal (to the appeal court)")),
        (TransferKind.JURISDICTION, N_("Transfer of jurisdiction")),
        (TransferKind.OTHER, N_("Other transfer")),
        (TransferMode.BY_RECORD, N_("By record (item stays)")),
        (TransferMode.PHYSICAL, N_("Physical hand-over")),
        (TransferStatus.PENDING, N_("Awaiting decision")),
        (TransferStatus.PARTIAL, N_("Partly decided")),
        (TransferStatus.COMPLETED, N_("Completed")),
        (TransferStatus.RECALLED, N_("Recalled")),
        (LineDecision.PENDING, N_("Pending")),
        (LineDecision.ACCEPTED, N_("Accepted")),
        (LineDecision.REJECTED, N_("Rejected")),
        (LineDecision.RECALLED, N_("Recalled")),
    ]
)
