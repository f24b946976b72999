"""The describer: turns an item's audit events into sentences, with the chain checked on the way.

Each action's sentence is a handler registered with ``handles`` (``custody_events``, ``lifecycle_events``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from custody.audit.canonical import GENESIS_HASH
from custody.domain.enums import (
    CustodyState,
    DispositionKind,
    DispositionStatus,
    ExternalKind,
    LocationState,
    Measure,
)
from custody.domain.i18n import N_
from custody.domain.items import is_backdated
from custody.domain.personal_data import masked
from custody.i18n import yuan
from custody.models.audit import AuditEvent
from custody.services import accounts

from ..helpers import enum_label

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
class ItemState:
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
            self._agencies = {a.id: a.name for a in accounts.list_agencies(self.session)}
        if agency_id is None:
            return "—"
        return self._agencies.get(int(agency_id), f"#{agency_id}")

    def location(self, location_id: Any) -> str:
        if self._locations is None:
            self._locations = {loc.id: loc.path for loc in accounts.all_locations(self.session)}
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
            from ..forms import DETAIL_LABELS

            return "；".join(
                f"{DETAIL_LABELS.get(k, k)}: {self.detail_value(k, v)}" for k, v in value.items()
            )
        return str(value)

    @staticmethod
    def detail_value(key: str, value: Any) -> str:
        if key == "amount_fen" and isinstance(value, int):
            return yuan(value)
        if key == "denominations" and isinstance(value, dict):
            from ..forms import format_denomination_counts

            return format_denomination_counts(value)
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        return str(value)

    # -- sentences --------------------------------------------------------------------------

    def describe(self, event: AuditEvent, state: ItemState | None = None) -> tuple[str, list[str]]:
        """The sentence and extra lines for one event."""
        state = state or ItemState()
        data = event.data or {}
        handler = HANDLERS.get(event.action)
        who = self.who(event)
        if handler is None:
            return _("%(who)s: %(action)s", who=who, action=event.action), []
        msgid, params, extras = handler(self, data, state)
        return _(msgid, who=who, **params), [line for line in extras if line]

    def timeline(self, events: Iterable[AuditEvent]) -> list[TimelineEntry]:
        """Entries oldest first, with the chain checked and back-dated entries marked."""
        entries: list[TimelineEntry] = []
        state = ItemState()
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


Handler = Callable[[Describer, dict[str, Any], ItemState], tuple[str, dict[str, Any], list[str]]]
HANDLERS: dict[str, Handler] = {}


def handles(*actions: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        for action in actions:
            HANDLERS[action] = function
        return function

    return register


def before_after(data: dict[str, Any], key: str) -> tuple[Any, Any]:
    return (data.get("before") or {}).get(key), (data.get("after") or {}).get(key)
