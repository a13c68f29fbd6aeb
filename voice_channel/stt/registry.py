"""Pick a speech-to-text engine by name, importing its heavy libraries only when chosen.

    recognizer = get_recognizer()            # STT_ENGINE, default "whisper"
    recognizer = get_recognizer("vosk", model="/srv/vosk-model-small-fr-0.22")

A missing library raises :class:`EngineUnavailable` saying what to install; models are
loaded once per process (see ``base.load_model_once``), on ``load()`` or first use.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from voice_channel.settings import environment
from voice_channel.stt.base import SpeechRecognizer

DEFAULT_ENGINE = "whisper"


@dataclass(frozen=True)
class EngineSpec:
    module: str
    cls: str
    requires: Tuple[str, ...]
    install: str


ENGINES: Dict[str, EngineSpec] = {
    "whisper": EngineSpec(
        "voice_channel.stt.whisper", "WhisperRecognizer", ("faster_whisper", "ctranslate2", "onnxruntime"),
        "pip install faster-whisper==1.2.1 onnxruntime==1.23.2, then "
        "python scripts/fetch_whisper_base.py (or set WHISPER_MODEL)",
    ),
    "vosk": EngineSpec(
        "voice_channel.stt.vosk", "VoskRecognizer", ("vosk",),
        "pip install vosk==0.3.45 and set VOSK_MODEL_PATH to a Vosk model directory",
    ),
}


class UnknownEngine(ValueError):
    pass


class EngineUnavailable(RuntimeError):
    """The engine's libraries are not installed (the message says what to install)."""


def engine_name(name: Optional[str] = None) -> str:
    chosen = (name or environment().stt_engine or DEFAULT_ENGINE).strip().lower()
    if chosen not in ENGINES:
        raise UnknownEngine(f"unknown speech engine {chosen!r}; choose one of {', '.join(ENGINES)}")
    return chosen


def missing_libraries(name: str) -> Tuple[str, ...]:
    return tuple(m for m in ENGINES[name].requires if importlib.util.find_spec(m) is None)


def available_engines() -> Dict[str, bool]:
    """Each engine and whether its libraries are installed."""
    return {name: not missing_libraries(name) for name in ENGINES}


def get_recognizer(name: Optional[str] = None, **options: Any) -> SpeechRecognizer:
    """A recognizer for engine ``name`` (``STT_ENGINE``, default whisper).

    ``options`` go to the engine's constructor (``model=…`` and engine settings).
    """
    chosen = engine_name(name)
    spec = ENGINES[chosen]
    missing = missing_libraries(chosen)
    if missing:
        raise EngineUnavailable(
            f"speech engine {chosen!r} needs {', '.join(missing)}: {spec.install}"
        )
    module = importlib.import_module(spec.module)
    return getattr(module, spec.cls)(**options)
