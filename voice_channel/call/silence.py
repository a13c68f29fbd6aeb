"""The silence policy: when the caller says nothing, ask again, then say goodbye
(the ``still_there`` and ``silence_goodbye`` prompts)."""
from __future__ import annotations

import asyncio
from typing import Callable, Optional, Tuple

from voice_channel.call.clock import Clock
from voice_channel.call.lifetime import CallLifetime
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS, VoicePrompts


class SilenceWatch:
    """A timer armed when the bot has finished and nothing is pending; ``on_silence`` at its end.

    ``is_busy()`` is checked when the timer fires: a caller speaking or typing, an input
    waiting or a dialogue request in flight is not silence.
    """

    def __init__(self, seconds: float, max_reprompts: int, clock: Clock, lifetime: CallLifetime,
                 is_busy: Callable[[], bool], on_silence: Callable[[], None],
                 prompts: VoicePrompts = DEFAULT_PROMPTS) -> None:
        self.seconds = seconds
        self.prompts = prompts
        self.max_reprompts = max_reprompts
        self.clock = clock
        self.lifetime = lifetime
        self.is_busy = is_busy
        self.on_silence = on_silence
        self.reprompts = 0
        self._timer: Optional[asyncio.Task] = None

    def arm(self) -> None:
        self.cancel()
        self._timer = self.lifetime.spawn(self._wait(), "silence-timer")

    def cancel(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._timer = None

    async def _wait(self) -> None:
        await self.clock.sleep(self.seconds)
        if self.is_busy():
            return
        self._timer = None
        self.on_silence()

    def answered(self) -> None:
        """The caller said or typed something: the re-prompts start again."""
        self.reprompts = 0

    def prompt(self) -> Tuple[str, bool]:
        """What to say to a silence, and whether the call then ends."""
        if self.reprompts >= self.max_reprompts:
            return self.prompts.silence_goodbye, True
        self.reprompts += 1
        return self.prompts.still_there, False
