"""Deadlines, alerts, stocktake, spot checks, ledgers, statistics, case milestones (one blueprint,
every page under /oversight and behind a login; the public owner lookup is ``web/lookup.py``).

Pages (endpoint → path), by module:

- ``dashboard``: ``oversight.alerts`` /oversight/alerts — the signed-in user's alerts (every role but
  admin); ``oversight.dashboard`` /oversight/ — the supervision dashboard (keepers, approvers,
  auditors); ``oversight.ledger`` /oversight/ledger — ledger export (CSV/XLSX, streamed:
  ``oversight.ledger_export``); ``oversight.statistics`` /oversight/statistics — charts as server-side
  SVG; ``oversight.backdated``; ``oversight.witnesses``
- ``stocktakes``: ``oversight.stocktakes`` /oversight/stocktakes — list and start; ``oversight.stocktake``
  one count (the scan page), with ``stocktake_scan``/``stocktake_finish``/``stocktake_cancel``/
  ``stocktake_report``; ``oversight.discrepancies`` /oversight/discrepancies — what approvers resolve
- ``spot_checks``: ``oversight.spot_checks`` /oversight/spot-checks — draw (auditors) and list;
  ``oversight.spot_check`` one, ``oversight.spot_check_record_pdf``
- ``milestones``: ``oversight.case_milestones`` /oversight/cases/<id> — judgment, closing, unrelated
  finding, public notice, execution, the judgment's orders

The inbox includes ``oversight/_inbox_alerts.html``, which calls the ``oversight_inbox_alerts``
template global registered by ``common``.
"""

from __future__ import annotations

# Importing the page modules adds their routes to the blueprint.
from . import dashboard, milestones, spot_checks, stocktakes
from .common import bp

__all__ = ["bp", "dashboard", "milestones", "spot_checks", "stocktakes"]
