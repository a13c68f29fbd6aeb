"""G.711 µ-law and 8 kHz ↔ 16 kHz resampling for the phone line (numpy, no ``audioop``).

The phone speaks 8 kHz µ-law; the recognizers hear 16 kHz ``int16``
(:data:`voice_channel.audio.pcm.SAMPLE_RATE`). Each direction has two steps:

* :func:`mulaw_decode` and :func:`mulaw_encode` convert between µ-law bytes and
  16-bit PCM. They give exactly the same values as the reference G.711 code
  (Sun's ``g711.c``, which Python's ``audioop`` also used): silence (0) encodes
  to ``0xFF``, full scale to ``0x80``/``0x00``, and ``0xFF``/``0x7F`` decode to 0.
* :class:`StreamResampler` changes the rate by 2 (up or down) one frame at a time
  with a linear-phase FIR and carried state. Resampling a call 20 ms at a time
  gives the same samples as resampling it in one go, so frame boundaries never
  click. Its latency is :attr:`StreamResampler.delay_seconds`, about 3 ms.

:func:`resample` converts a whole utterance between any two rates (the speech
engine's 22050 Hz to the phone's 8 kHz, for example). It is not for streaming.
"""
from __future__ import annotations

from typing import Union

import numpy as np

BytesLike = Union[bytes, bytearray, memoryview]

PHONE_RATE = 8000
MULAW_SILENCE = 0xFF  # the µ-law code of 0

# G.711 µ-law works on 14-bit magnitudes: 16-bit input is shifted right by 2,
# then the bias 33 is added and the result clipped (Sun g711.c, st_14linear2ulaw).
_BIAS = 0x21
_CLIP = 8159
_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def _decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    magnitude = (((codes & 0x0F) << 3) + 0x84) << ((codes & 0x70) >> 4)
    return np.where(codes & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


_DECODE = _decode_table()
_DECODE.setflags(write=False)


def mulaw_decode(data: Union[BytesLike, np.ndarray]) -> np.ndarray:
    """16-bit PCM samples (``int16``) of µ-law bytes (or a ``uint8`` array)."""
    codes = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    if codes.dtype != np.uint8:
        raise TypeError(f"µ-law codes must be bytes or uint8, not {codes.dtype}")
    return _DECODE[codes]


def mulaw_encode(pcm: np.ndarray) -> bytes:
    """µ-law bytes of 16-bit PCM (``int16``; floats in [-1, 1] are scaled first)."""
    from voice_channel.audio.pcm import to_int16

    samples = to_int16(np.asarray(pcm)).reshape(-1).astype(np.int32) >> 2
    negative = samples < 0
    magnitude = np.minimum(np.where(negative, -samples, samples), _CLIP) + _BIAS
    segment = np.searchsorted(_SEGMENT_ENDS, magnitude)  # 0..8; 8 only at full scale
    mantissa = (magnitude >> (np.minimum(segment, 7) + 1)) & 0x0F
    code = np.where(segment >= 8, 0x7F, (np.minimum(segment, 7) << 4) | mantissa)
    mask = np.where(negative, 0x7F, 0xFF)
    return (code ^ mask).astype(np.uint8).tobytes()


# -- streaming 2x resampling ----------------------------------------------------------

def _lowpass(taps: int = 95, cutoff_hz: float = 3700.0, rate: int = 16000,
             beta: float = 7.0) -> np.ndarray:
    """Kaiser-windowed sinc low-pass at 16 kHz: passes speech up to ~3.4 kHz and
    stops what would alias or image around 4 kHz (the 8 kHz Nyquist frequency)."""
    n = np.arange(taps) - (taps - 1) / 2.0
    ideal = 2 * cutoff_hz / rate * np.sinc(2 * cutoff_hz / rate * n)
    h = ideal * np.kaiser(taps, beta)
    return h / h.sum()


_FILTER = _lowpass()
_FILTER.setflags(write=False)


class StreamResampler:
    """Resample a stream of ``int16`` mono frames by 2: 8000 → 16000 or 16000 → 8000.

    Call :meth:`process` for every frame, in order; each call returns the samples
    ready so far. One instance per call and direction (it carries the filter's
    history). Equal rates pass samples through unchanged.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        if (from_rate, to_rate) not in ((8000, 16000), (16000, 8000)) and from_rate != to_rate:
            raise ValueError(f"only 8000 <-> 16000 Hz is supported, not {from_rate} -> {to_rate}")
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._history = np.zeros(len(_FILTER) - 1)
        self._phase = 0  # downsampling: index (mod 2) of the next filtered sample to keep

    @property
    def delay_seconds(self) -> float:
        """How far the output lags the input (the linear-phase filter's group delay)."""
        if self.from_rate == self.to_rate:
            return 0.0
        return (len(_FILTER) - 1) / 2.0 / 16000

    def reset(self) -> None:
        self._history[:] = 0.0
        self._phase = 0

    def process(self, pcm: np.ndarray) -> np.ndarray:
        samples = np.asarray(pcm)
        if samples.ndim != 1 or samples.dtype != np.int16:
            raise TypeError("StreamResampler takes mono int16 samples (1-D)")
        if self.from_rate == self.to_rate or not len(samples):
            return samples.copy()
        if self.to_rate > self.from_rate:
            stuffed = np.zeros(2 * len(samples))
            stuffed[::2] = samples
            return _to_int16(2.0 * self._filter(stuffed))
        filtered = self._filter(samples.astype(np.float64))
        kept = filtered[self._phase::2]
        self._phase = (self._phase + len(samples)) % 2
        return _to_int16(kept)

    def flush(self) -> np.ndarray:
        """The samples still held back by the filter's delay (the stream has ended)."""
        if self.from_rate == self.to_rate:
            return np.zeros(0, dtype=np.int16)
        tail = int(round(self.delay_seconds * self.from_rate))
        out = self.process(np.zeros(tail, dtype=np.int16))
        self.reset()
        return out

    def _filter(self, signal: np.ndarray) -> np.ndarray:
        extended = np.concatenate([self._history, signal])
        self._history = extended[len(extended) - len(self._history):].copy()
        return np.convolve(extended, _FILTER, mode="valid")


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples), -32768, 32767).astype(np.int16)


def resample(pcm: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """A whole utterance (``int16``) at another rate (polyphase filter, scipy).

    For one complete signal only: use :class:`StreamResampler` for a live stream.
    """
    samples = np.asarray(pcm)
    if samples.ndim != 1 or samples.dtype != np.int16:
        raise TypeError("resample takes mono int16 samples (1-D)")
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError("sample rates must be positive")
    if from_rate == to_rate or not len(samples):
        return samples.copy()
    from math import gcd

    from scipy.signal import resample_poly  # lazy: scipy is heavy

    common = gcd(from_rate, to_rate)
    return _to_int16(resample_poly(samples.astype(np.float64), to_rate // common, from_rate // common))
