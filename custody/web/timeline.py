"""An item's history as sentences a person reads: who did what, when — from its audit events.

Each custody action has one sentence template (an English msgid, translated at render time) whose
slots are filled from the event: the actor as recorded at the time (name and agency), and the
before/after values of the four dimensions translated into words (agency names, storage paths,
labels of states). The hash chain is checked on the way (each event names its predecessor's hash)
so auditors see where the chain holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from custody.audit.canonical import GENESIS_HASH
from custody.domain.enums import (
    CustodyState,
    DispositionKind,
    DispositionStatus,
    ExternalKind,
    ItemCategory,
    LocationState,
    Measure,
    TransferKind,
    TransferMode,
)
from custody.domain.i18n import N_
from custody.domain.items import is_backdated
from custody.domain.judgment_orders import OrderKind
from custody.domain.lifecycle import CheckoutPurpose, Discrepancy, FreezeAssetType
from custody.domain.personal_data import masked
from custody.i18n import yuan
from custody.models.agency import Agency, StorageLocation
from custody.models.audit import AuditEvent

from .helpers import enum_label

# Registration fields by name, for corrections ("the name was corrected from … to …").
FIELD_LABELS = {
    "name": N_("Item name"),
    "quantity": N_("Quantity"),
    "unit": N_("Unit"),
    "features": N_("Features (特征)"),
    "specification": N_("Model / specification"),
    "condition_at_seizure": N_("Condition at seizure"),
    "source": N_("Source"),
    "estimated_value_fen": N_("Estimated value"),
    "owner_name": N_("Owner"),
    "owner_id_no": N_("Owner's ID number"),
    "owner_contact": N_("Owner's contact"),
    "ownership_clear": N_("Ownership clear and undisputed"),
    "is_perishable": N_("Perishable or fast-depreciating"),
    "measure_doc_no": N_("Decision document number"),
    "measure_date": N_("Date of the measure"),
    "details": N_("Category details"),
}
ENUMS_BY_KEY: dict[str, type] = {
    "custody_state": CustodyState,
    "location_state": LocationState,
    "disposition_status": DispositionStatus,
    "disposition_kind": DispositionKind,
    "external_kind": ExternalKind,
    "measure": Measure,
}


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def short_time(value: Any) -> str:
    moment = parse_time(value)
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else "—"


def label_of(enum_cls: type, value: Any) -> str:
    """The translated label of an enum value as stored in an event ("prosecution" → 移送审查起诉)."""
    if value is None or value == "":
        return "—"
    try:
        return enum_label(enum_cls(value))
    except ValueError:
        return str(value)


@dataclass
class TimelineEntry:
    event: AuditEvent
    sentence: str
    extras: list[str] = field(default_factory=list)
    backdated: bool = False
    linked: bool = True  # prev_hash names the previous event's hash (auditors see the chain)

    @property
    def occurred_at(self) -> datetime:
        return self.event.occurred_at

    @property
    def recorded_at(self) -> datetime:
        return self.event.recorded_at


@dataclass
class _State:
    """What the item looked like just before the event being described (for "from … to …")."""

    custodian_agency_id: int | None = None
    storage_location_id: int | None = None


class Describer:
    """Turns audit events into sentences. Loads agency names and location paths once."""

    def __init__(self, session: Session, *, full_personal: bool = False) -> None:
        """``full_personal``: the reader sees the item's personal data in full
        (``domain.personal_data.sees_personal_data``); otherwise values are masked."""
        self.session = session
        self.full_personal = full_personal
        self._agencies: dict[int, str] | None = None
        self._locations: dict[int, str] | None = None

    # -- names ------------------------------------------------------------------------------

    def agency(self, agency_id: Any) -> str:
        if self._agencies is None:
            self._agencies = {a.id: a.name for a in self.session.scalars(select(Agency))}
        if agency_id is None:
            return "—"
        return self._agencies.get(int(agency_id), f"#{agency_id}")

    def location(self, location_id: Any) -> str:
        if self._locations is None:
            self._locations = {loc.id: loc.path for loc in self.session.scalars(select(StorageLocation))}
        if location_id is None:
            return "—"
        return self._locations.get(int(location_id), f"#{location_id}")

    @staticmethod
    def who(event: AuditEvent) -> str:
        actor = event.actor or {}
        if not actor:
            return _("The system")
        acting_for = actor.get("acting_for")
        if isinstance(acting_for, dict):
            # A centre operator's keeper, working for the item's custodian agency.
            return _(
                "%(name)s (%(agency)s, for %(custodian)s)",
                name=actor.get("display_name") or actor.get("username") or "?",
                agency=actor.get("agency_name") or "?",
                custodian=acting_for.get("agency_name") or "?",
            )
        return _(
            "%(name)s (%(agency)s)",
            name=actor.get("display_name") or actor.get("username") or "?",
            agency=actor.get("agency_name") or "?",
        )

    def field_value(self, name: str | None, value: Any) -> str:
        if isinstance(value, dict) and set(value) == {"sha256"}:
            return _("(personal data, kept only as a digest)")
        if name and not self.full_personal:
            value = masked(name, value)
        if value is None or value == "":
            return "—"
        if name == "estimated_value_fen":
            return yuan(int(value))
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if name == "details" and isinstance(value, dict):
            from .forms import DETAIL_LABELS

            return "；".join(
                f"{DETAIL_LABELS.get(k, k)}: {self.detail_value(k, v)}" for k, v in value.items()
            )
        return str(value)

    @staticmethod
    def detail_value(key: str, value: Any) -> str:
        if key == "amount_fen" and isinstance(value, int):
            return yuan(value)
        if key == "denominations" and isinstance(value, dict):
            from .forms import format_denomination_counts

            return format_denomination_counts(value)
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        return str(value)

    # -- sentences --------------------------------------------------------------------------

    def describe(self, event: AuditEvent, state: _State | None = None) -> tuple[str, list[str]]:
        """The sentence and extra lines for one event."""
        state = state or _State()
        data = event.data or {}
        handler = _HANDLERS.get(event.action)
        who = self.who(event)
        if handler is None:
            return _("%(who)s: %(action)s", who=who, action=event.action), []
        msgid, params, extras = handler(self, data, state)
        return _(msgid, who=who, **params), [line for line in extras if line]

    def timeline(self, events: Iterable[AuditEvent]) -> list[TimelineEntry]:
        """Entries oldest first, with the chain checked and back-dated entries marked."""
        entries: list[TimelineEntry] = []
        state = _State()
        previous_hash = GENESIS_HASH
        for event in events:
            sentence, extras = self.describe(event, state)
            entries.append(
                TimelineEntry(
                    event=event,
                    sentence=sentence,
                    extras=extras,
                    backdated=is_backdated(event.occurred_at, event.recorded_at),
                    linked=(event.prev_hash or GENESIS_HASH) == previous_hash,
                )
            )
            previous_hash = event.hash
            after = (event.data or {}).get("after") or {}
            if "custodian_agency_id" in after:
                state.custodian_agency_id = after["custodian_agency_id"]
            if "storage_location_id" in after:
                state.storage_location_id = after["storage_location_id"]
        return entries


Handler = Callable[[Describer, dict[str, Any], _State], tuple[str, dict[str, Any], list[str]]]
_HANDLERS: dict[str, Handler] = {}


def handles(*actions: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        for action in actions:
            _HANDLERS[action] = function
        return function

    return register


def _changed(data: dict[str, Any], key: str) -> tuple[Any, Any]:
    return (data.get("before") or {}).get(key), (data.get("after") or {}).get(key)


# -- registration and storage -----------------------------------------------------------------


@handles("item.register")
def _register(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
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
def _attachment(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
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
def _check_in(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
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
def _move(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    before, _after = _changed(data, "storage_location_id")
    return (
        N_("%(who)s moved the item from %(from)s to %(to)s"),
        {
            "from": d.location(before if before is not None else state.storage_location_id),
            "to": data.get("location_path") or "—",
        },
        [],
    )


@handles("item.external")
def _external(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    _before, kind = _changed(data, "external_kind")
    _before, place = _changed(data, "external_place")
    extras = [_("Contact: %(contact)s", contact=data["contact"])] if data.get("contact") else []
    extras += _arrival(data)
    return (
        N_("%(who)s recorded that the item is kept outside the centre: %(kind)s, %(place)s"),
        {"kind": label_of(ExternalKind, kind), "place": place or "—"},
        extras,
    )


@handles("item.condition")
def _condition(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    before, after = _changed(data, "condition")
    extras = [_("Before: %(condition)s", condition=before)] if before else []
    return N_("%(who)s recorded the item's condition: %(condition)s"), {"condition": after or "—"}, extras


# -- transfers --------------------------------------------------------------------------------


@handles("transfer.propose")
def _propose(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
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
def _accept(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    before, after = _changed(data, "custodian_agency_id")
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
def _reject(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s rejected the item in transfer %(no)s; custody stays with %(holder)s and the item is flagged"
        ),
        {"no": data.get("transfer_no"), "holder": d.agency(state.custodian_agency_id)},
        [],
    )


@handles("transfer.recall")
def _recall(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s recalled transfer %(no)s; custody stays with %(holder)s"),
        {"no": data.get("transfer_no"), "holder": d.agency(state.custodian_agency_id)},
        [],
    )


# -- check-out and return ---------------------------------------------------------------------


@handles("checkout.request")
def _checkout_request(
    d: Describer, data: dict[str, Any], state: _State
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
def _release(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
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
def _return(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
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
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s asked to extend check-out %(no)s until %(due)s"),
        {"no": data.get("checkout_no"), "due": short_time(data.get("requested_due_at"))},
        [],
    )


@handles("checkout.extension_approve")
def _extension_approve(
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s extended check-out %(no)s until %(due)s"),
        {"no": data.get("checkout_no"), "due": short_time(data.get("due_at"))},
        [],
    )


@handles("checkout.extension_reject")
def _extension_reject(
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s refused to extend check-out %(no)s"), {"no": data.get("checkout_no")}, []


# -- disposal ---------------------------------------------------------------------------------


def _disposal_params(data: dict[str, Any]) -> dict[str, Any]:
    return {"kind": label_of(DispositionKind, data.get("kind")), "no": data.get("disposition_no") or "—"}


@handles("disposition.propose")
def _disposal_propose(
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    extras = [_("Legal basis: %(basis)s", basis=data["legal_basis"])] if data.get("legal_basis") else []
    return N_("%(who)s proposed disposal %(no)s: %(kind)s"), _disposal_params(data), extras


@handles("disposition.approve")
def _disposal_approve(
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s approved disposal %(no)s: %(kind)s"), _disposal_params(data), []


@handles("disposition.reject")
def _disposal_reject(
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s rejected disposal %(no)s (%(kind)s)"), _disposal_params(data), []


@handles("disposition.cancel")
def _disposal_cancel(
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s cancelled disposal %(no)s (%(kind)s)"), _disposal_params(data), []


@handles("disposition.execute")
def _disposal_execute(
    d: Describer, data: dict[str, Any], state: _State
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
    d: Describer, data: dict[str, Any], state: _State
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
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s recorded line %(line)s of judgment %(judgment)s: %(order)s"), _order_params(data), []


@handles("judgment.order_proposed")
def _judgment_order_proposed(
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s proposed disposal %(no)s from line %(line)s of judgment %(judgment)s"),
        {**_order_params(data), "no": data.get("disposition_no") or "—"},
        [],
    )


@handles("judgment.order_executed")
def _judgment_order_executed(
    d: Describer, data: dict[str, Any], state: _State
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
    d: Describer, data: dict[str, Any], state: _State
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
    d: Describer, data: dict[str, Any], state: _State
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
    d: Describer, data: dict[str, Any], state: _State
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
    d: Describer, data: dict[str, Any], state: _State
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
    d: Describer, data: dict[str, Any], state: _State
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
def _case_merge(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
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
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s recorded a freeze (%(type)s) of %(amount)s at %(institution)s until %(expires)s, notice %(doc)s"
        ),
        _freeze_params(data),
        [],
    )


@handles("freeze.queue")
def _freeze_queue(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s recorded a queued freeze (轮候冻结, position %(position)s) (%(type)s) of %(amount)s at %(institution)s, notice %(doc)s"
        ),
        {**_freeze_params(data), "position": data.get("queue_position") or "—"},
        [],
    )


@handles("freeze.activate")
def _freeze_activate(
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s recorded that the queued freeze took effect; it holds until %(expires)s"),
        _freeze_params(data),
        [],
    )


@handles("freeze.renew")
def _freeze_renew(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s renewed the freeze at %(institution)s until %(expires)s, notice %(doc)s"),
        _freeze_params(data),
        [],
    )


@handles("freeze.release")
def _freeze_release(
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    return N_("%(who)s released the freeze at %(institution)s, notice %(doc)s"), _freeze_params(data), []


@handles("freeze.lapse")
def _freeze_lapse(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
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
    d: Describer, data: dict[str, Any], state: _State
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
def _correct(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    name = data.get("field")
    before, after = _changed(data, name) if name else (None, None)
    return (
        N_(
            "%(who)s approved the correction of %(field)s: “%(old)s” became “%(new)s” (the earlier entries stay as they were)"
        ),
        {"field": _field_label(name), "old": d.field_value(name, before), "new": d.field_value(name, after)},
        [],
    )


@handles("correction.reject")
def _correction_reject(
    d: Describer, data: dict[str, Any], state: _State
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
def _unrelated(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_(
            "%(who)s recorded the item as unrelated to the case (decision %(doc)s): it must be released within 3 days"
        ),
        {"doc": data.get("decision_doc_no") or "—"},
        [],
    )


@handles("notice.publish")
def _notice(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    return (
        N_("%(who)s published public notice %(no)s (%(medium)s) for the unclaimed item"),
        {"no": data.get("notice_no"), "medium": data.get("medium") or "—"},
        [],
    )


@handles("spot_check.result")
def _spot_check(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
    from custody.domain.spot_checks import SpotCheckResult

    return (
        N_("%(who)s inspected the item in spot check %(no)s: %(result)s"),
        {"no": data.get("check_no"), "result": _enum_label(SpotCheckResult, data.get("result"))},
        [],
    )


@handles("stocktake.discrepancy")
def _stocktake_discrepancy(
    d: Describer, data: dict[str, Any], state: _State
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
    d: Describer, data: dict[str, Any], state: _State
) -> tuple[str, dict[str, Any], list[str]]:
    from custody.domain.stocktake import StocktakeResult

    return (
        N_("%(who)s resolved the stocktake discrepancy (%(kind)s)"),
        {"kind": _enum_label(StocktakeResult, data.get("kind"))},
        [],
    )


# The three check-out decisions differ only in their sentence.
_CHECKOUT_DECISIONS = {
    "checkout.approve": N_("%(who)s approved check-out %(no)s"),
    "checkout.reject": N_("%(who)s rejected check-out %(no)s"),
    "checkout.cancel": N_("%(who)s cancelled check-out %(no)s"),
}


def _checkout_decision_for(action: str) -> Handler:
    def handler(d: Describer, data: dict[str, Any], state: _State) -> tuple[str, dict[str, Any], list[str]]:
        return _CHECKOUT_DECISIONS[action], {"no": data.get("checkout_no")}, []

    return handler


for _action in _CHECKOUT_DECISIONS:
    _HANDLERS[_action] = _checkout_decision_for(_action)

KNOWN_ACTIONS = frozenset(_HANDLERS)


def item_events(session: Session, item_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.item_id == item_id)
            .order_by(AuditEvent.item_seq, AuditEvent.id)
        )
    )


def recent_custody_events(session: Session, limit: int = 20) -> list[AuditEvent]:
    """The latest custody events of all items (for auditors, who see everything)."""
    stmt = (
        select(AuditEvent).where(AuditEvent.item_id.is_not(None)).order_by(AuditEvent.id.desc()).limit(limit)
    )
    return list(session.scalars(stmt))
