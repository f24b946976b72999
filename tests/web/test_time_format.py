"""Times read the same in every language and on every page: 2026-11-26 14:08 (local time)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import force_locale

from custody.i18n import local_time


def test_times_are_unambiguous_and_the_same_in_chinese_and_english(app):
    moment = datetime(2026, 11, 26, 6, 8, 20, tzinfo=UTC)  # 14:08:20 in Shanghai
    with app.test_request_context():
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                assert local_time(moment, "short") == "2026-11-26 14:08"
                assert local_time(moment) == "2026-11-26 14:08"  # screens show no stray seconds
                assert local_time(moment, "medium") == "2026-11-26 14:08:20"
                assert local_time(None) == "—"


def test_times_are_written_exactly_as_babel_writes_the_two_patterns(app):
    """local_time writes the two digit-only patterns itself (issue 15): the same text as Babel's
    formatter, naive moments read as UTC, across a day boundary, an early year and a leap day."""
    from flask_babel import format_datetime

    from custody.i18n import TIME_PATTERNS

    moments = [
        datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC),  # 00:00 on New Year's Day in Shanghai
        datetime(2028, 2, 28, 23, 59, 59),  # naive: UTC
        datetime(987, 6, 5, 4, 3, 2, tzinfo=UTC),
        datetime(2026, 3, 8, 1, 2, 3, 999999, tzinfo=UTC),
    ]
    with app.test_request_context():
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                for moment in moments:
                    for fmt, pattern in TIME_PATTERNS.items():
                        assert local_time(moment, fmt) == format_datetime(moment, pattern)


def test_a_plain_date_is_still_written_by_babel(app):
    from datetime import date

    from flask_babel import format_datetime

    with app.test_request_context():
        assert local_time(date(2026, 1, 2)) == format_datetime(date(2026, 1, 2), "yyyy-MM-dd HH:mm")


def test_template_strings_keep_jinjas_keywords_and_render_outside_a_request(app):
    """The page's own gettext takes any keyword a translation names (``context``, ``message`` too),
    and a template without strings to translate still renders without a request."""
    from flask import render_template_string

    with app.test_request_context():
        page = render_template_string('{{ _("In %(context)s: %(message)s", context="<b>", message="m") }}')
        assert page == "In &lt;b&gt;: m"  # escaped under autoescape, as Jinja's own gettext does
    with app.app_context():
        assert render_template_string("plain {{ 1 + 1 }}") == "plain 2"


def test_record_pages_show_times_without_seconds(app):
    import re
    from datetime import timedelta

    from custody.domain import clock as app_clock
    from custody.domain.lifecycle import CheckoutPurpose
    from custody.extensions import db
    from custody.services import checkouts

    from ..factories import act, stored_items
    from .ui import client_for, text

    case, [item] = stored_items(1)
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=[item.id],
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=checkouts.CounterpartyInput(name="某鉴定中心"),
        due_at=app_clock.now() + timedelta(days=3),
    )
    db.session.commit()
    page = text(client_for(app, "police_officer").get(f"/checkouts/{checkout.id}"))
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", page)
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", page)


def test_download_file_names_carry_the_beijing_date(app, clock):
    """At 01:30 in Beijing (17:30 UTC the day before) a download is named for the Beijing day."""
    from datetime import timedelta

    from .ui import client_for

    now = clock.now().astimezone(UTC)
    late = now.replace(hour=17, minute=30, second=0, microsecond=0)
    if late <= now:
        late += timedelta(days=1)
    clock.advance(late - now)
    beijing_day = (late + timedelta(hours=8)).date()
    assert beijing_day != late.date()
    client = client_for(app, "police_approver")
    export = client.get("/oversight/ledger/export?format=csv&scope=centre", buffered=True)
    assert export.status_code == 200
    disposition = export.headers["Content-Disposition"]
    assert f"ledger-centre-{beijing_day:%Y%m%d}.csv" in disposition
    assert f"{late.date():%Y%m%d}" not in disposition
