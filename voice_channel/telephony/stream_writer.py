"""Writing to one call's stream: a send that fails ends the call; our own events only
when the client asked for them (``start``'s custom parameters).

Handing the call over to a person is written here too: through Twilio's REST API when
the channel has Twilio's credentials, else (our web page, tests) as a
``{"event": "transfer", "to": …}`` frame, and the client shows the number. Either way
the call then ends, with the reason :meth:`StreamWriter.hand_over` returns.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from voice_channel.call.lifetime import CallEnded, CallLifetime
from voice_channel.telephony.outbound_frames import event_message

logger = logging.getLogger(__name__)

Send = Callable[[str], Awaitable[None]]
RestTransfer = Callable[[str, str], Awaitable[None]]  # (call_sid, number): Twilio's REST API


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

    async def hand_over(self, number: str, rest_transfer: Optional[RestTransfer]) -> str:
        """Transfer the call to ``number``; the reason the call ends with."""
        call_sid = self._lifetime.call_sid
        if not number:
            logger.warning("call %s: handoff without a number", call_sid)
            return "handoff_without_number"
        if rest_transfer is not None:
            try:
                await rest_transfer(call_sid, number)
                logger.info("call %s: transferred through Twilio", call_sid)
            except Exception as error:
                logger.warning("call %s: transfer failed (%s)", call_sid, type(error).__name__)
                return "transfer_failed"
        else:
            await self.send(event_message(self.stream_sid, {"event": "transfer", "to": number}))
        return "transfer"
