"""The audio just before a turn is noticed, kept so that its first syllable is recognised."""
from __future__ import annotations

from collections import deque
from typing import Deque

import numpy as np

from voice_channel.audio.pcm import SAMPLE_RATE


class Preroll:
    """The last ``ms`` of 16 kHz audio heard outside a turn (at least; whole chunks are kept)."""

    def __init__(self, ms: float) -> None:
        self.limit = int(ms * SAMPLE_RATE / 1000)
        self._chunks: Deque[np.ndarray] = deque()
        self._samples = 0

    def add(self, pcm: np.ndarray) -> None:
        self._chunks.append(pcm)
        self._samples += len(pcm)
        while self._chunks and self._samples - len(self._chunks[0]) >= self.limit:
            self._samples -= len(self._chunks.popleft())

    def take(self) -> np.ndarray:
        """The audio kept, oldest first; the preroll is then empty."""
        audio = (np.concatenate(list(self._chunks)) if self._chunks
                 else np.zeros(0, dtype=np.int16))
        self._chunks.clear()
        self._samples = 0
        return audio
