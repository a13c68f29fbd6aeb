"""Model output (float samples) to the WAV file that the HTTP contract promises.

The client accepts several WAV encodings, but 16-bit PCM mono is the one it
prefers and the one telephony ends up in, so the server sends nothing else.

The level is normalised: the raw output of a Coqui model peaks anywhere between
a whisper and clipping depending on the model and the sentence, while a phone
line wants replies of even loudness. Coqui's own command line writes its WAVs
peak-normalised too, so a voice sounds here as it does with ``tts --text``.
"""
from __future__ import annotations

import io
import wave

import numpy as np

TARGET_PEAK = 0.9
"""Loudest sample after normalisation, as a fraction of full scale (about -1 dBFS)."""

QUIET_FLOOR = 0.01
"""Peaks below this are not raised further (at most x90): amplifying near-silence
would only make its noise audible."""


def float_samples_to_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """A RIFF/WAVE file, PCM 16-bit mono at ``sample_rate``, from mono float samples."""
    audio = np.nan_to_num(np.asarray(samples, dtype=np.float64).reshape(-1))
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    audio = audio * (TARGET_PEAK / max(peak, QUIET_FLOOR))
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(int(sample_rate))
        wav.writeframes(pcm.tobytes())
    return buffer.getvalue()
