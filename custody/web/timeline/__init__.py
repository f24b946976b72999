"""An item's history as sentences a person reads: who did what, when — from its audit events.

Each custody action has one sentence template (an English msgid, translated at render time) whose
slots are filled from the event: the actor as recorded at the time (name and agency), and the
before/after values of the four dimensions translated into words (agency names, storage paths,
labels of states). The hash chain is checked on the way (each event names its predecessor's hash)
so auditors see where the chain holds.

``describer`` holds the machinery; ``custody_events`` and ``lifecycle_events`` the sentences of each
action. The events themselves are read through ``services.item_events``.
"""

from __future__ import annotations

from custody.services.item_events import item_history as item_events
from custody.services.item_events import recent_custody_events

# Importing the handler modules registers their sentences.
from . import custody_events, lifecycle_events
from .describer import FIELD_LABELS, HANDLERS, Describer, TimelineEntry, label_of, parse_time, short_time
from .lifecycle_events import field_label

KNOWN_ACTIONS = frozenset(HANDLERS)

__all__ = [
    "FIELD_LABELS",
    "KNOWN_ACTIONS",
    "Describer",
    "TimelineEntry",
    "custody_events",
    "field_label",
    "item_events",
    "label_of",
    "lifecycle_events",
    "parse_time",
    "recent_custody_events",
    "short_time",
]
