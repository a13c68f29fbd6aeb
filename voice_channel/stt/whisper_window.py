"""Whisper's encoder on a shorter window than its 30 seconds: the cost of a turn.

faster-whisper pads every utterance's log-mel features to Whisper's 30-second window
(3,000 frames) before the encoder, whose work grows faster than the window: on this
project's 2 cores the encoder of Whisper base takes about 550 ms for 30 s, 155 ms for
15 s and 65 ms for 10 s, and a caller's answer lasts 1 to 5 seconds. The stage log of
the phone line (voice_channel/call/metrics.py) showed recognition as the largest stage
after the end of turn. :func:`windowed_model` gives a ``WhisperModel`` whose encoder
sees the utterance padded only to ``window_seconds`` (never cut: a longer utterance
keeps its whole length, up to 30 s), as whisper.cpp's ``audio_ctx`` does. Decoding is
unchanged.

The window is a trade: Whisper was trained on 30-second windows, and the shorter the
window the less sure it is of short answers. bench/encoder_window.py measures it on the
answers of bench/data/spoken_answers.yml (688 in MBROLA fr1 and fr4): mean WER 0.185 and
0.265 at 30 s, 0.181 and 0.244 at 20 s (a first run: 0.193 and 0.268 at 15 s), with
recognition twice as fast at 20 s. A lone word uploaded with no silence around it is
less safe (README, phone line). 20 s is the default (``WHISPER_ENCODER_WINDOW`` sets
another; 30 is Whisper's own behaviour).

Imported only when the Whisper engine loads (faster-whisper is a heavy import).
"""
from __future__ import annotations

from typing import Any

import numpy as np

FULL_WINDOW_FRAMES = 3000  # Whisper's 30 s, 100 log-mel frames per second
FRAMES_PER_SECOND = 100


def content_frames(features: np.ndarray) -> int:
    """Frames before faster-whisper's padding (zero frames at the end; a real frame,
    even of digital silence, is never all zeros once normalised)."""
    filled = np.flatnonzero(np.any(features != 0.0, axis=0))
    return int(filled[-1]) + 1 if len(filled) else 0


def window_frames(features: np.ndarray, window_seconds: float) -> int:
    """How many frames the encoder sees: the window, or the whole utterance if longer."""
    window = int(round(window_seconds * FRAMES_PER_SECOND))
    return min(features.shape[-1], max(window, content_frames(features)))


def windowed_model(window_seconds: float, *args: Any, **kwargs: Any):
    """A ``faster_whisper.WhisperModel(*args, **kwargs)`` encoding ``window_seconds``."""
    from faster_whisper import WhisperModel

    if not 1.0 <= window_seconds <= FULL_WINDOW_FRAMES / FRAMES_PER_SECOND:
        raise ValueError("the encoder window must be between 1 and 30 seconds")

    class WindowedWhisperModel(WhisperModel):
        def encode(self, features):
            if isinstance(features, np.ndarray) and features.ndim == 2:
                features = features[:, :window_frames(features, window_seconds)]
            return super().encode(features)

    return WindowedWhisperModel(*args, **kwargs)
