"""What a simulated phone call is made of, turn by turn: the caller's :class:`Turn`
(an utterance or keys pressed, and when its end was sent) and the bot's :class:`Reply`
to it (texts, transcripts, audio received, marks, clears)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np


@dataclass
class Turn:
    """One caller turn: an utterance or keys pressed."""

    kind: str  # "speech" or "dtmf"
    label: str
    ended_at: Optional[float] = None  # loop time the last speech frame / last key was sent
    first_reply_at: Optional[float] = None  # first bot media frame received after it

    @property
    def latency(self) -> Optional[float]:
        if self.first_reply_at is None or self.ended_at is None:
            return None
        return self.first_reply_at - self.ended_at


@dataclass
class Reply:
    """What the bot did between two :meth:`SimulatedCaller.wait_bot_done` returns."""

    sample_rate: int
    texts: List[str] = field(default_factory=list)  # "bot" events
    transcripts: List[str] = field(default_factory=list)  # "transcript" events
    transfers: List[str] = field(default_factory=list)  # "transfer" events ("to")
    marks: List[str] = field(default_factory=list)  # mark names received
    chunks: List[np.ndarray] = field(default_factory=list, repr=False)
    clears: int = 0
    dropped_seconds: float = 0.0  # audio received but dropped unplayed by a clear
    started_at: Optional[float] = None  # first media frame of the reply (loop time)
    last_media_at: Optional[float] = None
    last_bot_event_at: Optional[float] = None  # last "bot" or "transfer" event
    turn: Optional[Turn] = None  # the caller's turn this replies to
    closed: bool = False  # the server closed the stream

    @property
    def audio(self) -> np.ndarray:
        """The bot's audio received, int16 at :attr:`sample_rate`."""
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int16)

    @property
    def audio_seconds(self) -> float:
        return sum(len(c) for c in self.chunks) / self.sample_rate

    @property
    def text(self) -> str:
        return " ".join(self.texts)

    @property
    def latency(self) -> Optional[float]:
        return self.turn.latency if self.turn else None

    @property
    def heard_anything(self) -> bool:
        """The bot has answered: after the caller's turn if there is one this window
        (audio cut by a barge-in before the turn ended does not count)."""
        turn = self.turn
        if turn is None:
            return bool(self.chunks or self.texts or self.transfers)
        if turn.ended_at is None:
            return False
        return turn.first_reply_at is not None or (
            self.last_bot_event_at is not None and self.last_bot_event_at >= turn.ended_at)
