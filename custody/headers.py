"""Security headers on every response [DESIGN, issue 14].

- ``Content-Security-Policy``: scripts, styles, images and fonts only from this server, no inline
  script or style (the templates carry none: behaviour lives in ``static/js``), no plugins, forms
  post only here, and no other site may frame a page (``frame-ancestors 'none'`` — clickjacking).
  The API documentation page (Swagger UI, a vendored JavaScript app) is the one page allowed inline
  *styles*, which Swagger UI writes; its script is still only the vendored files.
- ``X-Content-Type-Options: nosniff``: a download is never run as something else.
- ``Referrer-Policy: same-origin``: addresses (they carry case and item ids) never leak to other
  sites, while Flask-WTF's HTTPS referrer check still sees our own.
- ``Cache-Control: no-store`` on everything but the static assets: pages, API answers and
  downloads carry personal data and must not stay in a shared or browser cache.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Swagger UI sets inline styles; everything else about it stays as strict.
CSP_API_DOCS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

# Endpoints that serve the vendored, non-personal assets (cacheable).
STATIC_ENDPOINTS = frozenset({"static", "api_docs_assets.swagger_asset"})


def security_headers(response: Response) -> Response:
    headers = response.headers
    docs = request.path == "/api/v1/docs" or request.path.startswith("/api/v1/docs/")
    headers.setdefault("Content-Security-Policy", CSP_API_DOCS if docs else CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # for browsers without frame-ancestors
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint not in STATIC_ENDPOINTS and request.path != "/favicon.ico":
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(security_headers)
