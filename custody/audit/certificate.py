"""The chain-of-custody certificate (涉案财物保管链证明): a dossier printed for people.

Built from the dossier bundle alone (``custody.audit.dossier``), so paper and file say the same
thing: every event of every item across the three agencies, who acted for which agency, and the
signed checkpoint with which the electronic file is verified. Printed forms are Chinese
whatever the UI language (see ``custody.printing``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from custody.printing.pdf import Column, Field, PdfDocument, Signature, format_datetime

from .signing import TIMESTAMP_FORMAT

AGENCY_KINDS = {"police": "公安机关", "procuratorate": "人民检察院", "court": "人民法院"}

ACTION_LABELS = {
    "case.open": "立案登记",
    "case.receive": "接收案件",
    "seizure_list.create": "制作扣押清单",
    "item.register": "登记扣押",
    "item.check_in": "入库",
    "item.move": "移库",
    "item.external": "登记场外保管",
    "item.condition": "记录状况",
    "item.attachment_add": "添加照片或附件",
    "item.correct": "更正记录",
    "item.release": "调用出库",
    "item.return": "归还入库",
    "transfer.propose": "提出随案移送",
    "transfer.accept": "签收",
    "transfer.reject": "拒收",
    "transfer.recall": "撤回移送",
    "checkout.request": "申请调用",
    "checkout.approve": "批准调用",
    "checkout.reject": "驳回调用",
    "checkout.cancel": "取消调用",
    "checkout.extension_request": "申请延期归还",
    "checkout.extension_approve": "批准延期归还",
    "checkout.extension_reject": "驳回延期归还",
    "correction.propose": "申请更正",
    "correction.reject": "驳回更正",
    "disposition.propose": "提出处置",
    "disposition.approve": "批准处置",
    "disposition.reject": "驳回处置",
    "disposition.cancel": "取消处置",
    "disposition.execute": "执行处置",
    "freeze.create": "冻结",
    "freeze.renew": "续行冻结",
    "freeze.release": "解除冻结",
    "freeze.lapse": "冻结期满失效",
}
OUTCOMES = {"success": "", "failure": "（未成功）", "denied": "（被拒绝）"}


def _when(text: str) -> datetime:
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def _actor(entry: dict[str, Any]) -> tuple[str, str]:
    actor = entry.get("actor") or {}
    if not actor:
        return "系统", "系统自动"
    return actor.get("agency_name") or "", actor.get("display_name") or actor.get("username") or ""


def _action(entry: dict[str, Any]) -> str:
    action = entry.get("action", "")
    return ACTION_LABELS.get(action, action) + OUTCOMES.get(entry.get("outcome", ""), "")


def _agencies(events: list[dict[str, Any]]) -> list[list[str]]:
    """One row per agency that acted: the three agencies' part in the chain at a glance."""
    times: dict[tuple[str, str], list[datetime]] = {}
    for event in events:
        actor = event["entry"].get("actor") or {}
        if actor:
            key = (actor.get("agency_kind", ""), actor.get("agency_name", ""))
            times.setdefault(key, []).append(_when(event["entry"].get("occurred_at")))
    order = list(AGENCY_KINDS)
    keys = sorted(times, key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k[1]))
    return [
        [
            AGENCY_KINDS.get(kind, kind),
            name,
            str(len(times[(kind, name)])),
            format_datetime(min(times[(kind, name)])),
            format_datetime(max(times[(kind, name)])),
        ]
        for kind, name in keys
    ]


def _history_table(pdf: PdfDocument, events: list[dict[str, Any]], *, numbered_by_item: bool) -> None:
    rows = []
    for position, event in enumerate(events, start=1):
        entry = event["entry"]
        agency, person = _actor(entry)
        number = entry.get("item_seq") if numbered_by_item else position
        rows.append(
            [
                number,
                format_datetime(_when(entry.get("occurred_at"))),
                agency,
                person,
                _action(entry),
                entry.get("reason") or "",
                f"{event.get('log_index')}",
                (event.get("hash") or "")[:12],
            ]
        )
    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("发生时间", 1.7),
            Column("单位", 2.0),
            Column("经办人", 1.1),
            Column("事项", 1.5),
            Column("说明", 2.0),
            Column("日志序号", 0.9, "right"),
            Column("哈希（前12位）", 1.6),
        ],
        rows,
    )


def certificate_pdf(bundle: dict[str, Any], *, bundle_sha256: str | None = None) -> bytes:
    """The certificate for a dossier bundle (item or case)."""
    subject = bundle["subject"]
    events = bundle["events"]
    numbers = subject.get("case_numbers") or {}
    checkpoint = bundle["checkpoint"]
    log = bundle["log"]
    is_item = subject.get("type") == "item"
    doc_no = f"{subject.get('label_code')}" if is_item else f"案件{subject.get('case_id')}"
    pdf = PdfDocument(
        "涉案财物保管链证明",
        subtitle="公安机关 · 人民检察院 · 人民法院 三方共管",
        doc_no=doc_no,
        footer=f"检查点 {checkpoint['tree_size']} · 根哈希 {checkpoint['root_hash'][:16]}… · "
        f"公钥 {log['key_id']}",
    )
    fields: list[Field | tuple[str, object]] = [
        Field("案件名称", subject.get("case_title") or subject.get("title") or "", wide=True),
        ("公安案号", numbers.get("police") or ""),
        ("检察院案号", numbers.get("procuratorate") or ""),
        ("法院案号", numbers.get("court") or ""),
        ("导出时间", format_datetime(_when(str(bundle.get("generated_at", ""))))),
    ]
    if is_item:
        fields += [("物品标签号", subject.get("label_code") or ""), ("物品名称", subject.get("name") or "")]
    fields += [("记录条数", f"{len(events)} 条"), ("涉及物品", f"{len(bundle.get('items', []))} 件")]
    pdf.fields(fields)

    pdf.heading("一、参与单位")
    pdf.table(
        [
            Column("单位类别", 1.3),
            Column("单位名称", 3.0),
            Column("记录条数", 1.0, "right"),
            Column("首次", 1.8),
            Column("最近", 1.8),
        ],
        _agencies(events),
    )

    case_events = [e for e in events if e["entry"].get("item_id") is None]
    if case_events:
        pdf.heading("二、案件记录")
        _history_table(pdf, case_events, numbered_by_item=False)

    by_item: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        if event["entry"].get("item_id") is not None:
            by_item.setdefault(event["entry"]["item_id"], []).append(event)
    heads = {head["item_id"]: head for head in bundle.get("items", [])}
    pdf.heading("三、物品保管链" if case_events else "二、物品保管链")
    for item_id in sorted(by_item):
        head = heads.get(item_id, {})
        pdf.paragraph(
            f"物品 {head.get('label_code', item_id)} {head.get('name', '')}"
            f"（共 {head.get('event_count', len(by_item[item_id]))} 条记录，首尾相接）"
        )
        _history_table(
            pdf,
            sorted(by_item[item_id], key=lambda e: e["entry"].get("item_seq") or 0),
            numbered_by_item=True,
        )

    pdf.heading("核验信息")
    verification: list[Field | tuple[str, object]] = [
        Field("日志名称", checkpoint["origin"], wide=True),
        ("检查点规模", f"{checkpoint['tree_size']} 条"),
        ("签署时间", format_datetime(_when(checkpoint["timestamp"]))),
        Field("根哈希", checkpoint["root_hash"], wide=True),
        Field("签名公钥", f"{log['public_key']}（指纹 {log['key_id']}）", wide=True),
        Field("检查点签名", checkpoint["signature"], wide=True),
    ]
    witnesses = bundle.get("witnesses") if isinstance(bundle.get("witnesses"), dict) else None
    if witnesses is not None:
        cosigned = witnesses.get("cosigned") or []
        verification.append(
            Field(
                "见证联署",
                "；".join(f"{c['witness']}（{format_datetime(_when(c['timestamp']))}）" for c in cosigned)
                or "无（未登记见证方：检查点仅由本系统签名）",
                wide=True,
            )
        )
        verification.append(("见证法定数", str(witnesses.get("quorum", ""))))
        if witnesses.get("missing"):
            verification.append(("未联署", "、".join(witnesses["missing"])))
    if bundle.get("later_events"):
        verification.append(("导出后待见证记录", f"{bundle['later_events']} 条（未列入本证明）"))
    live = bundle.get("live_state") if isinstance(bundle.get("live_state"), dict) else None
    if live is not None:
        verification.append(
            Field(
                "账实核对",
                f"导出时，本证明所涉 {live.get('records', 0)} 条在用记录与其历史记录逐项相符"
                if live.get("matches")
                else f"导出时，在用记录与其历史记录不符，共 {live.get('problems', 0)} 处"
                "（记录在系统之外被改动，详见电子文件，并请运行 flask custody verify-audit 核查）",
                wide=True,
            )
        )
    if bundle_sha256:
        verification.append(Field("电子文件 SHA-256", bundle_sha256, wide=True))
    pdf.fields(verification)
    pdf.paragraph(
        "本证明根据同名电子文件（JSON）打印。每条记录按规范序列化后计算 SHA-256 哈希，同一物品的记录逐条首尾相接；"
        "全部记录按提交顺序构成默克尔树，其根哈希由检查点以 Ed25519 签名，并由各单位自行运行的见证方"
        "在核实日志只增不改后联署（C2SP cosignature/v1）。任何一方均可不依赖本系统，用 python -m custody.verify "
        "文件名.json --policy 信任策略文件 离线核验电子文件；记录被修改、删除、调换或截断，或见证联署不足法定数的，"
        "核验即不通过。",
        small=True,
    )
    pdf.signatures(
        [
            Signature("公安机关经办人"),
            Signature("人民检察院经办人"),
            Signature("人民法院经办人"),
            Signature("监督员"),
        ]
    )
    return pdf.build()
