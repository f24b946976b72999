"""Printed money documents: a case's sub-ledger (涉案款分户账) and the restitution list (发还清单)
with signature lines. Pure functions from plain data to PDF bytes (no Flask, no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .pdf import Column, Field, PdfDocument, Signature, _coerce, format_datetime, format_yuan, yuan_in_words

When = datetime | date | str | None


@dataclass(frozen=True)
class LedgerLine:
    seq: int
    value_date: When
    kind: str  # 存入 / 孳息 / … (already in words)
    amount_fen: int  # signed: + in, − out, 0 a change of custodian
    balance_fen: int
    reference: str = ""
    custodian: str = ""
    notes: str = ""


@dataclass(frozen=True)
class SubLedger:
    """涉案款分户账 — one case's money in one account."""

    case_no: str
    case_title: str
    account: str  # bank and account number
    account_name: str
    custodian: str  # the agency responsible now
    lines: Sequence[LedgerLine | Mapping[str, Any]] = ()
    printed_at: When = None
    agency: str = ""


def sub_ledger_pdf(data: SubLedger | Mapping[str, Any], *, footer: str | None = None) -> bytes:
    """The sub-ledger: every movement with its running balance; the closing balance in capitals; the
    keeper and the supervisor sign."""
    data = _coerce(SubLedger, data)
    lines = [_coerce(LedgerLine, line) for line in data.lines]
    pdf = PdfDocument("涉案款分户账", subtitle=data.agency or None, footer=footer)
    pdf.fields(
        [
            ("案件编号", data.case_no),
            ("保管单位", data.custodian),
            Field("案件名称", data.case_title, wide=True),
            Field("专户", f"{data.account}（{data.account_name}）", wide=True),
            ("打印时间", format_datetime(data.printed_at)),
            ("笔数", len(lines)),
        ]
    )
    money_in = sum(line.amount_fen for line in lines if line.amount_fen > 0)
    money_out = -sum(line.amount_fen for line in lines if line.amount_fen < 0)
    closing = lines[-1].balance_fen if lines else 0

    def signed(fen: int) -> str:
        if fen == 0:
            return "—"
        return ("+" if fen > 0 else "−") + format_yuan(abs(fen), suffix="")

    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("日期", 1.3),
            Column("摘要", 1.6),
            Column("金额（元）", 1.6, "right"),
            Column("余额（元）", 1.6, "right"),
            Column("凭证号", 1.8),
            Column("保管单位", 1.5),
        ],
        [
            [
                line.seq,
                format_datetime(line.value_date, with_time=False),
                line.kind + (f"（{line.notes}）" if line.notes else ""),
                signed(line.amount_fen),
                format_yuan(line.balance_fen, suffix=""),
                line.reference,
                line.custodian,
            ]
            for line in lines
        ],
        total=[
            "",
            "",
            "合计",
            f"+{format_yuan(money_in, suffix='')} / −{format_yuan(money_out, suffix='')}",
            format_yuan(closing, suffix=""),
            "",
            "",
        ],
    )
    pdf.paragraph(f"期末余额：{format_yuan(closing)}（{yuan_in_words(closing)}）")
    pdf.paragraph("余额为各笔收支的累计，每笔均与银行凭证核对一致。", small=True)
    pdf.signatures([Signature("保管员"), Signature("监督员")])
    return pdf.build()


@dataclass(frozen=True)
class RestitutionEntry:
    line_no: int
    payee: str  # the victim's name, or 国库
    klass: str  # 退赔被害人的损失 / 罚金 / 余款上缴国库 …
    owed_fen: int
    allocated_fen: int
    status: str
    receipt_no: str = ""
    id_no: str = ""


@dataclass(frozen=True)
class RestitutionList:
    """发还（退赔）清单 — the approved plan, one line per payee, each with a place to sign."""

    plan_no: str
    case_no: str
    case_title: str
    funds_fen: int
    rule: str
    legal_basis: str = ""
    approved_by: str = ""
    approved_at: When = None
    lines: Sequence[RestitutionEntry | Mapping[str, Any]] = ()
    agency: str = ""
    notes: str = ""


def restitution_list_pdf(data: RestitutionList | Mapping[str, Any], *, footer: str | None = None) -> bytes:
    """The restitution list: each payee's owed and allocated amount and receipt, a signature per
    victim, and the responsible staff's signatures."""
    data = _coerce(RestitutionList, data)
    lines = [_coerce(RestitutionEntry, line) for line in data.lines]
    pdf = PdfDocument(
        "涉案款物发还（退赔）清单", subtitle=data.agency or None, doc_no=data.plan_no, footer=footer
    )
    pdf.fields(
        [
            ("方案编号", data.plan_no),
            ("案件编号", data.case_no),
            Field("案件名称", data.case_title, wide=True),
            ("可分配款", format_yuan(data.funds_fen)),
            ("依据", data.legal_basis),
            ("批准人", data.approved_by),
            ("批准时间", format_datetime(data.approved_at)),
        ]
    )
    total = sum(line.allocated_fen for line in lines)
    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("领款人", 1.6),
            Column("证件号码", 2.0),
            Column("类别", 1.8),
            Column("应退赔（元）", 1.5, "right"),
            Column("本次分配（元）", 1.5, "right"),
            Column("凭证号", 1.5),
            Column("领款人签名", 1.5),
        ],
        [
            [
                line.line_no,
                line.payee,
                line.id_no,
                line.klass,
                format_yuan(line.owed_fen, suffix=""),
                format_yuan(line.allocated_fen, suffix=""),
                line.receipt_no or line.status,
                "",
            ]
            for line in lines
        ],
        total=["", "合计", "", f"{len(lines)} 项", "", format_yuan(total, suffix=""), "", ""],
    )
    pdf.paragraph(f"分配合计：{format_yuan(total)}（{yuan_in_words(total)}）")
    pdf.paragraph(
        "分配依据《最高人民法院关于刑事裁判涉财产部分执行的若干规定》第十三条的顺序：人身损害赔偿中的医疗费用、"
        "退赔被害人的损失、其他民事债务、罚金、没收财产；同一顺序不足清偿的，按比例分配"
        f"（尾差分按最大余数法分配，规则 {data.rule}）；余款上缴国库。",
        small=True,
    )
    if data.notes:
        pdf.note(f"备注：{data.notes}")
    pdf.signatures(
        [Signature("经办人"), Signature("审批人", name=data.approved_by or None), Signature("监督员")]
    )
    return pdf.build()


@dataclass(frozen=True)
class ReconciliationItem:
    side: str  # 银行有、账上无 / 账上有、银行无
    value_date: When
    amount_fen: int  # signed
    reference: str = ""
    other: str = ""  # the counterparty (a statement line) or the case number (a movement)
    resolution: str = ""  # the keeper's reason, or 未处理


@dataclass(frozen=True)
class ReconciliationReport:
    """涉案款专户对账报告 — one bank statement against the account's movements."""

    account: str
    account_name: str
    period_from: When
    period_to: When
    filename: str
    lines: int
    credits_fen: int
    debits_fen: int
    matched_lines: int
    matched_fen: int
    unmatched_lines: int
    unmatched_lines_fen: int
    unmatched_movements: int
    unmatched_movements_fen: int
    items: Sequence[ReconciliationItem | Mapping[str, Any]] = ()
    agency: str = ""
    printed_at: When = None


def reconciliation_report_pdf(
    data: ReconciliationReport | Mapping[str, Any], *, footer: str | None = None
) -> bytes:
    """The reconciliation report: the account and period, the statement's totals, what was matched,
    each unmatched item on either side with its resolution; the keeper and the reviewer sign."""
    data = _coerce(ReconciliationReport, data)
    items = [_coerce(ReconciliationItem, item) for item in data.items]

    def signed(fen: int) -> str:
        return ("−" if fen < 0 else "") + format_yuan(abs(fen), suffix="")

    pdf = PdfDocument("涉案款专户对账报告", subtitle=data.agency or None, footer=footer)
    pdf.fields(
        [
            Field("专户", f"{data.account}（{data.account_name}）", wide=True),
            (
                "对账期间",
                f"{format_datetime(data.period_from, with_time=False)} 至 "
                f"{format_datetime(data.period_to, with_time=False)}",
            ),
            ("打印时间", format_datetime(data.printed_at)),
            Field("对账单文件", data.filename, wide=True),
        ]
    )
    pdf.table(
        [Column("项目", 3.0), Column("笔数", 1.0, "right"), Column("金额（元）", 2.2, "right")],
        [
            ["对账单收入", "", format_yuan(data.credits_fen, suffix="")],
            ["对账单支出", "", format_yuan(data.debits_fen, suffix="")],
            ["对账单合计（收入−支出）", data.lines, signed(data.credits_fen - data.debits_fen)],
            ["已核对相符", data.matched_lines, signed(data.matched_fen)],
            ["银行有、账上无（未达）", data.unmatched_lines, signed(data.unmatched_lines_fen)],
            ["账上有、银行无（未达）", data.unmatched_movements, signed(data.unmatched_movements_fen)],
        ],
    )
    if items:
        pdf.table(
            [
                Column("方", 1.6),
                Column("日期", 1.3),
                Column("金额（元）", 1.5, "right"),
                Column("凭证号", 1.8),
                Column("对方户名 / 案件", 1.8),
                Column("处理说明", 2.6),
            ],
            [
                [
                    item.side,
                    format_datetime(item.value_date, with_time=False),
                    signed(item.amount_fen),
                    item.reference,
                    item.other,
                    item.resolution,
                ]
                for item in items
            ],
        )
    else:
        pdf.paragraph("无未达账项：对账单各笔均与专户记录核对相符。")
    pdf.paragraph(
        "对账单各笔按凭证号与金额（含方向）自动核对，每笔专户记录只核对一次；未达账项由保管员逐笔核实并"
        "注明理由，或经核对金额一致后人工勾对。",
        small=True,
    )
    pdf.signatures([Signature("保管员（对账人）"), Signature("复核人")])
    return pdf.build()
