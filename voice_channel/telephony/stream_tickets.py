"""Proof that a media stream was announced by us: per-call, expiring, single-use tickets.

Twilio signs its webhook requests, but a stream's ``start`` frame carries no signature and
the signature of the WebSocket upgrade covers a fixed URL that anyone who saw it once can
replay. So the TwiML that answers a call (after its own signature was checked) carries a
``ticket`` ``<Parameter>``: an HMAC over the call SID, the caller's number and an expiry.
Twilio sends it back in ``start.customParameters``; the call is accepted only if the
ticket is valid for that call SID and caller, has not expired and was not used before.
The caller's number is thus signed too (``customParameters`` are not).

The web page gets its ticket from ``POST /stream/ticket`` (see :mod:`voice_channel.telephony.phone_routes`).

A spent ticket is remembered until it expires: in the process's memory
(:class:`SpentTickets`), or, when several replicas share a Redis, there
(:mod:`voice_channel.telephony.shared_tickets`), so that a ticket replayed to another
replica is refused too.

The same secret derives each call's Rasa conversation id (``phone:<hmac of the call
SID>``) and the ``caller_key`` used to count failed identity checks per caller: neither
holds the caller's number, and neither can be guessed without the secret.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from typing import Callable, Dict, Optional, Protocol

from conversation_names import PHONE, conversation_id
from voice_channel.settings import environment

TICKET_PARAMETER = "ticket"
VERSION = "v1"
DEFAULT_TTL_S = 60.0  # Twilio opens the stream within a second or two of the TwiML


class SpentTicketStore(Protocol):
    def spend(self, signature: str, expiry: int, now: float) -> Optional[str]:
        """None the first time ``signature`` (valid until ``expiry``) is spent, else a
        reason safe to log (``ticket already used``, or why it could not be checked)."""


class SpentTickets:
    """The tickets spent in this process, forgotten once expired; thread-safe."""

    def __init__(self) -> None:
        self._used: Dict[str, float] = {}  # ticket signature → expiry
        self._lock = threading.Lock()

    def spend(self, signature: str, expiry: int, now: float) -> Optional[str]:
        with self._lock:
            for used, until in list(self._used.items()):
                if until < now:
                    del self._used[used]
            if signature in self._used:
                return "ticket already used"
            self._used[signature] = expiry
        return None


class StreamTickets:
    """Issues and redeems tickets; thread-safe; one per process (the channel's)."""

    def __init__(self, secret: bytes, ttl: float = DEFAULT_TTL_S,
                 clock: Callable[[], float] = time.time,
                 spent: Optional[SpentTicketStore] = None) -> None:
        if len(secret) < 16:
            raise ValueError("the stream secret must be at least 16 bytes")
        self._secret = secret
        self._ttl = ttl
        self._clock = clock
        self._spent = spent or SpentTickets()

    @classmethod
    def from_environment(cls, configured: Optional[str] = None) -> "StreamTickets":
        """The secret of ``configured`` or ``VOICE_CHANNEL_SECRET``, else a random one
        (tickets and conversation ids then last as long as the process)."""
        value = configured or environment().voice_channel_secret or ""
        secret = value.encode("utf-8") if value else secrets.token_bytes(32)
        return cls(secret)

    # -- tickets ----------------------------------------------------------------------------

    def issue(self, call_sid: str, caller: Optional[str] = None) -> str:
        expiry = int(self._clock() + self._ttl)
        return f"{VERSION}.{expiry}.{self._sign(call_sid, caller, expiry)}"

    def redeem(self, ticket: Optional[str], call_sid: str, caller: Optional[str]) -> Optional[str]:
        """None when ``ticket`` admits this call (it is then spent), else a reason safe to log."""
        if not ticket or not isinstance(ticket, str):
            return "no ticket"
        parts = ticket.split(".")
        if len(parts) != 3 or parts[0] != VERSION or not parts[1].isdigit():
            return "malformed ticket"
        expiry = int(parts[1])
        expected = self._sign(call_sid, caller, expiry)
        if not hmac.compare_digest(parts[2].encode("ascii", "replace"), expected.encode("ascii")):
            return "ticket does not match this call"
        now = self._clock()
        if expiry < now:
            return "ticket expired"
        return self._spent.spend(expected, expiry, now)

    # -- opaque ids -------------------------------------------------------------------------

    def conversation_id(self, call_sid: str) -> str:
        """The call's Rasa sender id: ``phone:`` and 24 hex digits, never the number."""
        return conversation_id(PHONE, self._digest("conversation", call_sid)[:24])

    def caller_key(self, kind: str, value: str) -> str:
        """An opaque, stable key for a caller (``kind`` ``phone`` or ``web``)."""
        return conversation_id(kind, self._digest(f"caller-{kind}", value)[:32])

    def _sign(self, call_sid: str, caller: Optional[str], expiry: int) -> str:
        return self._digest("ticket", f"{call_sid}\n{caller or ''}\n{expiry}")

    def _digest(self, purpose: str, value: str) -> str:
        message = f"{purpose}\n{value}".encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
