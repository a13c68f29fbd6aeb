"""The text-to-speech engines by name, and the cached engine a channel's settings ask for.

``create_synthesizer("espeak")`` (the default, light, local) or
``create_synthesizer("coqui", url=...)`` (HTTP client to a separate Coqui TTS server);
``synthesizer_from_config({...})`` does the same from a mapping such as a
``credentials.yml`` section and wraps the engine in an LRU cache by default.
Engine modules are imported only when their engine is asked for.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

from voice_channel.tts.base import SpeechSynthesizer
from voice_channel.tts.cache import CachedSynthesizer

DEFAULT_ENGINE = "espeak"


class UnknownEngineError(ValueError):
    """No engine is registered under that name."""


EngineFactory = Callable[..., SpeechSynthesizer]

_ENGINES: Dict[str, Union[str, EngineFactory]] = {
    "espeak": "voice_channel.tts.espeak:EspeakSynthesizer",
    "coqui": "voice_channel.tts.coqui:CoquiHttpSynthesizer",
}


def available_engines() -> Tuple[str, ...]:
    return tuple(sorted(_ENGINES))


def _resolve(name: str) -> EngineFactory:
    key = (name or DEFAULT_ENGINE).strip().lower()
    try:
        target = _ENGINES[key]
    except KeyError:
        raise UnknownEngineError(
            f"unknown text-to-speech engine {name!r}; known: {', '.join(available_engines())}"
        ) from None
    if isinstance(target, str):
        module, attribute = target.split(":")
        target = getattr(importlib.import_module(module), attribute)
    return target


def create_synthesizer(name: Optional[str] = None, **options: Any) -> SpeechSynthesizer:
    """The engine registered as ``name`` (default "espeak"), built with ``options``."""
    factory = _resolve(name or DEFAULT_ENGINE)
    try:
        return factory(**options)
    except TypeError as error:
        raise ValueError(f"invalid options for text-to-speech engine {name!r}: {error}") from error


def synthesizer_from_config(config: Optional[Mapping[str, Any]] = None) -> SpeechSynthesizer:
    """From a mapping such as a ``credentials.yml`` section::

        engine: espeak          # or coqui; default espeak
        voice: fr               # any other key is an option of the engine
        cache:                  # true (default), false, or the bounds:
          max_entries: 256
          max_bytes: 33554432

    The engine is wrapped in a ``CachedSynthesizer`` unless ``cache: false``.
    """
    options = dict(config or {})
    engine = options.pop("engine", None) or DEFAULT_ENGINE
    cache = options.pop("cache", True)
    synthesizer = create_synthesizer(engine, **options)
    if cache is False or cache is None:
        return synthesizer
    bounds = dict(cache) if isinstance(cache, Mapping) else {}
    return CachedSynthesizer(synthesizer, **bounds)
