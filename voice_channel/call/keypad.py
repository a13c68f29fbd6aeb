"""Keypad (DTMF) entry: digits collected until ``#`` or a pause, and when it is offered.

:class:`KeypadCollector` is pure and clock-driven: :meth:`~KeypadCollector.press`
takes the key and the time, :meth:`~KeypadCollector.expire` is called when the pause
may have elapsed. ``*`` starts the entry again; ``A``-``D`` are ignored.
:class:`KeypadEntry` runs it in a call: the pause timer, the finished entry handed on,
and the ``keypad_offer`` prompt added once to each question that asks for a number.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, List, Optional, Tuple

from voice_channel.call.clock import Clock
from voice_channel.call.lifetime import CallLifetime
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS
from voice_channel.stt.hints import RecognitionHint

logger = logging.getLogger(__name__)

KEYPAD_KINDS = ("patient_id", "phone")  # the answers a caller may type

DEFAULT_PAUSE_SECONDS = 3.0
MAX_DIGITS = 20


class KeypadCollector:
    def __init__(self, pause_seconds: float = DEFAULT_PAUSE_SECONDS, max_digits: int = MAX_DIGITS) -> None:
        self.pause_seconds = pause_seconds
        self.max_digits = max_digits
        self._digits = ""
        self._last_press: Optional[float] = None

    @property
    def pending(self) -> str:
        return self._digits

    @property
    def deadline(self) -> Optional[float]:
        """When the pause ends the entry (None when nothing is being typed)."""
        if not self._digits or self._last_press is None:
            return None
        return self._last_press + self.pause_seconds

    def press(self, key: str, now: float) -> Optional[str]:
        """The finished entry when ``key`` ends it (``#``, or the digit limit), else None."""
        self._last_press = now
        if key == "#":
            return self._take()
        if key == "*":
            self._digits = ""
            return None
        if key.isdigit():
            self._digits += key
            if len(self._digits) >= self.max_digits:
                return self._take()
        return None

    def expire(self, now: float) -> Optional[str]:
        """The entry when the pause has elapsed since the last key, else None."""
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            return self._take()
        return None

    def reset(self) -> None:
        self._digits = ""
        self._last_press = None

    def _take(self) -> Optional[str]:
        digits, self._digits, self._last_press = self._digits, "", None
        return digits or None


def keypad_wanted(hint: RecognitionHint) -> bool:
    """The bot has asked for a number the caller may type."""
    return hint.expected in KEYPAD_KINDS


class KeypadEntry:
    """A call's keypad: keys in, a finished entry out (``on_entry``), after ``#`` or a pause."""

    def __init__(self, pause_seconds: float, clock: Clock, lifetime: CallLifetime,
                 on_entry: Callable[[str], None], offer: str = DEFAULT_PROMPTS.keypad_offer) -> None:
        self.collector = KeypadCollector(pause_seconds)
        self.offer = offer
        self.clock = clock
        self.lifetime = lifetime
        self.on_entry = on_entry
        self._timer: Optional[asyncio.Task] = None
        self._offered_for: Optional[Tuple[str, Optional[str]]] = None

    @property
    def pending(self) -> str:
        return self.collector.pending

    def reset(self) -> None:
        self.collector.reset()

    def press(self, key: str) -> None:
        digits = self.collector.press(key, self.clock.now())
        if digits:
            self._done(digits)
        elif self.collector.pending:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.lifetime.spawn(self._wait(), "keypad-pause")

    async def _wait(self) -> None:
        # Sleep until the pause has really elapsed: a timer may wake a hair early, and an
        # entry left pending would never be sent.
        while self.collector.deadline is not None:
            await self.clock.sleep(max(self.collector.deadline - self.clock.now(), 0.001))
            digits = self.collector.expire(self.clock.now())
            if digits:
                self._done(digits)
                return

    def _done(self, digits: str) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._timer = None
        logger.info("call %s: keypad entry of %d digits", self.lifetime.call_sid, len(digits))
        self.on_entry(digits)

    def with_offer(self, texts: List[str], hint: RecognitionHint) -> None:
        """Add :attr:`offer` to the last reply, once per question that asks a number."""
        if not (keypad_wanted(hint) and texts):
            return
        offer_key = (hint.expected, hint.question)
        if "clavier" in texts[-1]:  # the dialogue offered the keypad itself
            self._offered_for = offer_key
        elif offer_key != self._offered_for:
            self._offered_for = offer_key
            texts[-1] = f"{texts[-1]} {self.offer}"
