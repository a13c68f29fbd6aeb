"""What every HTTP route of our channels checks before it does anything: the token, how
often the client's address came, the body's size, and the shape of a text turn.

* :func:`token_matches`: constant-time comparison on UTF-8 bytes (a non-ASCII token is a
  wrong token, never a 500);
* :func:`bearer_token`: ``Authorization: Bearer …``; ``?token=`` only where a client
  cannot set a header (a browser's WebSocket, a page's address);
* :class:`AddressRate`: how often one client address may do something (a turn, a
  call's ticket: the web page's routes are open to patients, like the phone line), a
  sliding window per address: ``limit`` uses per ``window`` seconds. Memory stays
  bounded: addresses whose window has passed are forgotten, and at most
  ``max_addresses`` are kept;
* :func:`read_body`: for routes declared with ``stream=True`` (Sanic then calls them
  before reading the body), reads the body after the token was checked and refuses it
  past ``limit`` bytes without buffering more;
* :func:`read_text_turn`: ``{"sender": "…", "message": "…"}`` read and checked, or a
  4xx answer saying what is wrong.
"""
from __future__ import annotations

import hmac
import json
import threading
import time
from collections import OrderedDict, deque
from typing import Any, Callable, Deque, Dict, Optional, Tuple, Union

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
MAX_TEXT_BODY_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """The request's body is larger than the route accepts."""


def token_matches(given: Optional[str], expected: Optional[str]) -> bool:
    if not expected or given is None:
        return False
    return hmac.compare_digest(str(given).encode("utf-8", "surrogatepass"),
                               str(expected).encode("utf-8", "surrogatepass"))


def bearer_token(request: Request, allow_query: bool = False) -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:]
    if allow_query:
        return request.args.get("token")
    return None


class AddressRate:
    def __init__(self, limit: int, window: float, *, max_addresses: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.limit = limit
        self.window = window
        self._max_addresses = max_addresses
        self._clock = clock
        self._seen: "OrderedDict[str, Deque[float]]" = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        """Count one use by ``address``; False when it has used its ``limit`` already."""
        now = self._clock()
        with self._lock:
            uses = self._seen.pop(address, None) or deque()
            while uses and uses[0] <= now - self.window:
                uses.popleft()
            allowed = len(uses) < self.limit
            if allowed:
                uses.append(now)
            self._seen[address] = uses  # most recent last
            while len(self._seen) > self._max_addresses:
                self._seen.popitem(last=False)
            return allowed


def client_address(request: Request) -> str:
    """The address a request comes from, as the limits per address count it."""
    return request.remote_addr or request.ip or ""


async def read_body(request: Request, limit: int) -> bytes:
    """The body of a ``stream=True`` route, at most ``limit`` bytes (else BodyTooLarge)."""
    declared = request.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    if request.stream is None:  # not a streaming route: Sanic has read it already
        body = request.body or b""
        if len(body) > limit:
            raise BodyTooLarge()
        return body
    chunks, size = [], 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    request.body = b"".join(chunks)
    return request.body


def error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


def retry_later(status: int, reason: str, seconds: int) -> HTTPResponse:
    """A refusal the client may retry (429, 503), with when in ``Retry-After``."""
    answer = error(status, reason)
    answer.headers["Retry-After"] = str(seconds)
    return answer


def json_object(body: bytes) -> Optional[Dict[str, Any]]:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


async def read_text_turn(request: Request) -> Union[Tuple[str, str], HTTPResponse]:
    """(sender, message) of a ``stream=True`` route's JSON body, or the 4xx answer."""
    try:
        body = await read_body(request, MAX_TEXT_BODY_BYTES)
    except BodyTooLarge:
        return error(413, f"body is larger than {MAX_TEXT_BODY_BYTES} bytes")
    return text_turn(json_object(body))


def text_turn(payload: Optional[Dict[str, Any]]) -> Union[Tuple[str, str], HTTPResponse]:
    """(sender, message) of a REST-style turn, or the 4xx answer explaining what is wrong."""
    if payload is None:
        return error(400, "body must be a JSON object")
    sender, text = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not sender.strip():
        return error(400, "'sender' must be a non-empty string")
    if len(sender) > MAX_SENDER_CHARS:
        return error(400, f"'sender' is longer than {MAX_SENDER_CHARS} characters")
    if not isinstance(text, str):
        return error(400, "'message' must be a string")
    if len(text) > MAX_MESSAGE_CHARS:
        return error(413, "'message' is too long")
    return sender, text
