"""One Coqui TTS model, loaded once at start, that turns French text into a WAV.

This is the only module of the server that imports coqui-tts (and so torch):
loading takes seconds and hundreds of MB, so it happens once, before the server
accepts connections, and every request reuses the same model.

Two things here are about what the caller may send, so that a bad request gets
a clear refusal (``RequestRejected``, HTTP 400) rather than a crash or noise:

- ``speaker`` and ``language`` are checked against the model. A single-voice
  model refuses a speaker; a single-language model accepts its own language
  ("fr" for a model trained on "fr-fr") and refuses any other.
- a text in which the model can pronounce no letter or digit (say, a script it
  was not trained on) is refused: the model would drop every character and
  answer with a short burst of noise.

Coqui logs the text it speaks (``Input: [...]`` at INFO, the whole sentence at
WARNING when a character is not in the model's alphabet). The text may be
patient data, so once the model is loaded coqui's loggers are limited to
errors; see ``silence_coqui_text_logging``.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from tts_service.wav import float_samples_to_wav

logger = logging.getLogger(__name__)

COQUI_LOGGERS = ("TTS", "trainer")
"""Top-level loggers of coqui-tts and its trainer package."""

CHECKPOINT_NAMES = ("model.pth", "model_file.pth", "best_model.pth", "checkpoint.pth")
"""Checkpoint file names looked for, in this order, in a local model directory."""


class RequestRejected(ValueError):
    """The request cannot be spoken by this model; the message tells the caller why."""


@dataclass(frozen=True)
class Speech:
    """A reply: the WAV file and how long it plays."""

    wav: bytes
    seconds: float


@dataclass(frozen=True)
class ModelSource:
    """Where the model comes from: a Coqui model name, or a checkpoint and its config.

    A name (``tts_models/fr/css10/vits``) is downloaded by coqui on first use,
    with its own progress display, into its user data directory, and reused
    afterwards.
    """

    name: Optional[str] = None
    checkpoint: Optional[Path] = None
    config: Optional[Path] = None

    def __post_init__(self) -> None:
        if bool(self.name) == bool(self.checkpoint):
            raise ValueError("give either a Coqui model name or a checkpoint, not both or neither")
        if self.checkpoint and not self.config:
            raise ValueError("a checkpoint needs its config.json")

    @classmethod
    def from_argument(cls, value: str) -> "ModelSource":
        """An existing directory is a local model (``config.json`` + checkpoint), anything
        else a Coqui model name."""
        path = Path(value).expanduser()
        if path.is_dir():
            checkpoint, config = find_checkpoint(path)
            return cls(checkpoint=checkpoint, config=config)
        return cls(name=value)

    def describe(self) -> str:
        return self.name or str(self.checkpoint)


def find_checkpoint(directory: Path) -> Tuple[Path, Path]:
    """(checkpoint, config) of a local model directory, or ``ValueError`` saying what is missing."""
    config = directory / "config.json"
    if not config.is_file():
        raise ValueError(f"{directory} has no config.json")
    for name in CHECKPOINT_NAMES:
        if (directory / name).is_file():
            return directory / name, config
    candidates = [p for p in sorted(directory.glob("*.pth")) if not p.name.startswith("speaker")]
    if len(candidates) == 1:
        return candidates[0], config
    found = ", ".join(path.name for path in candidates) or "none"
    raise ValueError(
        f"{directory}: cannot tell which .pth file is the model (found: {found}); "
        f"name it {CHECKPOINT_NAMES[0]} or pass --checkpoint and --config"
    )


def silence_coqui_text_logging() -> None:
    """Keep coqui's loggers to errors: below that, they write the synthesized text."""
    for name in COQUI_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def _primary_language(tag: str) -> str:
    """"fr" for "fr", "fr-fr", "fr_FR"."""
    return tag.replace("_", "-").split("-")[0].lower()


class CoquiVoice:
    """A loaded Coqui model: ``synthesize(text, speaker, language) -> WAV bytes``.

    Safe to call from several threads: calls run one at a time (a PyTorch model
    already uses every core for one sentence, and its modules are not meant to
    be run concurrently).
    """

    def __init__(self, api: "object", description: str) -> None:
        self._api = api
        self.description = description
        self._lock = threading.Lock()
        synthesizer = api.synthesizer
        self.sample_rate = int(synthesizer.output_sample_rate)
        self.speakers: Optional[List[str]] = (
            list(api.speakers) if api.is_multi_speaker else None
        )
        self.languages: List[str] = list(synthesizer.tts_model.language_manager.language_names)
        self.multilingual = bool(api.is_multi_lingual)

    @classmethod
    def load(cls, source: ModelSource) -> "CoquiVoice":
        """Load (and, for a name, download if needed) the model, on the CPU."""
        from TTS.api import TTS  # heavy: torch and the model code

        if source.name:
            api = TTS(model_name=source.name, progress_bar=True)
        else:
            api = TTS(
                model_path=str(source.checkpoint), config_path=str(source.config), progress_bar=False
            )
        if api.synthesizer is None:
            raise ValueError(f"{source.describe()} is not a text-to-speech model")
        silence_coqui_text_logging()
        return cls(api, source.describe())

    def coqui_arguments(
        self, speaker: Optional[str], language: Optional[str]
    ) -> Tuple[Optional[str], Optional[str]]:
        """The speaker and language to hand to coqui, or ``RequestRejected``."""
        if self.speakers is None:
            if speaker:
                raise RequestRejected("this model has a single voice: do not send 'speaker'")
        elif not speaker:
            raise RequestRejected(
                f"this model has {len(self.speakers)} voices: choose one with 'speaker' "
                "(see GET /health)"
            )
        elif speaker not in self.speakers:
            raise RequestRejected(
                f"unknown speaker {speaker[:60]!r} (see GET /health for this model's voices)"
            )

        if not self.multilingual:
            own = {_primary_language(name) for name in self.languages}
            if language and _primary_language(language) not in own:
                raise RequestRejected(
                    f"this model speaks only {', '.join(self.languages)}, not {language[:20]!r}"
                )
            return speaker or None, None  # coqui refuses a language for a single-language model
        if not language:
            raise RequestRejected(
                "this model speaks several languages: choose one with 'language' "
                f"({_list(self.languages)})"
            )
        return speaker or None, self._model_language(language)

    def _model_language(self, language: str) -> str:
        if language in self.languages:
            return language
        wanted = _primary_language(language)
        matches = [name for name in self.languages if _primary_language(name) == wanted]
        if len(matches) != 1:
            raise RequestRejected(
                f"language {language[:20]!r} is not one of {_list(self.languages)}"
            )
        return matches[0]

    def check_speakable(self, text: str, language: Optional[str]) -> None:
        """``RequestRejected`` if the model's alphabet keeps no letter or digit of ``text``."""
        model = self._api.synthesizer.tts_model
        tokenizer = getattr(model, "tokenizer", None)
        characters = getattr(tokenizer, "characters", None)
        if tokenizer is None or characters is None:
            return  # a model without a character tokenizer: let it try
        if language is None and len(self.languages) == 1:
            language = self.languages[0]
        with self._lock:
            ids = tokenizer.text_to_ids(text, language=language)
        if not any(characters.id_to_char(i).isalnum() for i in ids):
            raise RequestRejected("this model cannot pronounce any letter or digit of the text")

    def synthesize(
        self, text: str, speaker: Optional[str] = None, language: Optional[str] = None
    ) -> Speech:
        """A 16-bit mono WAV at ``sample_rate`` for ``text`` (already checked for length)."""
        speaker, language = self.coqui_arguments(speaker, language)
        self.check_speakable(text, language)
        with self._lock:
            samples = self._api.tts(text, speaker=speaker, language=language)
        wav = float_samples_to_wav(samples, self.sample_rate)
        return Speech(wav=wav, seconds=len(samples) / self.sample_rate)


def _list(values: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")
