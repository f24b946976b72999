"""The public lookup (no login): a holder checks their seizure list, a victim their restitution
(rate-limited; answers are never cached, indexed or sent on as a referrer).

- ``lookup.owner_lookup`` /lookup
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from custody.access import request_origin
from custody.domain.owner_lookup import FAILURE_WINDOW, LookupOutcome, is_victim_lookup_no
from custody.extensions import db
from custody.services import owner_lookup

from .forms.oversight import OwnerLookupForm

bp = Blueprint("lookup", __name__)


@bp.route("/lookup", methods=["GET", "POST"], endpoint="owner_lookup")
def owner_lookup_page():
    form = OwnerLookupForm()
    result = None
    status = 200
    if form.validate_on_submit():
        # A victim's lookup number (BHR-…) looks up their restitution status; any other, a seizure list.
        result = (
            owner_lookup.victim_lookup(
                db.session, lookup_no=form.list_no.data, code=form.code.data, origin=request_origin()
            )
            if is_victim_lookup_no(form.list_no.data)
            else owner_lookup.lookup(
                db.session, list_no=form.list_no.data, code=form.code.data, origin=request_origin()
            )
        )
        db.session.commit()
        if result.outcome is LookupOutcome.LIMITED:
            status = 429
        elif result.outcome is LookupOutcome.FAILURE:
            status = 404
        form.code.data = ""
    elif form.is_submitted():
        status = 422
    response = Response(
        render_template(
            "oversight/owner_lookup.html",
            form=form,
            result=result,
            minutes=int(FAILURE_WINDOW.total_seconds() // 60),
        ),
        status=status,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
