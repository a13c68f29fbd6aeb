"""aiohttp server speaking Duckling's HTTP API (``GET /`` and ``POST /parse``).

Logs carry only methods, routes, statuses, lengths and timings: never the text.
"""
from __future__ import annotations

import asyncio
import codecs
import json
import logging
import signal
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, FrozenSet, List, Protocol, Sequence
from urllib.parse import parse_qsl

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

from embedded_duckling.params import (
    DEFAULT_MAX_TEXT_CHARS,
    DEFAULT_TZ,
    BadInput,
    Limits,
    ParseQuery,
    QueryValidator,
)

logger = logging.getLogger("embedded_duckling")

FORM_TYPE = "application/x-www-form-urlencoded"
_MAX_FORM_FIELDS = 64
# Worst case per character: 4 UTF-8 bytes, each percent-encoded as "%XX".
_BYTES_PER_CHAR = 12
_BODY_SLACK = 64 * 1024


class Engine(Protocol):
    """What the HTTP layer needs from :class:`~embedded_duckling.parsing.DucklingEngine`."""

    timezones: FrozenSet[str]
    languages: FrozenSet[str]
    dimensions: Sequence[str]

    def parse(self, query: ParseQuery) -> List[Dict[str, Any]]:
        """Entities for ``query`` (blocking)."""


_ENGINE = web.AppKey("engine", Engine)
_VALIDATOR = web.AppKey("validator", QueryValidator)
_EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ServerConfig:
    """Run-time settings (see ``python -m embedded_duckling --help``)."""

    host: str = "127.0.0.1"
    port: int = 8000
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    default_tz: str = DEFAULT_TZ
    zoneinfo_dir: str = "/usr/share/zoneinfo"


def _plain(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason + "\n", content_type="text/plain")


def _route_name(request: web.Request) -> str:
    """The matched route, never the raw path (clients may put text in it)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "<unmatched>"


@web.middleware
async def _errors_and_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn any failure into a plain-text response and log one debug line."""
    started = time.perf_counter()
    try:
        response = await handler(request)
    except BadInput as exc:
        response = _plain(exc.status, exc.reason)
    except ConnectionError:  # the client went away mid-request; nobody will read this
        response = _plain(400, "incomplete request")
    except web.HTTPException as exc:  # 404/405/413 raised by aiohttp itself
        _log_request(request, exc.status, started)
        raise
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - incl. pyo3's PanicException; keep serving
        # Frames only: an exception message could quote the client's text.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        name = type(exc).__name__
        logger.error("internal error on %s: %s\n%s", _route_name(request), name, frames)
        response = _plain(500, "internal error")
    _log_request(request, response.status, started)
    return response


class _RedactAiohttpErrors(logging.Filter):
    """aiohttp logs a malformed request with its offending bytes: keep the type only."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return True
        message = f"{record.getMessage()}: {type(exc).__name__}"
        record.msg, record.args, record.exc_info, record.exc_text = message, (), None, None
        if isinstance(exc, HttpProcessingError):  # a client error, not a server one
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
            return logger.isEnabledFor(logging.DEBUG)
        return True


def _log_request(request: web.Request, status: int, started: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %d (text_chars=%s entities=%s %.1f ms)",
            request.method,
            _route_name(request),
            status,
            request.get("text_chars", "-"),
            request.get("entities", "-"),
            (time.perf_counter() - started) * 1000,
        )


async def _read_form(request: web.Request) -> Dict[str, str]:
    """Decode an url-encoded body strictly (aiohttp's ``post()`` 500s on bad UTF-8)."""
    content_type = request.headers.get(hdrs.CONTENT_TYPE, "")
    if content_type and request.content_type != FORM_TYPE:
        raise BadInput(f"unsupported Content-Type: send {FORM_TYPE}", 415)
    body = await request.read()
    charset = request.charset or "utf-8"
    try:
        decoded = body.decode(charset)
        pairs = parse_qsl(
            decoded, keep_blank_values=True, encoding=charset, errors="strict",
            max_num_fields=_MAX_FORM_FIELDS,
        )
    except LookupError:  # unknown codec, or not a text codec (e.g. "rot13")
        raise BadInput(f"unsupported charset {charset[:40]!r}", 415) from None
    except UnicodeError:
        raise BadInput(f"request body is not valid {codecs.lookup(charset).name}") from None
    except ValueError:
        raise BadInput(f"too many form fields (limit {_MAX_FORM_FIELDS})") from None
    fields: Dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise BadInput(f"parameter {name[:40]!r} given more than once")
        fields[name] = value
    return fields


async def _quack(request: web.Request) -> web.Response:
    return web.Response(text="quack!", content_type="text/plain")


async def _parse(request: web.Request) -> web.Response:
    fields = await _read_form(request)
    if "text" in fields:
        request["text_chars"] = len(fields["text"])
    query = request.app[_VALIDATOR].validate(fields)
    loop = asyncio.get_running_loop()
    entities = await loop.run_in_executor(
        request.app[_EXECUTOR], request.app[_ENGINE].parse, query
    )
    request["entities"] = len(entities)
    return web.Response(
        text=json.dumps(entities, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json",
        charset="utf-8",
    )


def create_app(
    engine: Engine, config: ServerConfig, executor: ThreadPoolExecutor
) -> web.Application:
    """Build the application; ``executor`` runs every native call."""
    if config.default_tz not in engine.timezones:
        raise ValueError(f"unknown default tz {config.default_tz!r}")
    limits = Limits(
        languages=engine.languages,
        dimensions=engine.dimensions,
        timezones=engine.timezones,
        max_text_chars=config.max_text_chars,
        default_tz=config.default_tz,
    )
    app = web.Application(
        middlewares=[_errors_and_log],
        client_max_size=config.max_text_chars * _BYTES_PER_CHAR + _BODY_SLACK,
    )
    app[_ENGINE] = engine
    app[_VALIDATOR] = QueryValidator(limits)
    app[_EXECUTOR] = executor
    app.router.add_get("/", _quack)
    app.router.add_post("/parse", _parse)
    return app


def _display_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def serve(config: ServerConfig) -> None:
    """Serve until SIGINT/SIGTERM, then shut down cleanly."""
    from embedded_duckling.parsing import DucklingEngine  # loads the Haskell runtime

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Also replaces the handler the Haskell runtime installed for SIGINT.
        loop.add_signal_handler(signum, stop.set)
    # One thread: the wheel holds the GIL and uses GHC's non-threaded runtime.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="duckling")
    redact = _RedactAiohttpErrors()
    logging.getLogger("aiohttp.server").addFilter(redact)
    try:
        engine = await loop.run_in_executor(executor, DucklingEngine, config.zoneinfo_dir)
        runner = web.AppRunner(
            create_app(engine, config, executor), access_log=None, handle_signals=False
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, config.host, config.port).start()
            port = runner.addresses[0][1] if runner.addresses else config.port
            url = _display_url(config.host, port)
            logger.info("Duckling (embedded) listening on %s", url)
            await stop.wait()
        finally:
            await runner.cleanup()
    finally:
        executor.shutdown(wait=True)
        logging.getLogger("aiohttp.server").removeFilter(redact)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    logger.debug("Duckling (embedded) stopped")
