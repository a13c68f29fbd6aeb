"""Reading a stream's frames: one at a time, with an idle deadline and a budget for bad ones.

:func:`read_frames` hands each text frame to ``on_frame`` until the call ends, the
client goes (``receive()`` returns None or raises) or no frame comes for
``idle_timeout`` seconds (a stream that never sends ``stop``). :class:`ProtocolErrors`
counts the frames that were skipped, by reason (never their content); past its
``limit`` the call ends (a client sending garbage is not a caller).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from voice_channel.call.clock import Clock
from voice_channel.call.lifetime import CallLifetime

logger = logging.getLogger(__name__)

Receive = Callable[[], Awaitable[Optional[str]]]


class ProtocolErrors:
    def __init__(self, limit: int, lifetime: CallLifetime) -> None:
        self.limit = limit
        self.lifetime = lifetime
        self.counts: Dict[str, int] = {}

    def add(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        logger.warning("call %s: ignored frame: %s", self.lifetime.call_sid, reason)
        if sum(self.counts.values()) >= self.limit:
            logger.warning("call %s: too many invalid frames, ending the call",
                           self.lifetime.call_sid)
            self.lifetime.end("protocol_errors")


async def read_frames(receive: Receive, on_frame: Callable[[Any], Awaitable[None]],
                      lifetime: CallLifetime, clock: Clock, idle_timeout: float) -> None:
    ended = asyncio.ensure_future(lifetime.wait())
    frame_task: "Optional[asyncio.Future[Optional[str]]]" = None
    try:
        while not lifetime.ended:
            frame_task = asyncio.ensure_future(receive())
            done, _ = await asyncio.wait(
                {frame_task, ended}, timeout=clock.real_seconds(idle_timeout),
                return_when=asyncio.FIRST_COMPLETED)
            if frame_task not in done:
                frame_task.cancel()
                await asyncio.gather(frame_task, return_exceptions=True)
                if not lifetime.ended:
                    logger.warning("call %s: no frame for %.0f s, ending the call",
                                   lifetime.call_sid, idle_timeout)
                    lifetime.end("idle_timeout")
                return
            try:
                frame = frame_task.result()
            except Exception as error:
                logger.warning("call %s: receive failed (%s), ending the call",
                               lifetime.call_sid, type(error).__name__)
                lifetime.end("receive_failed")
                return
            if frame is None:
                logger.info("call %s: the client closed the stream", lifetime.call_sid)
                lifetime.end("client_gone")
                return
            await on_frame(frame)
    finally:
        ended.cancel()
        if frame_task is not None and not frame_task.done():
            frame_task.cancel()  # cancelled while waiting for a frame: no orphan receive
