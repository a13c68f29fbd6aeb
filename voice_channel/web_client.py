"""The browser client's files (``voice_channel/web/``), as HTTP responses.

Plain static HTML, CSS and JavaScript modules: no build step, nothing fetched from
another site. Only the files listed in ``WEB_FILES`` are served, so no part of a URL
ever reaches the file system.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Dict, Optional, Tuple

from sanic import response
from sanic.response import HTTPResponse

WEB_DIR = Path(__file__).with_name("web")
PAGE = "client.html"

_HTML = "text/html; charset=utf-8"
_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"
WEB_FILES: Dict[str, str] = {
    PAGE: _HTML,
    "client.css": _CSS,
    "client.js": _JS,
    "api.js": _JS,
    "call.js": _JS,
    "player.js": _JS,
    "recorder.js": _JS,
    "recorder-worklet.js": _JS,
    "resample.js": _JS,
    "wav.js": _JS,
}

# Same-origin everything: the page talks only to this channel. `blob:` is for the
# replies' speech; `form-action 'none'` because the text box is sent by script.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "media-src 'self' blob:; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

COMMON_HEADERS = {
    # Revalidate on every load (cheap with the ETag): a new deployment is picked up at
    # once, and a page and its modules never come from two different versions.
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    # The page may be opened with ?token=…: never pass its address on.
    "Referrer-Policy": "no-referrer",
}


@functools.lru_cache(maxsize=None)
def _load(name: str) -> Tuple[bytes, str]:
    """The file's bytes and their ETag, read once per process."""
    body = (WEB_DIR / name).read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def web_file_response(name: str, if_none_match: Optional[str] = None) -> Optional[HTTPResponse]:
    """The response for one of ``WEB_FILES``, or None for any other name."""
    content_type = WEB_FILES.get(name)
    if content_type is None:
        return None
    body, etag = _load(name)
    headers = {**COMMON_HEADERS, "ETag": etag}
    if content_type == _HTML:
        headers["Content-Security-Policy"] = PAGE_POLICY
        headers["Permissions-Policy"] = "microphone=(self)"
    if if_none_match == etag:
        return response.empty(status=304, headers=headers)
    return response.raw(body, content_type=content_type, headers=headers)
