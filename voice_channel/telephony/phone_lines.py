"""How many calls one process takes at once: the lines of the clinic's switchboard.

One process holds about four live calls with a voice-to-voice p95 under 3 s (see the
phone benchmark); a fifth would slow every call down. :class:`PhoneLines` counts the
calls in progress; :meth:`take` gives a line (and the function that frees it) or None
when all are busy, so that the incoming-call webhook answers "busy" TwiML and a stream
that starts anyway is closed with 1013.
"""
from __future__ import annotations

import threading
from typing import Callable, Optional

DEFAULT_MAX_CALLS = 4


class PhoneLines:
    def __init__(self, max_calls: int = DEFAULT_MAX_CALLS) -> None:
        if not isinstance(max_calls, int) or isinstance(max_calls, bool) or max_calls < 1:
            raise ValueError("max_calls must be a positive integer")
        self.max_calls = max_calls
        self._in_use = 0
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def all_busy(self) -> bool:
        return self._in_use >= self.max_calls

    def take(self) -> Optional[Callable[[], None]]:
        """A line, as the function that frees it (idempotent), or None when all are busy."""
        with self._lock:
            if self._in_use >= self.max_calls:
                return None
            self._in_use += 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                self._in_use -= 1

        return release
