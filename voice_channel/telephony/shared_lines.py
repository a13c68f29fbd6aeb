"""The clinic's lines over several replicas: each replica's own ``max_calls``, and a cap
on the calls the whole cluster takes at once, counted in the Redis the replicas share.

Why: one replica holds about four calls (see :mod:`voice_channel.telephony.phone_lines`);
what they all share behind HAProxy (Rasa's action server, the database, the TTS service,
the clinic's trunk) holds fewer than N times four. ``VOICE_CHANNEL_CLUSTER_MAX_CALLS``
caps them all; and one client address (``holder``: the web page's streams) holds at most
``max_calls_per_address`` lines over the cluster, not that many per replica.

How: each taken line is a lease, a random id in the sorted set ``allo:lines`` scored by
when it expires (and in ``allo:line-holder:<hmac of the address>`` when it has a holder).
One Lua script, on Redis's clock (``TIME``; Redis 5 or later), drops the expired leases,
checks the cluster's cap and the holder's, and adds the lease. A thread renews this
replica's leases every :data:`RENEW_EVERY_S` seconds for :data:`LEASE_S`, and a call's
release removes its lease (once: releasing again does nothing). A replica killed with
``-9`` renews nothing: its lines come back :data:`LEASE_S` seconds later. Renewal never
re-adds a lease that is gone (Redis restarted, or renewal late by a whole lease), so it
cannot race a release: such a call goes on uncounted until it ends. The keys expire with
the last lease. The replica's own ``max_calls`` is counted in memory first, as without
Redis; Redis is asked only when there is something to check there (a cluster cap, or a
holder), so without a cap the phone's calls never wait on Redis.

Redis down: new calls that Redis must count are refused as busy (« toutes nos lignes
sont occupées », and ``all_busy`` is true with a cluster cap): the cap exists because
what the replicas share would drown past it, and a patient who redials gets a line once
Redis answers. Calls in progress go on; their leases expire by themselves.
"""
from __future__ import annotations

import secrets
import threading
from typing import Any, Callable, Dict, List, Optional, TypeVar

from voice_channel.shared_state import SharedState, SharedStateUnavailable
from voice_channel.telephony.phone_lines import DEFAULT_MAX_CALLS, PhoneLines

LEASE_S = 30.0  # a line a replica stopped renewing is free again after this
RENEW_EVERY_S = 10.0
PIECE, REFUSED = "phone lines", "new calls hear that every line is busy"
T = TypeVar("T")

_NOW = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
"""
# KEYS[1]: every lease; KEYS[2], when the call has a holder: the holder's leases.
# ARGV: the lease's id, its length (ms), the cluster's cap (0: none), the holder's cap.
TAKE = _NOW + """
local lease, cap = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if cap > 0 and redis.call('ZCARD', KEYS[1]) >= cap then
  return 0
end
if KEYS[2] then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
    return -1
  end
  redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], lease)
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1
"""
# KEYS[1]: every lease, then each lease's holder set (KEYS[1] again for none).
# ARGV[1]: the leases' length (ms), then their ids, in the order of KEYS[2..].
RENEW = _NOW + """
local lease = tonumber(ARGV[1])
for i = 2, #KEYS do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i])
    if KEYS[i] ~= KEYS[1] then
      redis.call('ZADD', KEYS[i], 'XX', now + lease, ARGV[i])
      redis.call('PEXPIRE', KEYS[i], lease)
    end
  end
end
redis.call('PEXPIRE', KEYS[1], lease)
"""
# KEYS[1]: every lease. The live leases.
COUNT = _NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""


class SharedPhoneLines(PhoneLines):
    """:class:`~voice_channel.telephony.phone_lines.PhoneLines` (this replica's lines),
    whose lines are also leases over the cluster; thread-safe."""

    def __init__(self, state: SharedState, max_calls: int = DEFAULT_MAX_CALLS,
                 max_per_holder: Optional[int] = None, *,
                 cluster_max_calls: Optional[int] = None, lease_s: float = LEASE_S,
                 renew_every_s: float = RENEW_EVERY_S) -> None:
        super().__init__(max_calls, max_per_holder)
        if cluster_max_calls is not None and (not isinstance(cluster_max_calls, int)
                                              or isinstance(cluster_max_calls, bool)
                                              or cluster_max_calls < 1):
            raise ValueError("cluster_max_calls must be a positive integer")
        if not 0 < renew_every_s < lease_s:
            raise ValueError("leases must be renewed more often than they expire")
        self.cluster_max_calls = cluster_max_calls
        self._state = state
        self._everyone = state.name("lines")
        self._lease_ms = int(lease_s * 1000)
        self._renew_every = renew_every_s
        self._take_script = state.client.register_script(TAKE)
        self._renew_script = state.client.register_script(RENEW)
        self._count_script = state.client.register_script(COUNT)
        self._leases: Dict[str, str] = {}  # lease id → its holder's key (else every lease's)
        self._leases_lock = threading.Lock()
        self._stopped = threading.Event()
        self._renewer: Optional[threading.Thread] = None

    @property
    def all_busy(self) -> bool:
        """This replica's lines are all taken, or the cluster's (or Redis, which counts
        them, does not answer)."""
        if super().all_busy:
            return True
        if self.cluster_max_calls is None:
            return False
        try:
            live = self._run(lambda client: self._count_script(keys=[self._everyone],
                                                                client=client))
        except SharedStateUnavailable:
            return True
        return int(live) >= self.cluster_max_calls

    def take(self, holder: Optional[str] = None) -> Optional[Callable[[], None]]:
        """A line of this replica and a lease over the cluster, as the function that frees
        both (idempotent), or None when either is refused."""
        release_here = super().take(holder)
        if release_here is None or (holder is None and self.cluster_max_calls is None):
            return release_here
        lease = self._take_lease(holder)
        if lease is None:
            release_here()
            return None

        def release() -> None:
            release_here()
            self._release_lease(lease)

        return release

    def close(self) -> None:
        """Stop renewing this replica's leases (they expire within a lease)."""
        self._stopped.set()

    # -- leases -----------------------------------------------------------------------

    def _run(self, operation: Callable[[Any], T]) -> T:
        return self._state.run(PIECE, REFUSED, operation)

    def _take_lease(self, holder: Optional[str]) -> Optional[str]:
        lease = secrets.token_hex(8)
        keys = [self._everyone]
        if holder is not None:
            keys.append(self._state.key("line-holder", holder))
        arguments = [lease, self._lease_ms, self.cluster_max_calls or 0, self.max_per_holder]
        try:
            taken = self._run(lambda client: self._take_script(keys=keys, args=arguments,
                                                                client=client))
        except SharedStateUnavailable:
            return None
        if taken != 1:
            return None
        with self._leases_lock:
            self._leases[lease] = keys[-1]
            if self._renewer is None:
                self._renewer = threading.Thread(target=self._keep_renewing, daemon=True,
                                                 name="phone-line-leases")
                self._renewer.start()
        return lease

    def _release_lease(self, lease: str) -> None:
        with self._leases_lock:
            holder_key = self._leases.pop(lease, None)
        if holder_key is None:  # released already
            return

        def remove(client) -> None:
            with client.pipeline(transaction=True) as pipeline:
                pipeline.zrem(self._everyone, lease).zrem(holder_key, lease).execute()

        try:
            self._run(remove)
        except SharedStateUnavailable:
            pass  # the lease expires by itself

    def _keep_renewing(self) -> None:
        while not self._stopped.wait(self._renew_every):
            self._renew()

    def _renew(self) -> None:
        with self._leases_lock:
            held = list(self._leases.items())
        if not held:
            return
        keys: List[str] = [self._everyone] + [holder_key for _, holder_key in held]
        arguments: List[object] = [self._lease_ms] + [lease for lease, _ in held]
        try:
            self._state.run(PIECE, "calls in progress go on; their leases may expire",
                            lambda client: self._renew_script(keys=keys, args=arguments,
                                                              client=client))
        except SharedStateUnavailable:
            pass
