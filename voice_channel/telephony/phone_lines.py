"""How many calls one process takes at once: the lines of the clinic's switchboard.

One process holds about four live calls with a voice-to-voice p95 under 3 s (see the
phone benchmark); a fifth would slow every call down. :class:`PhoneLines` counts the
calls in progress; :meth:`take` gives a line (and the function that frees it) or None
when all are busy, so that the incoming-call webhook answers "busy" TwiML and a stream
that starts anyway is closed with 1013.

A call may also name who holds it (``holder``: the client address of a stream the web
page opened): one holder takes at most ``max_per_holder`` lines, so that one script
cannot hold every line while the others stay free for the clinic's patients.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Callable, Optional

DEFAULT_MAX_CALLS = 4


class PhoneLines:
    def __init__(self, max_calls: int = DEFAULT_MAX_CALLS,
                 max_per_holder: Optional[int] = None) -> None:
        for value in (max_calls, max_per_holder if max_per_holder is not None else 1):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError("max_calls and max_per_holder must be positive integers")
        self.max_calls = max_calls
        self.max_per_holder = max_per_holder or max_calls
        self._in_use = 0
        self._held: Counter = Counter()
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def all_busy(self) -> bool:
        return self._in_use >= self.max_calls

    def held_by(self, holder: str) -> int:
        return self._held.get(holder, 0)

    def take(self, holder: Optional[str] = None) -> Optional[Callable[[], None]]:
        """A line, as the function that frees it (idempotent), or None when all are busy
        or ``holder`` already holds its share."""
        with self._lock:
            if self._in_use >= self.max_calls:
                return None
            if holder is not None and self._held[holder] >= self.max_per_holder:
                return None
            self._in_use += 1
            if holder is not None:
                self._held[holder] += 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                self._in_use -= 1
                if holder is not None:
                    self._held[holder] -= 1
                    if self._held[holder] <= 0:
                        del self._held[holder]

        return release
