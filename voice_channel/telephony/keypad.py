"""Keypad (DTMF) entry: digits collected until ``#`` or a pause.

Pure and clock-driven: :meth:`KeypadCollector.press` takes the key and the time,
:meth:`KeypadCollector.expire` is called when the pause may have elapsed. ``*``
starts the entry again; ``A``-``D`` are ignored.
"""
from __future__ import annotations

from typing import Optional

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
