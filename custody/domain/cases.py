"""Case origins and the procedural moves of a case file [LAW + DESIGN].

Cases are opened by the police (立案), by the procuratorate (自侦: 刑诉法 art. 19 ¶2), on referral from a
supervisory commission to the procuratorate (监察委移送: 检察院规则 art. 668, 监察法 art. 54), or by the
court (自诉: 刑诉法 art. 19 ¶3, art. 210). The origin decides which agency opens it, whose number it
carries first, and the stage it starts in; the routes then follow from the stage (domain/transfers.py).
"""

from __future__ import annotations

from .enums import AgencyKind, CaseStage, LabelledEnum, register_labels
from .errors import Conflict, InvalidInput, PermissionDenied
from .i18n import N_


class CaseOrigin(LabelledEnum):
    POLICE_FILING = "police_filing"  # 公安机关立案侦查
    PROCURATORATE_INVESTIGATION = "procuratorate_investigation"  # 检察院立案侦查（自侦）
    SUPERVISORY_REFERRAL = "supervisory_referral"  # 监察机关移送起诉
    PRIVATE_PROSECUTION = "private_prosecution"  # 自诉，人民法院直接受理


# [LAW] origin → (the kind of agency that opens the case, the stage it starts in)
ORIGINS: dict[CaseOrigin, tuple[AgencyKind, CaseStage]] = {
    CaseOrigin.POLICE_FILING: (AgencyKind.POLICE, CaseStage.INVESTIGATION),
    CaseOrigin.PROCURATORATE_INVESTIGATION: (AgencyKind.PROCURATORATE, CaseStage.INVESTIGATION),
    CaseOrigin.SUPERVISORY_REFERRAL: (AgencyKind.PROCURATORATE, CaseStage.PROSECUTION_REVIEW),
    CaseOrigin.PRIVATE_PROSECUTION: (AgencyKind.COURT, CaseStage.TRIAL),
}


def opening(origin: CaseOrigin, agency_kind: AgencyKind) -> CaseStage:
    """The stage a case of ``origin`` starts in, if an officer of ``agency_kind`` may open it."""
    kind, stage = ORIGINS[origin]
    if agency_kind is not kind:
        messages = {
            AgencyKind.POLICE: N_("A case of this origin is opened by the police."),
            AgencyKind.PROCURATORATE: N_("A case of this origin is opened by the procuratorate."),
            AgencyKind.COURT: N_("A case of this origin is opened by the court."),
        }
        raise PermissionDenied(
            messages[kind],
            code="case.wrong_origin",
            fields={"origin": [N_("Not opened by your kind of agency.")]},
        )
    return stage


class CaseMoveKind(LabelledEnum):
    """Procedural moves of a case file that are not a transfer between two agencies of the system."""

    STAGE_ADVANCE = "stage_advance"  # 自侦: 侦查终结 → 审查起诉 inside the procuratorate
    INQUIRY_SENT = "inquiry_sent"  # 退回监察机关补充调查
    INQUIRY_RETURNED = "inquiry_returned"  # 补充调查完毕，重新移送
    MERGE = "merge"  # 并案侦查: another case merged into this one


MAX_SUPPLEMENTARY_INQUIRIES = 2  # [LAW] 监察法 art. 54 ¶3: 补充调查以二次为限


def check_stage_advance(origin: CaseOrigin, stage: CaseStage) -> CaseStage:
    """[LAW] A case the procuratorate investigates itself (自侦) moves from its investigation to its own
    prosecution review (侦查终结, 移送审查起诉 within the procuratorate)."""
    if origin is not CaseOrigin.PROCURATORATE_INVESTIGATION or stage is not CaseStage.INVESTIGATION:
        raise Conflict(
            N_("Only a case the procuratorate investigates itself moves on to its own prosecution review."),
            code="case.no_stage_advance",
        )
    return CaseStage.PROSECUTION_REVIEW


def check_inquiry(origin: CaseOrigin, stage: CaseStage, rounds: int, open_inquiry: bool) -> None:
    """[LAW] 监察法 art. 54 ¶3: a case referred by a supervisory commission may go back to it for
    supplementary inquiry (补充调查), at most twice, one month each."""
    if origin is not CaseOrigin.SUPERVISORY_REFERRAL or stage is not CaseStage.PROSECUTION_REVIEW:
        raise Conflict(
            N_(
                "Only a case referred by a supervisory commission, under prosecution review, goes back to it."
            ),
            code="case.no_inquiry",
        )
    if open_inquiry:
        raise Conflict(
            N_("The case is already back with the supervisory commission."), code="case.inquiry_open"
        )
    if rounds >= MAX_SUPPLEMENTARY_INQUIRIES:
        raise Conflict(
            N_("The case has already been returned for supplementary inquiry twice."),
            code="case.inquiry_limit",
        )


def check_merge(same_case: bool, same_handler: bool, into_closed: bool, absorbed_closed: bool) -> None:
    """[LAW] 程序规定 art. 21 ¶2, 184: a case may be merged into another the same agency investigates
    (并案侦查); its items move to that case with it."""
    if same_case:
        raise InvalidInput(
            N_("A case cannot be merged into itself."), fields={"into_case_id": [N_("Same case.")]}
        )
    if into_closed or absorbed_closed:
        raise Conflict(N_("A closed case cannot be merged."), code="case.closed")
    if not same_handler:
        raise Conflict(
            N_("Both cases must be handled by your agency: transfer jurisdiction first."),
            code="case.merge_other_handler",
        )


register_labels(
    [
        (CaseOrigin.POLICE_FILING, N_("Opened by the police (立案)")),
        (CaseOrigin.PROCURATORATE_INVESTIGATION, N_("Investigated by the procuratorate (自侦)")),
        (CaseOrigin.SUPERVISORY_REFERRAL, N_("Referred by a supervisory commission")),
        (CaseOrigin.PRIVATE_PROSECUTION, N_("Private prosecution (自诉)")),
        (CaseMoveKind.STAGE_ADVANCE, N_("Investigation concluded: to prosecution review")),
        (CaseMoveKind.INQUIRY_SENT, N_("Returned to the supervisory commission for supplementary inquiry")),
        (CaseMoveKind.INQUIRY_RETURNED, N_("Supplementary inquiry completed")),
        (CaseMoveKind.MERGE, N_("Another case merged into this one")),
    ]
)
