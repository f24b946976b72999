"""SQLAlchemy 2.x typed models, one module per aggregate. Importing this registers them all."""

from .agency import Agency, CustodyCentre, StorageLocation
from .audit import AuditEvent
from .case import Case, CaseMove, CaseParticipant, NumberSequence, SeizureList
from .item import Attachment, Item
from .ledger import Checkpoint, LogEntry, LogState
from .lifecycle import (
    Checkout,
    CheckoutExtension,
    CheckoutLine,
    Correction,
    Counterparty,
    Disposition,
    DispositionLine,
    FreezeOrder,
    FreezeRenewal,
)
from .money import (
    BankStatement,
    MoneyAccount,
    MoneyLedger,
    MoneyMovement,
    MovementResolution,
    RestitutionClaim,
    RestitutionLine,
    RestitutionPlan,
    StatementLine,
    Victim,
)
from .oversight import (
    CalendarOverride,
    CaseClosure,
    CaseJudgment,
    JudgmentOrder,
    JudgmentService,
    OwnerLookupAttempt,
    PublicNotice,
    PublicNoticeLine,
    SpotCheck,
    SpotCheckItem,
    Stocktake,
    StocktakeDiscrepancy,
    StocktakeLine,
    UnrelatedFinding,
)
from .receipt import CheckInReceipt, CheckInReceiptLine
from .transfer import Transfer, TransferLine
from .user import ApiToken, LoginFailure, LoginSession, LoginThrottle, MfaRecoveryCode, User, UserRole
from .witness import Cosignature, Witness, WitnessKey, WitnessPolicy

__all__ = [
    "BankStatement",
    "MovementResolution",
    "StatementLine",
    "Agency",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "CalendarOverride",
    "Case",
    "CaseMove",
    "CaseParticipant",
    "CheckInReceipt",
    "CheckInReceiptLine",
    "Checkpoint",
    "Checkout",
    "CheckoutExtension",
    "CheckoutLine",
    "Correction",
    "Counterparty",
    "Disposition",
    "DispositionLine",
    "FreezeOrder",
    "FreezeRenewal",
    "Item",
    "JudgmentOrder",
    "JudgmentService",
    "LogEntry",
    "LogState",
    "NumberSequence",
    "SeizureList",
    "Transfer",
    "TransferLine",
    "CustodyCentre",
    "LoginSession",
    "LoginFailure",
    "LoginThrottle",
    "MfaRecoveryCode",
    "StorageLocation",
    "User",
    "UserRole",
    # oversight
    "CaseClosure",
    "CaseJudgment",
    "OwnerLookupAttempt",
    "PublicNotice",
    "PublicNoticeLine",
    "SpotCheck",
    "SpotCheckItem",
    "Stocktake",
    "StocktakeDiscrepancy",
    "StocktakeLine",
    "UnrelatedFinding",
    # money
    "MoneyAccount",
    "MoneyLedger",
    "MoneyMovement",
    "RestitutionClaim",
    "RestitutionLine",
    "RestitutionPlan",
    "Victim",
    # witnesses
    "Cosignature",
    "Witness",
    "WitnessKey",
    "WitnessPolicy",
]
