"""The listening side of :class:`simulation.phone_caller.SimulatedCaller`: it receives
``media`` (decoded and kept), "plays" it in real time, echoes each ``mark`` once the
audio before it has played, and on ``clear`` drops the unplayed audio and echoes the
pending marks at once (what Twilio does); :meth:`ListeningSide.wait_bot_done` waits for
the bot's whole answer to a turn, and times its first audio.

A mixin: the state it works on is made by ``SimulatedCaller.__init__``.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from typing import Any, Dict, Optional

import websockets

from simulation.call_turns import Reply
from simulation.line_audio import decode_payload

# How long after a bot text without audio the reply still waits for its speech.
AUDIO_GRACE_S = 5.0


class BotSilent(asyncio.TimeoutError):
    """The bot did not start (or finish) speaking within the time given."""


class ListeningSide:
    """What the caller hears: the bot's audio, marks, clears and events."""

    @property
    def bot_speaking(self) -> bool:
        """Bot audio still playing, or marks not echoed yet."""
        return self._loop.time() < self._play_end or bool(self._pending_marks)

    async def _receive(self) -> None:
        try:
            async for raw in self.ws:
                try:
                    message = json.loads(raw)
                    self._handle(message)
                except (ValueError, KeyError, TypeError, AttributeError):
                    self.unknown.append({"raw": raw if isinstance(raw, str) else repr(raw)[:200]})
                self._received.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self._reply.closed = True
            self._closed.set()
            self._received.set()

    def _handle(self, message: Dict[str, Any]) -> None:
        now = self._loop.time()
        event = message.get("event")
        reply = self._reply
        if event == "media":
            samples = decode_payload(base64.b64decode(message["media"]["payload"]), self.format)
            turn = self.turns[-1] if self.turns else None
            if turn is not None and turn.ended_at is not None and turn.first_reply_at is None:
                turn.first_reply_at = now
            if reply.started_at is None:
                reply.started_at = now
            reply.last_media_at = now
            reply.chunks.append(samples)
            self._play_end = max(now, self._play_end) + len(samples) / self.format.sample_rate
        elif event == "mark":
            name = message["mark"]["name"]
            reply.marks.append(name)
            self._pending_marks.append([max(now, self._play_end), name])
            self._marks_changed.set()
        elif event == "clear":
            dropped = max(0.0, self._play_end - now)
            reply.clears += 1
            reply.dropped_seconds += dropped
            self.dropped_seconds += dropped
            self._play_end = now
            for pending in self._pending_marks:  # Twilio echoes them all at once
                pending[0] = now
            self._marks_changed.set()
        elif event == "bot":
            reply.texts.append(str(message.get("text", "")))
            reply.last_bot_event_at = now
        elif event == "transcript":
            reply.transcripts.append(str(message.get("text", "")))
        elif event == "transfer":
            reply.transfers.append(str(message.get("to", "")))
            reply.last_bot_event_at = now
        else:
            self.unknown.append(message)

    async def _echo_marks(self) -> None:
        """Echo each mark, in order, once the audio received before it has played."""
        try:
            while True:
                self._marks_changed.clear()
                timeout = None
                if self._pending_marks:
                    due, name = self._pending_marks[0]
                    timeout = due - self._loop.time()
                    if timeout <= 0:
                        self._pending_marks.popleft()
                        await self._send({"event": "mark", "streamSid": self.stream_sid,
                                          "mark": {"name": name}})
                        self.echoed_marks.append((name, self._loop.time()))
                        self._received.set()
                        continue
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._marks_changed.wait(), timeout)
        except websockets.ConnectionClosed:
            pass

    async def _wait_received(self, until: float) -> None:
        self._received.clear()
        remaining = until - self._loop.time()
        if remaining > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._received.wait(), remaining)

    async def wait_bot_done(self, timeout: float = 30.0, settle: Optional[float] = None) -> Reply:
        """Wait until the bot has spoken and its audio has played, then ``settle``
        seconds of no new audio (and every mark echoed); the :class:`Reply` holds what
        came since the previous call. Raises :class:`BotSilent` after ``timeout``
        seconds without that (the partial reply is in ``error.reply``)."""
        settle = self.settle if settle is None else settle
        deadline = self._loop.time() + timeout
        while True:
            reply = self._reply
            now = self._loop.time()
            if self.closed:
                break
            turn = self.turns[-1] if self.turns else None
            # A reply that began before the caller's turn ended (a barge-in) is not
            # the answer to it: wait for something that came after.
            answered = (turn is None or turn.ended_at is None
                        or max(reply.last_media_at or 0.0, reply.last_bot_event_at or 0.0)
                        >= turn.ended_at)
            if reply.heard_anything and answered:
                quiet_since = max(self._play_end, reply.last_media_at or 0.0)
                if reply.last_bot_event_at is not None and (
                        reply.last_media_at is None or reply.last_bot_event_at > reply.last_media_at):
                    # The bot's text comes before its speech: give synthesis time.
                    quiet_since = max(quiet_since, reply.last_bot_event_at + AUDIO_GRACE_S)
                if now >= quiet_since + settle and not self._pending_marks:
                    break
                wake = min(deadline, quiet_since + settle if not self._pending_marks
                           else self._pending_marks[0][0] + 0.05)
            else:
                wake = deadline
            if now >= deadline:
                error = BotSilent(f"the bot did not finish speaking within {timeout:g} s")
                error.reply = reply  # type: ignore[attr-defined]
                raise error
            await self._wait_received(max(wake, now + 0.005))
        self._reply = Reply(self.format.sample_rate, closed=self.closed)
        self.replies.append(reply)
        return reply

    async def wait_closed(self, timeout: float = 30.0) -> bool:
        """True once the server has closed the stream (False after ``timeout``)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closed.wait(), timeout)
        return self.closed
