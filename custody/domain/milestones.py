"""Case milestones the deadlines hang on: the effective judgment, closing the case, an item found
unrelated to the case, a public notice for unclaimed property [LAW + DESIGN §3]."""

from __future__ import annotations

from datetime import date

from .enums import CaseStage, LabelledEnum, register_labels
from .errors import Conflict, InvalidInput
from .i18n import N_


def _text(value: str | None, field: str, max_len: int) -> str:
    """A required text field, trimmed: refused when blank or longer than ``max_len``."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(N_("Required."), fields={field: [N_("Required.")]})
    if len(text) > max_len:
        raise InvalidInput(N_("Too long."), fields={field: [N_("Too long.")]})
    return text


def _not_future(day: date, today: date, field: str) -> None:
    if day > today:
        raise InvalidInput(N_("The date cannot be in the future."), fields={field: [N_("In the future.")]})


def check_judgment(
    stage: CaseStage, judgment_no: str | None, effective_on: date, *, filed_on: date, today: date
) -> str:
    """判决生效: only a case on trial; the judgment cannot take effect before the case was opened."""
    if stage is not CaseStage.TRIAL:
        raise Conflict(
            N_("A judgment can be recorded only while the case is on trial."), code="case.not_on_trial"
        )
    number = _text(judgment_no, "judgment_no", 64)
    _not_future(effective_on, today, "effective_on")
    if effective_on < filed_on:
        raise InvalidInput(
            N_("Earlier than the date the case was opened."),
            fields={"effective_on": [N_("Earlier than the date the case was opened.")]},
        )
    return number


def check_closure(stage: CaseStage, legal_basis: str | None, reason: str | None) -> tuple[str, str]:
    """结案: from any open stage (police drop the case, the procuratorate decides not to prosecute,
    the court has executed its judgment) — always with the decision's number and a reason."""
    if stage is CaseStage.CLOSED:
        raise Conflict(N_("The case is already closed."), code="case.closed")
    basis = _text(legal_basis, "legal_basis", 100)
    why = _text(reason, "reason", 500)
    return basis, why


def check_unrelated(found_on: date, reason: str | None, *, filed_on: date, today: date) -> str:
    _not_future(found_on, today, "found_on")
    if found_on < filed_on:
        raise InvalidInput(
            N_("Earlier than the date the case was opened."),
            fields={"found_on": [N_("Earlier than the date the case was opened.")]},
        )
    why = _text(reason, "reason", 500)
    return why


def check_notice(published_on: date, medium: str | None, *, today: date) -> str:
    _not_future(published_on, today, "published_on")
    where = _text(medium, "medium", 200)
    return where


class NoticeBasis(LabelledEnum):
    """Why the owner is sought by public notice, which sets how long the notice runs [LAW]."""

    UNRELATED = "unrelated"  # 程序规定 233: owner of unrelated property unknown — 6 months
    COURT_ORDERED_RETURN = (
        "court_ordered_return"  # 2021解释 445 ¶3: judgment returns it, nobody claims — 1 year
    )


NOTICE_MONTHS: dict[NoticeBasis, int] = {NoticeBasis.UNRELATED: 6, NoticeBasis.COURT_ORDERED_RETURN: 12}

register_labels(
    [
        (NoticeBasis.UNRELATED, N_("Owner of unrelated property unknown (6 months)")),
        (NoticeBasis.COURT_ORDERED_RETURN, N_("Return ordered by the judgment, nobody claimed it (1 year)")),
    ]
)
