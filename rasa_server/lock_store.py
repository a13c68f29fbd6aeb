"""Rasa's ticket lock in Redis, with every change made inside Redis in one step, so that
several Rasa replicas (or Sanic workers) can share it.

Why: Rasa handles the messages of one conversation one at a time, in the order of the
tickets its lock store hands out (``LockStore.lock``). Rasa's
:class:`~rasa.core.lock_store.RedisLockStore` keeps a conversation's lock as one JSON
string, and every change (issuing a ticket, dropping expired ones, finishing) reads that
string, edits it in Python and writes it back (``issue_ticket``, ``update_lock``,
``finish_serving``, ``cleanup``). Nothing stops two processes from doing it at the same
time (RasaHQ/rasa#9213): both read the same lock and the later write erases the other's
change. Two replicas then hold the same ticket number, or a ticket is lost, and two
messages of one call are processed at once; the tracker saved last wins and the other
turn's events are gone. A finished ticket that a stale write brings back stops every
turn behind it until it expires (60 s by default). The process tests of
``tests/rasa_server/test_lock_store`` fail on Rasa's store in both ways.

How: :class:`AtomicRedisLockStore` keeps a conversation's tickets in a Redis sorted set,
``<prefix>lock-tickets:<conversation id>``. The member is the ticket number and the score
is the ticket's expiry, in milliseconds on Redis's clock (``TIME``), so the replicas'
clocks play no part. The last number issued is in ``<prefix>lock-counter:<conversation
id>``. Every operation is one Lua script, and Redis runs a script with nothing in
between. Each script first drops the expired tickets, then:

* issuing increments the counter (``INCR``) and adds the ticket;
* the position script counts the live tickets before ours: 0 means our turn, and a
  ticket that is gone (expired) raises :class:`LockError` instead of waiting forever;
* finishing removes the ticket. Redis deletes a sorted set whose last member is
  removed, so the lock disappears with its last ticket.

The counter stays alive for a lock lifetime after its last ticket: a number is not
handed out again while a waiter could still be holding it. Both keys expire by
themselves, so a replica that dies holding a ticket leaves nothing behind. A ticket
lives for the ``lock_lifetime`` Rasa passes, by default Rasa's ``LOCK_LIFETIME``
(``TICKET_LOCK_LIFETIME``, read by Rasa). The store never writes a whole lock back:
:meth:`AtomicRedisLockStore.save_lock` refuses. Redis 5 or later is needed, because the
scripts write after reading ``TIME``. Rasa's lock store API is synchronous (one round
trip per call); a Redis that does not answer raises :class:`LockError` after
``socket_timeout`` seconds (5 by default) instead of holding the turn.

``endpoints.yml`` names the class, and Rasa builds it with the ``url`` (the Redis host)
and the other keys of the section, as for its ``redis`` type::

    lock_store:
      type: rasa_server.lock_store.AtomicRedisLockStore
      url: ${REDIS_HOST}
      port: 6379
      password: ${REDIS_PASSWORD}
      db: 1
      key_prefix: clinic
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, List, Optional, Text

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_SOCKET_TIMEOUT_S = 5.0
TICKETS = "lock-tickets:"
COUNTER = "lock-counter:"

# KEYS[1] the tickets (sorted set: number -> expiry in ms), KEYS[2] the counter.
_DROP_EXPIRED = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%d', now))
"""
# ARGV[1] the ticket's lifetime in ms, ARGV[2] how much longer the counter lives (ms).
_ISSUE = _DROP_EXPIRED + """
local number = redis.call('INCR', KEYS[2]) - 1
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), number)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], string.format('%d', tonumber(last[2]) + 1))
local keep = math.max(tonumber(ARGV[1]), 0) + tonumber(ARGV[2])
if redis.call('PTTL', KEYS[2]) < keep then redis.call('PEXPIRE', KEYS[2], keep) end
return number
"""
# ARGV[1] the ticket: how many live tickets are before it, -1 if it is gone.
_POSITION = _DROP_EXPIRED + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
local ahead = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if tonumber(member) < tonumber(ARGV[1]) then ahead = ahead + 1 end
end
return ahead
"""
# ARGV[1] (optional) the ticket to remove: the number of live tickets left.
_FINISH = _DROP_EXPIRED + """
if ARGV[1] then redis.call('ZREM', KEYS[1], ARGV[1]) end
return redis.call('ZCARD', KEYS[1])
"""
_SNAPSHOT = _DROP_EXPIRED + """
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
"""


def redis_client(
    host: Text = "localhost",
    port: int = 6379,
    db: int = 1,
    username: Optional[Text] = None,
    password: Optional[Text] = None,
    use_ssl: bool = False,
    ssl_certfile: Optional[Text] = None,
    ssl_keyfile: Optional[Text] = None,
    ssl_ca_certs: Optional[Text] = None,
    socket_timeout: float = DEFAULT_SOCKET_TIMEOUT_S,
) -> redis.Redis:
    """A client with the settings of Rasa's ``RedisLockStore`` (same names, same
    defaults but the timeout), which gives up connecting after ``socket_timeout`` too."""
    return redis.Redis(
        host=host, port=int(port), db=int(db), username=username, password=password,
        ssl=bool(use_ssl), ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
        ssl_ca_certs=ssl_ca_certs, socket_timeout=float(socket_timeout),
        socket_connect_timeout=float(socket_timeout),
    )


def key_prefix_for(key_prefix: Optional[Text]) -> Text:
    """``clinic`` -> ``clinic:``; Rasa's rule (letters and digits only), but refused
    rather than replaced by the default with a warning."""
    if key_prefix is None or key_prefix == "":
        return ""
    if not (isinstance(key_prefix, str) and key_prefix.isalnum()):
        raise ValueError(f"lock_store key_prefix must be letters and digits: {key_prefix!r}")
    return key_prefix + ":"


class AtomicRedisLockStore(LockStore):
    """Rasa's :class:`LockStore` on Redis, each ticket operation one atomic Lua script."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None,
                 key_prefix: Optional[Text] = None, **settings: Any) -> None:
        """Built by Rasa with ``endpoint_config`` (``url`` is the host, the section's
        other keys are ``settings``), or directly with :func:`redis_client`'s keyword
        arguments and ``key_prefix``. An unknown setting raises :class:`TypeError`."""
        if endpoint_config is not None:
            settings = {"host": endpoint_config.url or "localhost",
                        **endpoint_config.kwargs, **settings}
            key_prefix = settings.pop("key_prefix", key_prefix)
        self.red = redis_client(**settings)
        self.key_prefix = key_prefix_for(key_prefix)
        self._issue = self.red.register_script(_ISSUE)
        self._position = self.red.register_script(_POSITION)
        self._finish = self.red.register_script(_FINISH)
        self._snapshot = self.red.register_script(_SNAPSHOT)
        super().__init__()

    def keys(self, conversation_id: Text) -> List[Text]:
        """The Redis keys of a conversation's tickets and of its ticket counter."""
        return [self.key_prefix + TICKETS + conversation_id,
                self.key_prefix + COUNTER + conversation_id]

    def _run(self, script: Any, conversation_id: Text, *args: Any) -> Any:
        try:
            return script(keys=self.keys(conversation_id), args=list(args))
        except redis.RedisError as error:
            raise LockError(f"Lock store error for conversation '{conversation_id}': "
                            f"{error.__class__.__name__}: {error}") from error

    def issue_ticket(self, conversation_id: Text,
                     lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket, valid ``lock_lifetime`` seconds, after every live one."""
        linger_ms = round(max(lock_lifetime, LOCK_LIFETIME) * 1000)
        return int(self._run(self._issue, conversation_id,
                             round(lock_lifetime * 1000), linger_ms))

    def tickets_ahead(self, conversation_id: Text, ticket: int) -> Optional[int]:
        """How many live tickets come before ``ticket`` (0: its turn); ``None`` when the
        ticket is no longer there (expired, finished or deleted)."""
        ahead = int(self._run(self._position, conversation_id, ticket))
        return None if ahead < 0 else ahead

    async def _acquire_lock(self, conversation_id: Text, ticket: int,
                            wait_time_in_seconds: float) -> TicketLock:
        """Waits for ``ticket``'s turn, polling every ``wait_time_in_seconds``; raises
        :class:`LockError` as soon as the ticket is gone."""
        while True:
            ahead = self.tickets_ahead(conversation_id, ticket)
            if ahead is None:
                raise LockError(f"Could not acquire lock for conversation_id "
                                f"'{conversation_id}': ticket {ticket} expired.")
            if ahead == 0:
                logger.debug(f"Acquired lock for conversation '{conversation_id}'.")
                return self.get_lock(conversation_id) or self.create_lock(conversation_id)
            logger.debug(f"Ticket {ticket} of conversation '{conversation_id}' waits for "
                         f"{ahead} other(s); retrying in {wait_time_in_seconds} s.")
            await asyncio.sleep(wait_time_in_seconds)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Removes the ticket (and the lock, with its last ticket)."""
        self._run(self._finish, conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Same as :meth:`finish_serving`: the lock goes away with its last ticket, in
        the same step."""
        self.finish_serving(conversation_id, ticket_number)

    def update_lock(self, conversation_id: Text) -> None:
        """Drops the expired tickets."""
        self._run(self._finish, conversation_id)

    def is_someone_waiting(self, conversation_id: Text) -> bool:
        """Whether a live ticket remains (expired ones dropped first)."""
        return int(self._run(self._finish, conversation_id)) > 0

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        """A snapshot of the live tickets, in number order (``None``: no lock)."""
        flat = self._run(self._snapshot, conversation_id)
        if not flat:
            return None
        tickets = sorted((Ticket(int(number), float(expiry) / 1000)
                          for number, expiry in zip(flat[::2], flat[1::2])),
                         key=lambda ticket: ticket.number)
        return TicketLock(conversation_id, deque(tickets))

    def delete_lock(self, conversation_id: Text) -> None:
        """Deletes the tickets (their holders then get :class:`LockError`); the counter
        stays, so their numbers are not reused."""
        try:
            deleted = self.red.delete(self.keys(conversation_id)[0])
        except redis.RedisError as error:
            raise LockError(f"Lock store error: {error}") from error
        self._log_deletion(conversation_id, bool(deleted))

    def save_lock(self, lock: TicketLock) -> None:
        """Refused: writing a whole lock back is the read-modify-write of
        RasaHQ/rasa#9213. This store changes tickets only through its scripts."""
        raise NotImplementedError(
            "AtomicRedisLockStore never writes a whole lock back (RasaHQ/rasa#9213); "
            "use issue_ticket, finish_serving or update_lock.")

