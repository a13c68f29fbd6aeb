"""What every text-to-speech engine of the voice channel gives: PCM and its rate.

``SpeechSynthesizer.synthesize(text)`` returns a ``SynthesizedSpeech``: signed
16-bit little-endian **mono PCM** plus its **sample rate** (espeak-ng: 22050 Hz;
the Coqui server: whatever its model uses). PCM + rate rather than a WAV file
because the channel needs both a WAV for HTTP replies (``to_wav_bytes()``) and,
for telephony, 8 kHz µ-law, which is a resampling of the samples
(``samples()`` gives them as a NumPy ``int16`` array).

Engines are chosen by name in :mod:`.registry`.

``synthesize`` is blocking (a subprocess or an HTTP request): from async code
use ``await synthesizer.synthesize_async(text)``, which runs it in a thread.
"""
from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Hashable, Mapping

import numpy as np

from voice_channel.audio.wav import WavError, encode_wav, read_wav_layout

DEFAULT_MAX_CHARS = 5000


class SynthesisError(RuntimeError):
    """The engine could not turn the text into speech."""


class EngineUnavailableError(SynthesisError):
    """The engine cannot run at all: binary missing, server unreachable."""


class SynthesisTimeoutError(SynthesisError):
    """The engine did not answer in time."""


@dataclass(frozen=True)
class SynthesizedSpeech:
    """Mono signed 16-bit little-endian PCM (``pcm``) at ``sample_rate`` Hz.

    Immutable, so one instance can be shared (the cache hands out the same one).
    """

    pcm: bytes
    sample_rate: int

    SAMPLE_WIDTH = 2  # bytes per sample
    CHANNELS = 1

    def __post_init__(self) -> None:
        if not isinstance(self.pcm, bytes):
            object.__setattr__(self, "pcm", bytes(self.pcm))
        if len(self.pcm) % self.SAMPLE_WIDTH:
            raise ValueError("16-bit PCM must have an even number of bytes")
        if not isinstance(self.sample_rate, int) or self.sample_rate <= 0:
            raise ValueError(f"invalid sample rate: {self.sample_rate!r}")

    @property
    def num_samples(self) -> int:
        return len(self.pcm) // self.SAMPLE_WIDTH

    @property
    def duration_seconds(self) -> float:
        return self.num_samples / self.sample_rate

    @property
    def nbytes(self) -> int:
        return len(self.pcm)

    def samples(self) -> np.ndarray:
        """The samples as a read-only ``int16`` array (no copy)."""
        return np.frombuffer(self.pcm, dtype="<i2")

    @property
    def peak(self) -> int:
        """Largest absolute sample value (0 for silence)."""
        if not self.pcm:
            return 0
        return int(np.abs(self.samples().astype(np.int32)).max())

    def to_wav_bytes(self) -> bytes:
        """A complete RIFF/WAVE file: PCM 16-bit mono at ``sample_rate``."""
        return encode_wav(self.samples(), self.sample_rate, self.CHANNELS)

    @classmethod
    def from_samples(cls, samples: np.ndarray, sample_rate: int) -> "SynthesizedSpeech":
        """From mono ``int16`` samples, or floats in [-1, 1]."""
        array = np.asarray(samples)
        if array.ndim != 1:
            raise ValueError("samples must be a one-dimensional (mono) array")
        if array.dtype.kind == "f":
            array = np.round(np.clip(array, -1.0, 1.0) * 32767.0)
        return cls(array.astype("<i2").tobytes(), int(sample_rate))

    @classmethod
    def from_wav_bytes(cls, data: bytes) -> "SynthesizedSpeech":
        """Decode a RIFF/WAVE file to 16-bit mono.

        Accepts PCM 8/16/24/32-bit and IEEE float 32/64-bit, any channel count
        (mixed down), ``WAVE_FORMAT_EXTENSIBLE``, and the "streaming" sizes that
        ``espeak-ng --stdout`` writes (0x7ffff000 as data size: the data chunk
        is taken to run to the end of the file).
        """
        try:
            layout = read_wav_layout(data)
        except WavError as problem:
            raise SynthesisError(str(problem)) from None
        format_tag, channels = layout.format_tag, layout.channels
        sample_rate, bits, payload = layout.sample_rate, layout.bits, layout.payload
        if channels < 1 or sample_rate <= 0:
            raise SynthesisError("WAV with no channel or no sample rate")
        width = bits // 8
        if bits % 8 or width == 0:
            raise SynthesisError(f"unsupported WAV sample size: {bits} bits")
        frame = width * channels
        payload = payload[: len(payload) - len(payload) % frame]
        if format_tag == _WAVE_FORMAT_PCM:
            if width == 1:
                array = np.frombuffer(payload, dtype=np.uint8).astype(np.float64) - 128.0
                scale = 128.0
            elif width == 2:
                array = np.frombuffer(payload, dtype="<i2").astype(np.float64)
                scale = 32768.0
            elif width == 3:
                raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
                value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
                value = np.where(value >= 1 << 23, value - (1 << 24), value)
                array, scale = value.astype(np.float64), float(1 << 23)
            elif width == 4:
                array = np.frombuffer(payload, dtype="<i4").astype(np.float64)
                scale = float(1 << 31)
            else:
                raise SynthesisError(f"unsupported WAV sample size: {bits} bits")
        elif format_tag == _WAVE_FORMAT_IEEE_FLOAT and width in (4, 8):
            array = np.frombuffer(payload, dtype="<f4" if width == 4 else "<f8").astype(np.float64)
            scale = 1.0
        else:
            raise SynthesisError(f"unsupported WAV encoding (format tag {format_tag})")
        if channels > 1:
            array = array.reshape(-1, channels).mean(axis=1)
        if format_tag == _WAVE_FORMAT_PCM and width == 2 and channels == 1:
            return cls(payload, sample_rate)  # the common case: no conversion
        return cls.from_samples(np.nan_to_num(array / scale), sample_rate)


_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_IEEE_FLOAT = 0x0003


class SpeechSynthesizer(ABC):
    """A text-to-speech engine: ``synthesize(text) -> SynthesizedSpeech``.

    Implementations raise ``ValueError`` for text with nothing to say,
    ``EngineUnavailableError`` when the engine cannot run at all,
    ``SynthesisTimeoutError`` on timeout and ``SynthesisError`` otherwise.
    They must be safe to call from several threads at once.
    """

    @property
    @abstractmethod
    def name(self) -> str:
        """The registry name: "espeak", "coqui"."""

    @property
    def settings(self) -> Mapping[str, Any]:
        """What changes the audio besides the text (voice, rate...): part of the cache key."""
        return {}

    def cache_key(self) -> Hashable:
        return (self.name, tuple(sorted((k, repr(v)) for k, v in self.settings.items())))

    def _common_options(self, timeout: float, normalize: bool, max_chars: int) -> None:
        """The options every engine takes: its timeout, whether the text is rewritten for
        the ear (``spoken_text``), the longest text it accepts."""
        if not timeout or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.timeout = float(timeout)
        self.normalize = bool(normalize)
        self.max_chars = int(max_chars)

    def check_available(self) -> None:
        """Raise ``EngineUnavailableError`` if the engine obviously cannot run."""

    @abstractmethod
    def synthesize(self, text: str) -> SynthesizedSpeech:
        """Speech for ``text`` (blocking)."""

    async def synthesize_async(self, text: str) -> SynthesizedSpeech:
        """``synthesize`` in a worker thread, for the Sanic event loop."""
        return await asyncio.to_thread(self.synthesize, text)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        return f"{type(self).__name__}({settings})"


def prepare_text(text: str, *, normalize: bool, max_chars: int) -> str:
    """Checked and, if ``normalize``, rewritten text (see ``spoken_text``).

    Control characters are neutralized in any case; ``ValueError`` when there is
    nothing left to say or the text is longer than ``max_chars``.
    """
    from voice_channel.tts.spoken_text import neutralize_control_characters, to_spoken_text

    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if len(text) > max_chars:
        raise ValueError(f"text too long to synthesize ({len(text)} > {max_chars} characters)")
    spoken = to_spoken_text(text) if normalize else neutralize_control_characters(text).strip()
    if not any(char.isalnum() for char in spoken):
        raise ValueError("nothing to say: the text has no letter or digit")
    return spoken
