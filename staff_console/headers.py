"""The security headers of every console answer (pages, files, the API and its errors).

The pages load their script and style from ``/staff/static/`` only (no inline code, no
inline style, no CDN), so the Content-Security-Policy allows nothing else: no framing,
no form sent elsewhere, no connection to another site. Answers that can hold names,
patient IDs or transcripts (everything but the static files) are never cached.
"""
from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
))
EVERY_ANSWER = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
STATIC_PREFIX = "/staff/static/"


def secure(path: str, headers) -> None:
    """Add the headers to an answer for ``path`` (a Sanic response middleware's work)."""
    for name, value in EVERY_ANSWER.items():
        headers[name] = value
    if not path.startswith(STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"
