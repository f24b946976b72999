"""Check-out, disposal, freeze and correction pages (the rest of an item's life, as HTML).

One blueprint (``lifecycle``), its pages in a module per record: each page checks the shape of its
form and calls ONE service through ``helpers.submit``; detail pages ask the service which actions
the current user may take now and show only those forms. A POST of an action the user may not
take is refused before its form is read, shown on the page (403 or 409), a permission refusal
recorded. Unknown records and records of cases the agency may not see are a 404 page.
"""

from __future__ import annotations

from . import checkouts, corrections, dispositions, documents, freezes  # noqa: F401 - their routes
from .common import bp

__all__ = ["bp"]
