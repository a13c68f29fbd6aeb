"""PCM sample conversions shared by the decoder, the WAV writer and the recognizers.

The voice channel's canonical audio is 16 kHz mono: ``float32`` in [-1, 1] for the
recognizers, ``int16`` for WAV files and telephony.
"""
from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
INT16_SCALE = 32768.0


def to_float32(pcm: np.ndarray) -> np.ndarray:
    """Mono samples as float32 in [-1, 1], whatever their dtype (int16 or float)."""
    array = np.asarray(pcm)
    if array.ndim != 1:
        raise ValueError(f"expected mono samples (1-D array), got shape {array.shape}")
    if array.dtype == np.int16:
        return array.astype(np.float32) / INT16_SCALE
    if np.issubdtype(array.dtype, np.floating):
        return np.clip(array, -1.0, 1.0).astype(np.float32, copy=False)
    raise TypeError(f"expected int16 or float samples, got {array.dtype}")


def to_int16(pcm: np.ndarray) -> np.ndarray:
    """Mono or interleaved samples as int16 (floats are clipped to [-1, 1] and scaled)."""
    array = np.asarray(pcm)
    if array.dtype == np.int16:
        return array
    if np.issubdtype(array.dtype, np.floating):
        scaled = np.round(np.clip(array, -1.0, 1.0) * (INT16_SCALE - 1))
        return scaled.astype(np.int16)
    raise TypeError(f"expected int16 or float samples, got {array.dtype}")


def duration_seconds(pcm: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    return len(pcm) / float(sample_rate)
