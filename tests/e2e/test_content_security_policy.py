"""The Content-Security-Policy in a real browser: an injected inline script does not run, and
Chromium reports the refusal as a console error — which is what the ``page`` fixture turns into a
test failure, so every browser journey also proves its pages work under the policy."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_an_injected_inline_script_is_blocked_and_reported(browser, live_server):
    context = browser.new_context(base_url=live_server)
    try:
        tab = context.new_page()
        console: list[str] = []
        tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        tab.goto("/login")
        ran = tab.evaluate("""() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            const div = document.createElement("div");
            div.innerHTML = '<img src="/static/favicon.svg" onload="window.handler = true">';
            document.body.appendChild(div);
            return new Promise((resolve) => setTimeout(() => resolve([!!window.injected, !!window.handler]), 300));
        }""")
        assert ran == [False, False]
        assert any(line.startswith("error:") and "Content Security Policy" in line for line in console), (
            console
        )
        # No other site may frame the app.
        assert "frame-ancestors 'none'" in tab.request.get("/login").headers["content-security-policy"]
    finally:
        context.close()
