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
                assert local_time(moment) == "2026-11-26 14:08:20"
                assert local_time(None) == "—"
