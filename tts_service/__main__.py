"""``python -m tts_service``: load a Coqui model once, then serve it over HTTP.

Run it with ``.venv-tts/bin/python`` (``scripts/setup_tts_venv.sh`` creates it).
Every option can also come from the environment, so that ``make`` and a
Procfile can set them without rewriting the command line::

    --model      COQUI_TTS_MODEL   a Coqui model name, downloaded on first use
                                   (default tts_models/fr/css10/vits), or a
                                   directory with config.json and a .pth checkpoint
    --checkpoint / --config        a checkpoint file and its config.json, if the
                                   directory layout does not fit
    --host       COQUI_TTS_HOST    default 127.0.0.1 (only this machine)
    --port       COQUI_TTS_PORT    default 5002; 0 picks a free port
    --max-chars  COQUI_TTS_MAX_CHARS  longest text accepted, default 5000

Once listening it logs ``listening on http://HOST:PORT`` (with the real port
when 0 was asked), which scripts and tests wait for.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import List, Optional

from tts_service.server import DEFAULT_MAX_CHARS, SpeechServer
from tts_service.voice import CoquiVoice, ModelSource

DEFAULT_MODEL = "tts_models/fr/css10/vits"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5002

logger = logging.getLogger("tts_service")


def parse_arguments(argv: Optional[List[str]] = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m tts_service",
        description="Coqui TTS server for the voice channel: POST /synthesize, GET /health.",
    )
    parser.add_argument(
        "--model", default=env("COQUI_TTS_MODEL", DEFAULT_MODEL),
        help="Coqui model name (downloaded on first use) or local model directory (default: %(default)s)",
    )
    parser.add_argument("--checkpoint", type=Path, help="model checkpoint file (.pth); needs --config")
    parser.add_argument("--config", type=Path, help="the checkpoint's config.json")
    parser.add_argument("--host", default=env("COQUI_TTS_HOST", DEFAULT_HOST), help="default: %(default)s")
    parser.add_argument(
        "--port", type=int, default=env("COQUI_TTS_PORT", str(DEFAULT_PORT)),
        help="default: %(default)s; 0 picks a free port",
    )
    parser.add_argument(
        "--max-chars", type=int, default=env("COQUI_TTS_MAX_CHARS", str(DEFAULT_MAX_CHARS)),
        help="longest text accepted (default: %(default)s)",
    )
    parser.add_argument(
        "--log-level", default=env("COQUI_TTS_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper,
    )
    arguments = parser.parse_args(argv)
    if (arguments.checkpoint is None) != (arguments.config is None):
        parser.error("--checkpoint and --config go together")
    if not 0 <= arguments.port <= 65535:
        parser.error(f"invalid port: {arguments.port}")
    if arguments.max_chars < 1:
        parser.error("--max-chars must be at least 1")
    return arguments


def model_source(arguments: argparse.Namespace) -> ModelSource:
    if arguments.checkpoint is not None:
        for path in (arguments.checkpoint, arguments.config):
            if not path.is_file():
                raise ValueError(f"no such file: {path}")
        return ModelSource(checkpoint=arguments.checkpoint, config=arguments.config)
    return ModelSource.from_argument(arguments.model)


def main(argv: Optional[List[str]] = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        level=arguments.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        source = model_source(arguments)
        logger.info("loading %s", source.describe())
        voice = CoquiVoice.load(source)
    except Exception as error:  # noqa: BLE001 - any load failure ends the program with its reason
        logger.error("cannot load the model %s: %s: %s", arguments.model, type(error).__name__, error)
        return 1
    logger.info(
        "model ready: %d Hz, speakers: %s, languages: %s",
        voice.sample_rate, voice.speakers or "one", ", ".join(voice.languages),
    )
    try:
        server = SpeechServer((arguments.host, arguments.port), voice, max_chars=arguments.max_chars)
    except OSError as error:
        logger.error("cannot listen on %s:%s: %s", arguments.host, arguments.port, error)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logger.info("listening on %s", server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        logger.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
