"""How often one client address may do something: a sliding window per address.

The web page's ticket route is open to patients (like the phone line), so nothing else
stops one address from minting tickets for many calls at once; :class:`AddressRate`
lets each address have ``limit`` of them per ``window`` seconds. Memory stays bounded:
addresses whose window has passed are forgotten, and at most ``max_addresses`` are kept.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable, Deque


class AddressRate:
    def __init__(self, limit: int, window: float, *, max_addresses: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.limit = limit
        self.window = window
        self._max_addresses = max_addresses
        self._clock = clock
        self._seen: "OrderedDict[str, Deque[float]]" = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        """Count one use by ``address``; False when it has used its ``limit`` already."""
        now = self._clock()
        with self._lock:
            uses = self._seen.pop(address, None) or deque()
            while uses and uses[0] <= now - self.window:
                uses.popleft()
            allowed = len(uses) < self.limit
            if allowed:
                uses.append(now)
            self._seen[address] = uses  # most recent last
            while len(self._seen) > self._max_addresses:
                self._seen.popitem(last=False)
            return allowed
