"""The connection to the Redis that several Rasa replicas share, and what a replica does
when that Redis does not answer.

Why: behind HAProxy, one patient's requests reach any replica. A ticket spent on one
must be refused on the others, one address's turns counted wherever they land, and the
lines counted over the whole cluster. ``VOICE_CHANNEL_REDIS_URL`` names the Redis they
share (see :func:`voice_channel.settings.shared_state_settings`); without it each process
counts in memory, as ``make run`` does. The pieces built on this:

* :mod:`voice_channel.telephony.shared_tickets`: spent stream tickets;
* :mod:`voice_channel.shared_rate`: uses per client address (turns, call tickets);
* :mod:`voice_channel.telephony.shared_lines`: the cluster's lines, as leases.

Keys: ``allo:<kind>:<digest>``, where the digest is an HMAC (the channel's secret, as for
:meth:`~voice_channel.telephony.stream_tickets.StreamTickets.caller_key`) of what is
counted: Redis never holds a phone number, a client address or a ticket in clear. Every
key expires by itself.

Redis down: the channel calls Redis from Sanic's event loop, which also carries every
live call's audio, so a call never waits long. The client connects and reads with a
1 s timeout and never retries; an operation that fails for want of a connection marks
Redis down for :data:`DOWN_PAUSE_S` seconds, during which operations fail at once,
without a round trip. Each piece decides what a failure means (tickets: refused; turns:
allowed; new lines: busy, see their modules) and the failure is logged as one WARNING
per piece and per minute, naming the error's class only: never the URL, which holds the
password.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from typing import Callable, Dict, Tuple, TypeVar

import redis

logger = logging.getLogger(__name__)

NAMESPACE = "allo"
SOCKET_TIMEOUT_S = 1.0  # connect and read: a Redis that does not answer costs 1 s, once
DOWN_PAUSE_S = 5.0  # after a failed connection, Redis is not asked again for this long
WARN_EVERY_S = 60.0  # one WARNING per piece per minute while Redis fails
T = TypeVar("T")


class SharedStateUnavailable(Exception):
    """Redis did not answer (or is known to be down): the caller applies its own policy."""


class SharedState:
    """One process's client of the shared Redis; thread-safe (the lines' renewal runs in a
    thread of its own)."""

    def __init__(self, client: redis.Redis, secret: bytes, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if len(secret) < 16:
            raise ValueError("the shared state's secret must be at least 16 bytes")
        self.client = client
        self._secret = secret
        self._clock = clock
        self._down_until = 0.0
        self._warned: Dict[str, Tuple[float, int]] = {}  # piece → (last warning, failures since)
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, url: str, secret: bytes,
                timeout: float = SOCKET_TIMEOUT_S) -> "SharedState":
        """A client of ``url`` (``redis://:password@host:port/db``); connects on first use,
        so that a replica starts, and refuses calls, while Redis is down."""
        client = redis.Redis.from_url(url, socket_timeout=timeout,
                                      socket_connect_timeout=timeout, retry_on_timeout=False)
        return cls(client, secret)

    def key(self, kind: str, identifier: str) -> str:
        """``allo:<kind>:<hmac of identifier>``: never the identifier itself."""
        message = f"{kind}\n{identifier}".encode("utf-8", "surrogatepass")
        digest = hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]
        return f"{NAMESPACE}:{kind}:{digest}"

    def name(self, kind: str) -> str:
        """A key that names no one: ``allo:<kind>`` (the cluster's leases)."""
        return f"{NAMESPACE}:{kind}"

    def run(self, piece: str, consequence: str, operation: Callable[[redis.Redis], T]) -> T:
        """``operation(client)``, or :class:`SharedStateUnavailable` when Redis fails or is
        known to be down; ``piece`` and ``consequence`` name it in the WARNING."""
        with self._lock:
            down = self._clock() < self._down_until
        if down:
            self._failed(piece, consequence, "Redis is down")
            raise SharedStateUnavailable(piece)
        try:
            return operation(self.client)
        except redis.RedisError as error:
            if isinstance(error, (redis.ConnectionError, redis.TimeoutError)):
                with self._lock:
                    self._down_until = self._clock() + DOWN_PAUSE_S
            self._failed(piece, consequence, type(error).__name__)
            raise SharedStateUnavailable(piece) from error

    def _failed(self, piece: str, consequence: str, cause: str) -> None:
        now = self._clock()
        with self._lock:
            last, since = self._warned.get(piece, (float("-inf"), 0))
            if now - last < WARN_EVERY_S:
                self._warned[piece] = (last, since + 1)
                return
            self._warned[piece] = (now, 0)
        logger.warning("voice channel: shared state unavailable for %s (%s): %s "
                       "(%d more failures since the last warning)", piece, cause, consequence,
                       since)
