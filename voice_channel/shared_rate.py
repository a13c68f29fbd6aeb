"""How often one client address may do something, counted over every replica in the
Redis they share.

Why: behind HAProxy, one address's turns (``http_turns_per_minute``) and call tickets
reach any replica; counted in each process (:class:`~voice_channel.http_requests.AddressRate`),
N replicas would let N times the limit through.

How: the same sliding window as :class:`~voice_channel.http_requests.AddressRate`
(``limit`` uses per ``window`` seconds; a refused use is not counted, so the
``Retry-After`` of the window still holds), kept as a Redis sorted set per address and
per limit, ``allo:rate-<name>:<hmac of the address>``: one member per use, scored by
its time. One Lua script drops the uses older than the window, counts the others, adds
this one when there is room and sets the key to expire with the window, on Redis's
clock (``TIME``; Redis 5 or later), so the replicas' clocks play no part.

Redis down: the use is allowed, with one WARNING a minute. The limit protects the
clinic's capacity from one script; patients must still reach the clinic, and each
replica still bounds its own load (its lines, its recognition queue).
"""
from __future__ import annotations

import secrets

from voice_channel.http_requests import AddressRate
from voice_channel.shared_state import SharedState, SharedStateUnavailable

# KEYS[1]: the address's uses; ARGV: limit, window (ms), a unique member for this use.
SLIDING_WINDOW = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""


class SharedAddressRate(AddressRate):
    """:class:`~voice_channel.http_requests.AddressRate`'s limit, over every replica;
    ``name`` tells this limit's counts from the others' (``turns``, ``tickets``)."""

    def __init__(self, state: SharedState, name: str, limit: int, window: float) -> None:
        super().__init__(limit, window)
        self._state = state
        self._name = name
        self._script = state.client.register_script(SLIDING_WINDOW)

    def allow(self, address: str) -> bool:
        key = self._state.key(f"rate-{self._name}", address)
        arguments = [self.limit, max(1, int(self.window * 1000)), secrets.token_hex(8)]
        try:
            allowed = self._state.run(
                f"{self._name} per address", "not counted, every use allowed",
                lambda client: self._script(keys=[key], args=arguments, client=client))
        except SharedStateUnavailable:
            return True
        return bool(allowed)
