"""Outbound audio: a reply's PCM → the stream's format → 20 ms ``media`` frames, paced.

:class:`Playback` sends frames in real time (``lead_frames`` ahead, so the far end
never starves), then a ``mark`` after each reply. It knows whether the bot is
**speaking**: frames still queued, or sent but not yet played. "Played" is the echo of
the last mark (Twilio echoes a mark once the audio before it has played) or, for a
client that does not echo marks, the pacing clock; a mark that is never echoed counts
as played ``mark_grace`` seconds after its audio should have ended.

:meth:`Playback.interrupt` is barge-in: it stops the pacing task at once, drops what is
queued and queues ``clear`` (the far end drops what it has buffered) ahead of anything
queued after it. It never waits on the network: it runs in the call's read loop, which
must go on reading (``stop``, marks, the idle timeout) even when the client has stopped
reading and a send blocks. :meth:`Playback.clear` is the same, and returns once the
``clear`` has been sent. Just before, :meth:`Playback.heard` says how many seconds of
each reply had played (by the pacing clock), so that the call can record what the caller
heard before interrupting.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from typing import Awaitable, Callable, Deque, Dict, List, Optional, Set, Tuple

import numpy as np

from voice_channel.call.clock import Clock
from voice_channel.telephony.media_streams import FRAME_MS, MediaFormat
from voice_channel.telephony.outbound_frames import (
    audio_frames,
    clear_message,
    mark_message,
    media_message,
)
from voice_channel.telephony.stream_audio import encode_for_stream

logger = logging.getLogger(__name__)

Send = Callable[[str], Awaitable[None]]
FRAME_SECONDS = FRAME_MS / 1000.0


class Playback:
    def __init__(self, send: Send, stream_sid: str, media_format: MediaFormat, *,
                 clock: Optional[Clock] = None, echo_marks: bool = True, lead_frames: int = 2,
                 mark_grace: float = 2.0,
                 on_audio_start: Optional[Callable[[float], None]] = None) -> None:
        self._send = send
        self.stream_sid = stream_sid
        self.media_format = media_format
        self.clock = clock or Clock()
        self.echo_marks = echo_marks
        self.lead_frames = max(0, lead_frames)
        self.mark_grace = mark_grace
        self.on_audio_start = on_audio_start
        self._queue: Deque[Tuple[str, object]] = deque()
        self._task: Optional[asyncio.Task] = None
        self._outstanding: Set[str] = set()
        self._names = itertools.count(1)
        self._next_due: Optional[float] = None
        self._play_end = float("-inf")  # when the audio sent so far has finished playing
        # Since the last clear: each reply's mark name → [play start, play end] (clock).
        self._timeline: Dict[str, List[float]] = {}
        self._current: Optional[str] = None
        self.frames_sent = 0
        self.marks_sent = 0
        # Set by a barge-in until its ``clear`` is sent (first thing the pacing task does).
        self._clear_due: Optional[asyncio.Future] = None

    # -- state ------------------------------------------------------------------------

    @property
    def speaking(self) -> bool:
        """Audio is queued, or sent and not yet played."""
        if self._queue or (self._task is not None and not self._task.done()
                           and self._clear_due is None):  # sending a clear is not speaking
            return True
        now = self.clock.now()
        if now < self._play_end:
            return True
        return bool(self.echo_marks and self._outstanding and now < self._play_end + self.mark_grace)

    def heard(self) -> Dict[str, float]:
        """Seconds of each reply (by mark name) played so far, since the last clear;
        replies still queued are absent. For a barge-in: call it before :meth:`clear`."""
        now = self.clock.now()
        return {name: round(max(0.0, min(now, end) - start), 2)
                for name, (start, end) in self._timeline.items() if start <= now}

    # -- input ------------------------------------------------------------------------

    def enqueue(self, pcm: np.ndarray, sample_rate: int) -> str:
        """Queue one reply (mono int16 at ``sample_rate``); returns the name of its mark."""
        data = encode_for_stream(np.asarray(pcm, dtype=np.int16), sample_rate, self.media_format)
        name = f"reply-{next(self._names)}"
        self._queue.append(("reply", name))
        for frame in audio_frames(data, self.media_format):
            self._queue.append(("media", frame))
        self._queue.append(("mark", name))
        self._start_pacing()
        return name

    def on_mark(self, name: str) -> bool:
        """A mark echoed by the far end; True when it was one of ours still pending."""
        if name in self._outstanding:
            self._outstanding.discard(name)
            return True
        return False

    def interrupt(self) -> None:
        """Barge-in: stop sending now, drop the queue, and have the pacing task send the
        ``clear`` that tells the far end to drop its buffer, before any audio queued
        after it. Never waits."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()  # it sends nothing more; what it was sending is what clear drops
        self._reset()
        if self._clear_due is None:
            self._clear_due = asyncio.get_running_loop().create_future()
        self._start_pacing()

    async def clear(self) -> None:
        """:meth:`interrupt`, then wait until the ``clear`` has been sent (or the send failed)."""
        self.interrupt()
        await asyncio.wait({self._clear_due, self._task}, return_when=asyncio.FIRST_COMPLETED)

    async def close(self) -> None:
        """The call ends: stop the pacing task, send nothing more."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._reset()
        clear_due, self._clear_due = self._clear_due, None
        if clear_due is not None:
            clear_due.cancel()

    async def drain(self) -> None:
        """Wait until everything queued has been played (or cleared)."""
        while True:
            if self._task is not None and not self._task.done():
                await asyncio.wait({self._task})
                continue
            now = self.clock.now()
            if now < self._play_end:
                await self.clock.sleep(min(self._play_end - now, 0.1))
                continue
            if self.echo_marks and self._outstanding:
                if now >= self._play_end + self.mark_grace:
                    logger.info("marks not echoed %.1f s after their audio: taken as played",
                                self.mark_grace)
                    self._outstanding.clear()
                    return
                await self.clock.sleep(FRAME_SECONDS)
                continue
            return

    # -- pacing -----------------------------------------------------------------------

    def _reset(self) -> None:
        self._queue.clear()
        self._outstanding.clear()
        self._next_due = None
        self._play_end = min(self._play_end, self.clock.now())
        self._timeline.clear()
        self._current = None

    def _start_pacing(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._pace(), name="playback")

    async def _pace(self) -> None:
        if self._clear_due is not None:
            await self._send(clear_message(self.stream_sid))
            clear_due, self._clear_due = self._clear_due, None
            if not clear_due.done():
                clear_due.set_result(None)
        while self._queue:
            kind, data = self._queue.popleft()
            if kind == "reply":
                self._current = str(data)
                continue
            if kind == "mark":
                self._outstanding.add(str(data))
                self.marks_sent += 1
                await self._send(mark_message(self.stream_sid, str(data)))
                continue
            now = self.clock.now()
            if self._next_due is None or now > self._play_end:  # a new run: the line was idle
                self._next_due = now
                self._timeline = {k: v for k, v in self._timeline.items() if k == self._current}
                if self.on_audio_start is not None:
                    self.on_audio_start(now)
            wait = self._next_due - self.lead_frames * FRAME_SECONDS - now
            if wait > 0:
                await self.clock.sleep(wait)
            await self._send(media_message(self.stream_sid, bytes(data)))
            self.frames_sent += 1
            if self._current is not None:  # this frame plays from _next_due on
                self._timeline.setdefault(self._current, [self._next_due, self._next_due])
            self._next_due += FRAME_SECONDS
            self._play_end = self._next_due
            if self._current is not None:
                self._timeline[self._current][1] = self._next_due


async def play_to_the_end(text: str, synthesizer, playback: Playback, mark_grace: float,
                          clock: Clock, call_sid: Optional[str]) -> None:
    """Speak ``text`` and wait until it is played, but never much longer than it lasts
    (a message before the stream is closed: the busy line)."""
    try:
        speech = await synthesizer.synthesize_async(text)
        samples = speech.samples()
        playback.enqueue(samples, speech.sample_rate)
        seconds = len(samples) / speech.sample_rate + mark_grace
        await asyncio.wait_for(playback.drain(), clock.real_seconds(seconds) + 2.0)
    except asyncio.TimeoutError:
        logger.info("call %s: the message was not played in time", call_sid)
