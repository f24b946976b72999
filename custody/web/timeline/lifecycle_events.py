"""Sentences of disposals, the judgment's orders, case money, merges, freezes, corrections,
unrelated findings, notices, spot checks and stocktakes."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from custody.domain.enums import DispositionKind
from custody.domain.i18n import N_
from custody.domain.judgment_orders import OrderKind
from custody.domain.lifecycle import FreezeAssetType
from custody.i18n import yuan

from .describer import FIELD_LABELS, Describer, ItemState, before_after, handles, label_of

# -- disposal ---------------------------------------------------------------------------------


def _disposal_params(data: dict[str, Any]) -> dict[str, Any]:
    return {"kind": label_of(DispositionKind, data.get("kind")), "no": data.get("disposition_no") or "—"}


@handles("disposition.propose")
def _disposal_propose(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    extras = [_("Legal basis: %(basis)s", basis=data["legal_basis"])] if data.get("legal_basis") else []
    return N_("%(who)s proposed disposal %(no)s: %(kind)s"), _disposal_params(data), extras


@handles("disposition.approve")
def _disposal_approve(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s approved disposal %(no)s: %(kind)s"), _disposal_params(data), []


@handles("disposition.reject")
def _disposal_reject(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s rejected disposal %(no)s (%(kind)s)"), _disposal_params(data), []


@handles("disposition.cancel")
def _disposal_cancel(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s cancelled disposal %(no)s (%(kind)s)"), _disposal_params(data), []


@handles("disposition.execute")
def _disposal_execute(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    extras = []
    witness = data.get("witness") or {}
    if witness.get("display_name"):
        extras.append(
            _(
                "Witness: %(name)s (%(agency)s)",
                name=witness.get("display_name") or "—",
                agency=witness.get("agency") or "—",
            )
        )
    elif witness:
        # An external witness: the record holds the kind and organisation, not the person.
        from custody.domain.lifecycle import WitnessKind

        extras.append(
            _(
                "Witness: external (%(kind)s, %(organisation)s), recorded by name and ID number",
                kind=_enum_label(WitnessKind, witness.get("kind")),
                organisation=witness.get("organisation") or "—",
            )
        )
    if data.get("ground") and data.get("ground") != "judgment":
        from custody.domain.lifecycle import DisposalGround

        extras.append(_("Ground: %(ground)s", ground=_enum_label(DisposalGround, data.get("ground"))))
    recipient = data.get("recipient") or {}
    if recipient:
        extras.append(
            _("Received by: %(name)s", name=recipient.get("name") or "—")
            + (
                _(" (authorised agent, %(ref)s)", ref=recipient.get("authorisation_ref") or "—")
                if recipient.get("is_agent")
                else ""
            )
        )
    if data.get("proceeds_fen") is not None:
        extras.append(
            _(
                "Proceeds %(amount)s, now case-money entry %(label)s",
                amount=yuan(data["proceeds_fen"]),
                label=data.get("proceeds_label_code") or "—",
            )
        )
    return (
        N_("%(who)s executed disposal %(no)s: %(kind)s (receipt %(receipt)s); the item has left custody"),
        {**_disposal_params(data), "receipt": data.get("receipt_no") or "—"},
        extras,
    )


@handles("disposition.refund")
def _disposal_refund(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s recorded the treasury refund of disposal %(no)s (%(doc)s) to the owner who came forward"),
        {**_disposal_params(data), "doc": data.get("refund_doc_no") or "—"},
        [],
    )


def _order_params(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "line": data.get("line_no") or "—",
        "judgment": data.get("judgment_no") or "—",
        "order": label_of(OrderKind, data.get("kind")),
    }


@handles("judgment.order")
def _judgment_order(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s recorded line %(line)s of judgment %(judgment)s: %(order)s"), _order_params(data), []


@handles("judgment.order_proposed")
def _judgment_order_proposed(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s proposed disposal %(no)s from line %(line)s of judgment %(judgment)s"),
        {**_order_params(data), "no": data.get("disposition_no") or "—"},
        [],
    )


@handles("judgment.order_executed")
def _judgment_order_executed(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "Line %(line)s of judgment %(judgment)s is executed; its receipt goes back to the court (%(who)s)"
        ),
        _order_params(data),
        [],
    )


@handles("judgment.order_reopened")
def _judgment_order_reopened(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "Line %(line)s of judgment %(judgment)s is open again: disposal %(no)s did not go ahead (%(who)s)"
        ),
        {**_order_params(data), "no": data.get("disposition_no") or "—"},
        [],
    )


@handles("judgment.order_closed")
def _judgment_order_closed(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s acknowledged the execution receipt %(receipt)s of line %(line)s of judgment %(judgment)s"
        ),
        {**_order_params(data), "receipt": data.get("receipt_no") or "—"},
        [],
    )


@handles("money.deposit")
def _money_deposit(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s deposited %(amount)s into the case-money account %(account)s (slip %(slip)s); the case's balance there is %(balance)s"
        ),
        _money_params(data),
        [],
    )


@handles("money.proceeds")
def _money_proceeds(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s recorded the sale proceeds of %(amount)s paid into the case-money account %(account)s (slip %(slip)s); the case's balance there is %(balance)s"
        ),
        _money_params(data),
        [],
    )


@handles("money.deduction")
def _money_deduction(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s recorded %(amount)s deducted from this frozen account into the case-money account %(account)s (slip %(slip)s)"
        ),
        _money_params(data),
        [],
    )


def _money_params(data: dict[str, Any]) -> dict[str, Any]:
    def fen(key: str) -> str:
        value = data.get(key)
        return yuan(value) if isinstance(value, int) else "—"

    return {
        "amount": fen("amount_fen"),
        "balance": fen("balance_after_fen"),
        "account": data.get("account") or "—",
        "slip": data.get("reference") or "—",
    }


@handles("case.merge")
def _case_merge(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s merged the item's case into case %(into)s (并案, %(doc)s): the item now belongs to it"),
        {"into": data.get("into_case_id"), "doc": data.get("doc_no") or "—"},
        [],
    )


# -- freezes and corrections ------------------------------------------------------------------


def _freeze_params(data: dict[str, Any]) -> dict[str, Any]:
    amount = data.get("amount_fen")
    return {
        "type": label_of(FreezeAssetType, data.get("asset_type")),
        "institution": data.get("institution") or "—",
        "amount": yuan(amount) if isinstance(amount, int) else "—",
        "expires": data.get("expires_on") or "—",
        "doc": data.get("notice_doc_no") or data.get("doc_no") or "—",
    }


@handles("freeze.create")
def _freeze_create(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s recorded a freeze (%(type)s) of %(amount)s at %(institution)s until %(expires)s, notice %(doc)s"
        ),
        _freeze_params(data),
        [],
    )


@handles("freeze.queue")
def _freeze_queue(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s recorded a queued freeze (轮候冻结, position %(position)s) (%(type)s) of %(amount)s at %(institution)s, notice %(doc)s"
        ),
        {**_freeze_params(data), "position": data.get("queue_position") or "—"},
        [],
    )


@handles("freeze.activate")
def _freeze_activate(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s recorded that the queued freeze took effect; it holds until %(expires)s"),
        _freeze_params(data),
        [],
    )


@handles("freeze.renew")
def _freeze_renew(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s renewed the freeze at %(institution)s until %(expires)s, notice %(doc)s"),
        _freeze_params(data),
        [],
    )


@handles("freeze.release")
def _freeze_release(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s released the freeze at %(institution)s, notice %(doc)s"), _freeze_params(data), []


@handles("freeze.lapse")
def _freeze_lapse(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s: the freeze at %(institution)s lapsed after %(expires)s without renewal"),
        _freeze_params(data),
        [],
    )


def _field_label(name: Any) -> str:
    return _(FIELD_LABELS[name]) if name in FIELD_LABELS else str(name)


field_label = _field_label  # a correctable field's name in the user's language (pages use it too)


@handles("correction.propose")
def _correction_propose(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    name = data.get("field")
    return (
        N_("%(who)s proposed correcting %(field)s from “%(old)s” to “%(new)s”"),
        {
            "field": _field_label(name),
            "old": d.field_value(name, data.get("old_value")),
            "new": d.field_value(name, data.get("new_value")),
        },
        [],
    )


@handles("item.correct")
def _correct(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    name = data.get("field")
    before, after = before_after(data, name) if name else (None, None)
    return (
        N_(
            "%(who)s approved the correction of %(field)s: “%(old)s” became “%(new)s” (the earlier entries stay as they were)"
        ),
        {"field": _field_label(name), "old": d.field_value(name, before), "new": d.field_value(name, after)},
        [],
    )


@handles("correction.reject")
def _correction_reject(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s rejected the proposed correction of %(field)s"),
        {"field": _field_label(data.get("field"))},
        [],
    )


def _enum_label(enum_cls: type, value: Any) -> str:
    try:
        return _(enum_cls(value).label)
    except ValueError:
        return str(value)


@handles("item.unrelated")
def _unrelated(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s recorded the item as unrelated to the case (decision %(doc)s): it must be released within 3 days"
        ),
        {"doc": data.get("decision_doc_no") or "—"},
        [],
    )


@handles("notice.publish")
def _notice(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s published public notice %(no)s (%(medium)s) for the unclaimed item"),
        {"no": data.get("notice_no"), "medium": data.get("medium") or "—"},
        [],
    )


@handles("spot_check.result")
def _spot_check(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    from custody.domain.spot_checks import SpotCheckResult

    return (
        N_("%(who)s inspected the item in spot check %(no)s: %(result)s"),
        {"no": data.get("check_no"), "result": _enum_label(SpotCheckResult, data.get("result"))},
        [],
    )


@handles("stocktake.discrepancy")
def _stocktake_discrepancy(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    from custody.domain.stocktake import StocktakeResult

    return (
        N_("Stocktake %(no)s found a discrepancy (%(kind)s), recorded by %(who)s"),
        {"no": data.get("stocktake_no"), "kind": _enum_label(StocktakeResult, data.get("kind"))},
        [
            _("Shelf on record: %(place)s", place=data.get("book_location") or "—"),
            _("Found at: %(place)s", place=data["found_location"]) if data.get("found_location") else "",
        ],
    )


@handles("stocktake.resolve")
def _stocktake_resolve(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    from custody.domain.stocktake import StocktakeResult

    return (
        N_("%(who)s resolved the stocktake discrepancy (%(kind)s)"),
        {"kind": _enum_label(StocktakeResult, data.get("kind"))},
        [],
    )
