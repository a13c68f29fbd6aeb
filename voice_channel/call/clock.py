"""Time for a call's timers and pacing, injectable so tests can run a call faster.

:class:`Clock` is real time (``time.monotonic()``). :class:`FastClock` runs ``speed`` times
faster: its seconds are shorter, so a 8 s silence timeout, the 20 ms pacing of outbound
frames and the idle timeout all shrink together. The caller's audio is timed by its own
samples (see :mod:`voice_channel.listening.turn_taking`), never by a clock.
"""
from __future__ import annotations

import asyncio
import time


class Clock:
    """Real time, in seconds."""

    speed = 1.0

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def real_seconds(self, seconds: float) -> float:
        """How many real seconds ``seconds`` of this clock last (for ``asyncio.wait``)."""
        return max(0.0, seconds)


class FastClock(Clock):
    """A clock ``speed`` times faster than real time (tests)."""

    def __init__(self, speed: float = 10.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = float(speed)
        self._origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    def real_seconds(self, seconds: float) -> float:
        return max(0.0, seconds) / self.speed
