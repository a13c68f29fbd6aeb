"""``python -m embedded_duckling``: run the embedded Duckling HTTP server."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import List, Optional

from embedded_duckling.params import DEFAULT_MAX_TEXT_CHARS, DEFAULT_TZ
from embedded_duckling.parsing import EngineError  # also starts the Haskell runtime
from embedded_duckling.server import ServerConfig, logger, serve


def port(value: str) -> int:
    """A TCP port number (0 lets the OS choose)."""
    number = int(value)
    if not 0 <= number <= 65535:
        raise ValueError(value)
    return number


def positive_int(value: str) -> int:
    """An integer >= 1."""
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _arguments(argv: Optional[List[str]]) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m embedded_duckling",
        description="Duckling's HTTP API (GET /, POST /parse) backed by the native library.",
    )
    parser.add_argument("--host", default=env("DUCKLING_HOST", "127.0.0.1"),
                        help="bind address (env DUCKLING_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=port, default=env("DUCKLING_PORT", "8000"),
                        help="TCP port, 0 = any free port (env DUCKLING_PORT, default 8000)")
    parser.add_argument("--max-text-chars", type=positive_int,
                        default=env("DUCKLING_MAX_TEXT_CHARS", str(DEFAULT_MAX_TEXT_CHARS)),
                        help="longer texts get HTTP 413 (env DUCKLING_MAX_TEXT_CHARS, "
                             f"default {DEFAULT_MAX_TEXT_CHARS})")
    parser.add_argument("--default-tz", default=env("DUCKLING_DEFAULT_TZ", DEFAULT_TZ),
                        help="tz used when a request has none (env DUCKLING_DEFAULT_TZ, "
                             f"default {DEFAULT_TZ} like upstream Duckling)")
    parser.add_argument("--zoneinfo", default=env("DUCKLING_ZONEINFO", "/usr/share/zoneinfo"),
                        help="IANA tz database directory (env DUCKLING_ZONEINFO)")
    parser.add_argument("--log-level", default=env("DUCKLING_LOG_LEVEL", "INFO"),
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper,
                        help="DEBUG adds one line per request (env DUCKLING_LOG_LEVEL)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the command line, serve until SIGINT/SIGTERM, return the exit code."""
    args = _arguments(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = ServerConfig(
        host=args.host,
        port=args.port,
        max_text_chars=args.max_text_chars,
        default_tz=args.default_tz,
        zoneinfo_dir=args.zoneinfo,
    )
    try:
        asyncio.run(serve(config))
    except (EngineError, ValueError, OSError) as exc:
        logger.error("cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
