"""Sentences of registration, storage, transfers and check-outs."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from custody.domain.enums import DispositionKind, ExternalKind, ItemCategory, TransferKind, TransferMode
from custody.domain.i18n import N_
from custody.domain.lifecycle import CheckoutPurpose, Discrepancy
from custody.i18n import yuan

from .describer import HANDLERS, Describer, Handler, ItemState, before_after, handles, label_of, short_time

# -- registration and storage -----------------------------------------------------------------


@handles("item.register")
def _register(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    after = data.get("after") or {}
    holder = d.agency(after.get("custodian_agency_id"))
    extras = [
        _(
            "Category: %(category)s; quantity: %(quantity)s %(unit)s",
            category=label_of(ItemCategory, data.get("category")),
            quantity=data.get("quantity") or "—",
            unit=data.get("unit") or "",
        )
    ]
    if data.get("estimated_value_fen") is not None:
        extras.append(_("Estimated value: %(value)s", value=yuan(data["estimated_value_fen"])))
    if data.get("source_label_code"):
        return (
            N_(
                "%(who)s registered the proceeds of the early sale of %(source)s (disposal %(no)s) as a "
                "case-money entry; custody: %(holder)s"
            ),
            {"source": data["source_label_code"], "no": data.get("disposition_no") or "—", "holder": holder},
            extras,
        )
    return (
        N_("%(who)s registered the item (label %(label)s, seizure list %(list)s); custody: %(holder)s"),
        {
            "label": data.get("label_code") or "—",
            "list": data.get("seizure_list_no") or "—",
            "holder": holder,
        },
        extras,
    )


@handles("item.attachment_add")
def _attachment(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    from custody.domain.enums import AttachmentKind

    return (
        N_("%(who)s added a %(kind)s: %(filename)s"),
        {"kind": label_of(AttachmentKind, data.get("kind")), "filename": data.get("filename") or "—"},
        [_("SHA-256: %(digest)s", digest=data.get("sha256") or "—")],
    )


def _arrival(data: dict[str, Any]) -> list[str]:
    """The 24-hour rule's verdict on the step that brought the item into storage (issue 14): a late
    arrival is said, and a back-dated one is judged by when it was recorded."""
    judgement = data.get("into_storage") or {}
    if not judgement.get("late"):
        return []
    if judgement.get("judged_by") == "recorded_at":
        return [
            _(
                "Late: recorded %(hours)s hours after seizure, beyond the %(limit)s-hour limit "
                "(a back-dated entry is judged by when it was recorded).",
                hours=judgement.get("hours"),
                limit=judgement.get("limit_hours"),
            )
        ]
    return [
        _(
            "Late: %(hours)s hours after seizure, beyond the %(limit)s-hour limit.",
            hours=judgement.get("hours"),
            limit=judgement.get("limit_hours"),
        )
    ]


@handles("item.check_in")
def _check_in(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    extras = _arrival(data)
    if data.get("condition"):
        extras.append(_("Condition: %(condition)s", condition=data["condition"]))
    if data.get("late_reason"):
        extras.append(_("Why after the 24 hours: %(reason)s", reason=data["late_reason"]))
    if data.get("handed_over_by"):
        extras.append(_("Handed over by %(name)s", name=data["handed_over_by"]))
    hours = data.get("hours_since_seizure")
    if hours is not None:
        return (
            N_("%(who)s received the item into storage at %(location)s, %(hours)s hours after seizure"),
            {"location": data.get("location_path") or "—", "hours": hours},
            extras,
        )
    return (
        N_("%(who)s received the item into storage at %(location)s"),
        {"location": data.get("location_path") or "—"},
        extras,
    )


@handles("item.move")
def _move(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    before, _after = before_after(data, "storage_location_id")
    return (
        N_("%(who)s moved the item from %(from)s to %(to)s"),
        {
            "from": d.location(before if before is not None else state.storage_location_id),
            "to": data.get("location_path") or "—",
        },
        [],
    )


@handles("item.external")
def _external(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    _before, kind = before_after(data, "external_kind")
    _before, place = before_after(data, "external_place")
    extras = [_("Contact: %(contact)s", contact=data["contact"])] if data.get("contact") else []
    extras += _arrival(data)
    return (
        N_("%(who)s recorded that the item is kept outside the centre: %(kind)s, %(place)s"),
        {"kind": label_of(ExternalKind, kind), "place": place or "—"},
        extras,
    )


@handles("item.condition")
def _condition(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    before, after = before_after(data, "condition")
    extras = [_("Before: %(condition)s", condition=before)] if before else []
    return N_("%(who)s recorded the item's condition: %(condition)s"), {"condition": after or "—"}, extras


# -- transfers --------------------------------------------------------------------------------


@handles("transfer.propose")
def _propose(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    extras = [_("Mode: %(mode)s", mode=label_of(TransferMode, data.get("mode")))]
    if data.get("proposed_disposition"):
        extras.append(
            _("Proposed disposition: %(kind)s", kind=label_of(DispositionKind, data["proposed_disposition"]))
        )
    return (
        N_("%(who)s offered the item to %(to)s in transfer %(no)s (%(kind)s); it awaits their signature"),
        {
            "to": data.get("to_agency_name") or d.agency(data.get("to_agency_id")),
            "no": data.get("transfer_no"),
            "kind": label_of(TransferKind, data.get("kind")),
        },
        extras,
    )


@handles("transfer.accept")
def _accept(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    before, after = before_after(data, "custodian_agency_id")
    return (
        N_("%(who)s signed for the item (transfer %(no)s); custody moved from %(from)s to %(to)s"),
        {
            "no": data.get("transfer_no"),
            "from": d.agency(before or data.get("from_agency_id")),
            "to": d.agency(after or data.get("to_agency_id")),
        },
        [],
    )


@handles("transfer.reject")
def _reject(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s rejected the item in transfer %(no)s; custody stays with %(holder)s and the item is flagged"
        ),
        {"no": data.get("transfer_no"), "holder": d.agency(state.custodian_agency_id)},
        [],
    )


@handles("transfer.recall")
def _recall(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s recalled transfer %(no)s; custody stays with %(holder)s"),
        {"no": data.get("transfer_no"), "holder": d.agency(state.custodian_agency_id)},
        [],
    )


# -- check-out and return ---------------------------------------------------------------------


@handles("checkout.request")
def _checkout_request(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s requested check-out %(no)s for %(purpose)s by %(counterparty)s, due back %(due)s"),
        {
            "no": data.get("checkout_no"),
            "purpose": label_of(CheckoutPurpose, data.get("purpose")),
            "counterparty": data.get("counterparty") or "—",
            "due": short_time(data.get("due_at")),
        },
        [],
    )


@handles("item.release")
def _release(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s released the item to %(to)s (check-out %(no)s, %(purpose)s), due back %(due)s"),
        {
            "to": data.get("released_to") or "—",
            "no": data.get("checkout_no"),
            "purpose": label_of(CheckoutPurpose, data.get("purpose")),
            "due": short_time(data.get("due_at")),
        },
        [],
    )


@handles("item.return")
def _return(d: Describer, data: dict[str, Any], state: ItemState) -> tuple[str, dict[str, Any], list[str]]:
    extras = [_("Condition: %(condition)s", condition=data.get("condition") or "—")]
    if data.get("discrepancy"):
        extras.append(
            _(
                "Discrepancy: %(kind)s — %(note)s",
                kind=label_of(Discrepancy, data["discrepancy"]),
                note=data.get("discrepancy_note") or "—",
            )
        )
    msgid = (
        N_("%(who)s took the item back into storage (check-out %(no)s), late")
        if data.get("late")
        else N_("%(who)s took the item back into storage (check-out %(no)s)")
    )
    return msgid, {"no": data.get("checkout_no")}, extras


@handles("checkout.extension_request")
def _extension_request(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s asked to extend check-out %(no)s until %(due)s"),
        {"no": data.get("checkout_no"), "due": short_time(data.get("requested_due_at"))},
        [],
    )


@handles("checkout.extension_approve")
def _extension_approve(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s extended check-out %(no)s until %(due)s"),
        {"no": data.get("checkout_no"), "due": short_time(data.get("due_at"))},
        [],
    )


@handles("checkout.extension_reject")
def _extension_reject(
    d: Describer, data: dict[str, Any], state: ItemState
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s refused to extend check-out %(no)s"), {"no": data.get("checkout_no")}, []


# The three check-out decisions differ only in their sentence.
_CHECKOUT_DECISIONS = {
    "checkout.approve": N_("%(who)s approved check-out %(no)s"),
    "checkout.reject": N_("%(who)s rejected check-out %(no)s"),
    "checkout.cancel": N_("%(who)s cancelled check-out %(no)s"),
}


def _checkout_decision_for(action: str) -> Handler:
    def handler(
        d: Describer, data: dict[str, Any], state: ItemState
    ) -> tuple[str, dict[str, Any], list[str]]:
        return _CHECKOUT_DECISIONS[action], {"no": data.get("checkout_no")}, []

    return handler


for _action in _CHECKOUT_DECISIONS:
    HANDLERS[_action] = _checkout_decision_for(_action)
