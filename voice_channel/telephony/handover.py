"""Handing a call over to a person: through Twilio's REST API, else a ``transfer`` frame.

Without Twilio credentials (our web page, tests), the client is sent
``{"event": "transfer", "to": …}`` and shows the number. Either way the call then ends,
with the reason :func:`hand_over` returns.
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable, Dict, Optional

logger = logging.getLogger(__name__)

RestTransfer = Callable[[str, str], Awaitable[None]]  # (call_sid, number): Twilio's REST API
SendFrame = Callable[[Dict[str, str]], Awaitable[None]]  # one frame of our own protocol


async def hand_over(number: str, call_sid: Optional[str], rest_transfer: Optional[RestTransfer],
                    send_frame: SendFrame) -> str:
    """Transfer the call to ``number``; the reason the call ends with."""
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
        await send_frame({"event": "transfer", "to": number})
    return "transfer"
