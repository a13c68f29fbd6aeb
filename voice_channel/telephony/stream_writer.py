"""Writing to one call's stream: a send that fails ends the call; our own events only
when the client asked for them (``start``'s custom parameters)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from voice_channel.call.lifetime import CallEnded, CallLifetime
from voice_channel.telephony.outbound_frames import event_message

logger = logging.getLogger(__name__)

Send = Callable[[str], Awaitable[None]]


class StreamWriter:
    """The call's side of ``send``: raises :class:`CallEnded` once the call is over."""

    def __init__(self, send: Send, lifetime: CallLifetime) -> None:
        self._send = send
        self._lifetime = lifetime
        self.stream_sid: Optional[str] = None  # known at ``start``
        self.events_enabled = False

    async def send(self, text: str) -> None:
        if self._lifetime.ended:
            raise CallEnded()
        try:
            await self._send(text)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.info("call %s: send failed (%s): the client has gone",
                        self._lifetime.call_sid, type(error).__name__)
            self._lifetime.end("client_gone")
            raise CallEnded() from None

    async def event(self, payload: Dict[str, Any]) -> None:
        """One of our own ``event`` frames (bot text, transcript…), if the client wants them."""
        if self.events_enabled:
            try:
                await self.send(event_message(self.stream_sid, payload))
            except CallEnded:
                pass
