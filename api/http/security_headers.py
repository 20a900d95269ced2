"""Security headers on every response the API sends (issue #18, point 8).

- `X-Content-Type-Options: nosniff` everywhere: a browser takes a response for what its
  `Content-Type` says (a JSON error or an uploaded-looking file is never run as a script or page).
- `Referrer-Policy: no-referrer` everywhere: no URL of ours (a run id, a page) leaks to another site.
- On HTML (the runs page, the dashboard, `/docs`): a `Content-Security-Policy` that loads scripts,
  styles and data from this origin only (audio also from the page's own `blob:` URLs), runs no
  inline script, and lets no other site frame the page
  (`frame-ancestors 'none'`, with `X-Frame-Options: DENY` for browsers that predate it).

Set after every view, error handler included (Flask runs `after_request` for error responses too).
A response that already carries one of these headers keeps its own.
"""

from __future__ import annotations

from flask import Flask, Response

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Swagger UI draws its icons from `data:` images; everything else is this origin's own files.
PAGE_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    # The dashboard plays a recording it fetched with the token (never in a URL) from a `blob:` URL
    # it made itself; a page cannot make a blob: URL of another origin's bytes without connect-src.
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
PAGE_POLICY = "; ".join(PAGE_DIRECTIVES)
HTML_RESPONSES = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    """Add the headers to every response of `app`."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    headers = {**EVERY_RESPONSE, **(HTML_RESPONSES if response.mimetype == "text/html" else {})}
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response
