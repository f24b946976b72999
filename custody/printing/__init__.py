"""Printable documents (PDF) and QR codes: pure functions from plain data to bytes or SVG text.

No Flask and no database here: views gather the data into the dataclasses below, call one
function and send the bytes (``application/pdf``). See ``custody.printing.pdf`` for the builder
that every form uses.
"""

from __future__ import annotations

from .money import (
    LedgerLine,
    RestitutionEntry,
    RestitutionList,
    SubLedger,
    restitution_list_pdf,
    sub_ledger_pdf,
)
from .pdf import (
    CheckoutLine,
    CheckoutSlip,
    Column,
    DestructionRecord,
    Field,
    Label,
    LabelLayout,
    PdfDocument,
    ReturnLine,
    ReturnList,
    SeizureLine,
    SeizureList,
    Signature,
    TransferLine,
    TransferList,
    checkout_slip_pdf,
    destruction_record_pdf,
    format_datetime,
    format_quantity,
    format_yuan,
    label_sheet_pdf,
    qr_svg,
    return_list_pdf,
    seizure_list_pdf,
    transfer_list_pdf,
    yuan_in_words,
)

__all__ = [
    "LedgerLine",
    "RestitutionEntry",
    "RestitutionList",
    "SubLedger",
    "restitution_list_pdf",
    "sub_ledger_pdf",
    "DestructionRecord",
    "destruction_record_pdf",
    "CheckoutLine",
    "CheckoutSlip",
    "Column",
    "Field",
    "Label",
    "LabelLayout",
    "PdfDocument",
    "ReturnLine",
    "ReturnList",
    "SeizureLine",
    "SeizureList",
    "Signature",
    "TransferLine",
    "TransferList",
    "checkout_slip_pdf",
    "format_datetime",
    "format_quantity",
    "format_yuan",
    "label_sheet_pdf",
    "qr_svg",
    "return_list_pdf",
    "seizure_list_pdf",
    "transfer_list_pdf",
    "yuan_in_words",
]
