"""The HTTP side of the Coqui TTS server: the contract of ``voice_channel/tts/coqui.py``.

``POST /synthesize`` with ``{"text": "...", "speaker"?: "...", "language"?: "fr"}``
answers ``200 audio/wav`` (PCM 16-bit mono at the model's rate). Anything the
caller got wrong answers a JSON ``{"error": "..."}``: ``400`` for a text that is
missing, empty, has no letter or digit, is longer than ``max_chars`` or cannot
be pronounced by the model, and for a speaker or language the model does not
have; ``413`` for a body over ``MAX_BODY_BYTES``; ``404``/``405`` for other
routes and methods. A failure inside the model answers ``500`` and the server
goes on serving. ``GET /health`` describes the loaded model.

The standard library's threading server is enough: requests come from one
voice channel, synthesis runs one at a time anyway (see ``CoquiVoice``), and
threads keep ``/health`` answering while a long sentence is being spoken.

Logs carry one line per request (method, route, status, text length, audio
length, time) and never the text, which may be patient data: not in our lines,
not in the request line (the query string is dropped), not in error messages.
"""
from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

from tts_service.voice import CoquiVoice, RequestRejected

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 5000
"""Same as the client's default, so that whatever the client sends is accepted."""

MAX_BODY_BYTES = 1024 * 1024
SOCKET_TIMEOUT_SECONDS = 30
"""A client that stops sending mid-request frees its thread after this long."""

WAV_CONTENT_TYPE = "audio/wav"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class BadRequest(Exception):
    """The request is refused with ``status`` and ``message`` (never the text).

    ``text_length`` is there for the log, when the body had a text at all.
    """

    def __init__(self, status: int, message: str, text_length: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.text_length = text_length


def parse_speech_request(body: bytes, max_chars: int) -> Tuple[str, Optional[str], Optional[str]]:
    """(text, speaker, language) from a ``/synthesize`` body, or ``BadRequest``."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(400, "the body must be JSON (UTF-8): {\"text\": \"...\"}") from None
    if not isinstance(payload, dict):
        raise BadRequest(400, "the body must be a JSON object: {\"text\": \"...\"}")
    text = payload.get("text")
    if not isinstance(text, str):
        raise BadRequest(400, "'text' is required and must be a string")
    length = len(text)
    if length > max_chars:
        raise BadRequest(400, f"text too long: {length} characters, at most {max_chars}", length)
    if not text.strip():
        raise BadRequest(400, "text is empty", length)
    if not any(char.isalnum() for char in text):
        raise BadRequest(400, "nothing to say: the text has no letter or digit", length)
    options = []
    for key in ("speaker", "language"):
        value = payload.get(key)
        if value is not None and not isinstance(value, str):
            raise BadRequest(400, f"'{key}' must be a string", length)
        options.append(value or None)
    return text, options[0], options[1]


class SpeechRequestHandler(BaseHTTPRequestHandler):
    """Routes of one connection; ``self.server`` is a ``SpeechServer``."""

    server: "SpeechServer"
    server_version = "allo-clinique-coqui-tts"
    timeout = SOCKET_TIMEOUT_SECONDS

    # -- routes ------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        if self._route() in ("/health", "/"):
            return self._send_json(200, self.server.describe())
        self._refuse_route()

    def do_POST(self) -> None:  # noqa: N802
        if self._route() != "/synthesize":
            return self._refuse_route()
        started = time.perf_counter()
        text_length: Optional[int] = None
        try:
            text, speaker, language = parse_speech_request(self._read_body(), self.server.max_chars)
            text_length = len(text)
            speech = self.server.voice.synthesize(text, speaker=speaker, language=language)
        except BadRequest as refusal:
            return self._send_json(
                refusal.status, {"error": refusal.message}, text_length=refusal.text_length
            )
        except RequestRejected as refusal:
            return self._send_json(400, {"error": str(refusal)}, text_length=text_length)
        except Exception as error:  # noqa: BLE001 - one failed sentence must not stop the server
            # The message of an exception raised inside the model may quote the
            # text: log its type and where it came from, not what it says.
            frame = traceback.extract_tb(error.__traceback__)[-1]
            logger.error(
                "synthesis failed (%s characters): %s at %s:%d",
                text_length, type(error).__name__, frame.filename, frame.lineno,
            )
            message = f"synthesis failed ({type(error).__name__})"
            return self._send_json(500, {"error": message}, text_length=text_length)
        self._send(
            200, WAV_CONTENT_TYPE, speech.wav,
            text_length=text_length, audio_seconds=speech.seconds, started=started,
        )

    def do_PUT(self) -> None:  # noqa: N802
        self._refuse_route()

    do_DELETE = do_PATCH = do_PUT  # noqa: N815

    def _route(self) -> str:
        return urlsplit(self.path).path.rstrip("/") or "/"

    def _refuse_route(self) -> None:
        route = self._route()
        if route in ("/health", "/", "/synthesize"):
            allowed = "POST" if route == "/synthesize" else "GET"
            return self._send_json(405, {"error": f"use {allowed} on {route}"}, headers={"Allow": allowed})
        self._send_json(404, {"error": "not found: the routes are POST /synthesize and GET /health"})

    # -- body --------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            raise BadRequest(411, "send the body with a Content-Length, not chunked")
        declared = self.headers.get("Content-Length")
        if declared is None:
            raise BadRequest(411, "Content-Length is required")
        try:
            length = int(declared)
        except ValueError:
            raise BadRequest(400, "invalid Content-Length") from None
        if length < 0:
            raise BadRequest(400, "invalid Content-Length")
        if length > MAX_BODY_BYTES:
            raise BadRequest(413, f"body too large: at most {MAX_BODY_BYTES} bytes")
        body = self.rfile.read(length)
        if len(body) < length:
            raise BadRequest(400, "the body is shorter than its Content-Length")
        return body

    # -- replies -----------------------------------------------------------------------

    def _send_json(self, status: int, payload: Dict[str, Any], **details: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, JSON_CONTENT_TYPE, body, **details)

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        *,
        headers: Optional[Dict[str, str]] = None,
        text_length: Optional[int] = None,
        audio_seconds: Optional[float] = None,
        started: Optional[float] = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            logger.info("client hung up before the reply was sent")
        details = [f"status={status}"]
        if text_length is not None:
            details.append(f"chars={text_length}")
        if audio_seconds is not None:
            details.append(f"audio={audio_seconds:.2f}s")
        if started is not None:
            details.append(f"took={time.perf_counter() - started:.2f}s")
        logger.info("%s %s %s", self.command, self._route()[:80], " ".join(details))

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """Malformed requests (bad request line, headers) get JSON too, like every other error.

        ``http.server`` calls this before any route runs; its own message may
        quote the request line, so the reply gives only the status phrase.
        """
        self.close_connection = True
        # An unparsable request line leaves http.server assuming HTTP/0.9, which
        # has no status line or headers; no real client speaks it, so answer in 1.0.
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        body = json.dumps({"error": phrase}).encode("utf-8")
        try:
            self.send_response_only(code)
            self.send_header("Content-Type", JSON_CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
        except OSError:
            pass
        logger.info("malformed request: status=%d", code)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        """Silenced: ``_send`` logs each request once, without its query string."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        """http.server's remaining messages (a client timing out): the template only,
        since the values filled into such messages may quote the request."""
        logger.info("http.server: %s", format)


class SpeechServer(ThreadingHTTPServer):
    """A threading HTTP server holding the one ``CoquiVoice`` all requests share."""

    daemon_threads = True

    def __init__(
        self, address: Tuple[str, int], voice: CoquiVoice, max_chars: int = DEFAULT_MAX_CHARS
    ) -> None:
        if max_chars < 1:
            raise ValueError("max_chars must be at least 1")
        self.voice = voice
        self.max_chars = max_chars
        super().__init__(address, SpeechRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def describe(self) -> Dict[str, Any]:
        """The ``GET /health`` reply: enough for a client to know what to send."""
        return {
            "status": "ok",
            "model": self.voice.description,
            "sample_rate": self.voice.sample_rate,
            "speakers": self.voice.speakers,
            "languages": self.voice.languages,
            "max_chars": self.max_chars,
        }

    def handle_error(self, request: Any, client_address: Any) -> None:
        """An error outside the routes (a connection broken mid-request): log its type, keep serving."""
        error = sys.exc_info()[1]
        logger.warning("connection from %s failed: %s", client_address[0], type(error).__name__)
