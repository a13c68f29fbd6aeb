"""Spent stream tickets in the Redis the replicas share: a ticket admits one call, on
whichever replica its stream reaches.

Why: Twilio may open the stream on another replica than the one that answered the call,
and a replayed ``start`` may reach any of them; a ticket remembered in one process's
memory (:class:`~voice_channel.telephony.stream_tickets.SpentTickets`) would be spent
once per replica.

How: spending is one atomic ``SET allo:ticket:<hmac of the ticket's signature> 1 NX EX
<seconds>``: the first replica sets the key, every later one finds it. The key lives
until the ticket expires, plus :data:`CLOCK_MARGIN_S` (counted on the spending replica's
clock, so that a replica whose clock is a little behind does not accept the ticket
after Redis forgot it).

Redis down: the ticket is refused ("ticket store unavailable", logged like the other
reasons): unchecked, a ticket seen by anyone who watched one call's stream would open
calls on every replica. The call is closed with 1008, as for a replayed ticket; a
patient who redials when Redis is back gets a new ticket. Calls already in progress
are not affected.
"""
from __future__ import annotations

import math
from typing import Optional

from voice_channel.shared_state import SharedState, SharedStateUnavailable

CLOCK_MARGIN_S = 60  # clocks of the replicas differ by less than this
UNAVAILABLE = "ticket store unavailable"


class SharedSpentTickets:
    """A :class:`~voice_channel.telephony.stream_tickets.SpentTicketStore` in Redis."""

    def __init__(self, state: SharedState) -> None:
        self._state = state

    def spend(self, signature: str, expiry: int, now: float) -> Optional[str]:
        key = self._state.key("ticket", signature)
        seconds = max(1, math.ceil(expiry - now)) + CLOCK_MARGIN_S
        try:
            first = self._state.run("stream tickets", "calls are refused",
                                    lambda client: client.set(key, 1, nx=True, ex=seconds))
        except SharedStateUnavailable:
            return UNAVAILABLE
        return None if first else "ticket already used"
