"""The speaking side of :class:`simulation.phone_caller.SimulatedCaller`: one ``media``
frame every 20 ms in real time for the whole call, paced against absolute deadlines
(drift-corrected), the caller's speech when it talks and silence otherwise, as a phone
line never stops sending; keys on the keypad as ``dtmf`` events. The end of each turn is
the moment its last speech frame (or its last key) was sent.

A mixin: the state it works on is made by ``SimulatedCaller.__init__``.
"""
from __future__ import annotations

import asyncio
import base64
from typing import Optional, Union

import numpy as np
import websockets

from simulation.call_turns import Turn
from simulation.line_audio import FRAME_S, LEAD_SILENCE_S, speech_of, utterance_frames
from voice_channel.telephony.media_streams import DTMF_DIGITS, FRAME_MS

KEY_GAP_S = 0.2  # between two DTMF keys (a tone is ~100 ms, plus the finger)


class CallClosedByServer(ConnectionError):
    """The server closed the stream while the caller was speaking (or before)."""


class SpeakingSide:
    """What the caller sends: frames, speech, keys."""

    async def _send_media(self) -> None:
        """One frame every 20 ms against absolute deadlines, speech or silence."""
        start = self._loop.time()
        chunk = 0
        try:
            while not self._stopped:
                deadline = start + chunk * FRAME_S
                delay = deadline - self._loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    self.max_send_lag = max(self.max_send_lag, -delay)
                    if -delay > FRAME_S:
                        self.late_frames += 1
                frame, ends, done = (self._outgoing.popleft() if self._outgoing
                                     else (self._silence, None, None))
                await self._send({
                    "event": "media", "streamSid": self.stream_sid,
                    "media": {"track": "inbound", "chunk": str(chunk + 1),
                              "timestamp": str(chunk * FRAME_MS),
                              "payload": base64.b64encode(frame).decode("ascii")},
                })
                chunk += 1
                self.frames_sent = chunk
                if ends is not None:
                    ends.ended_at = self._loop.time()
                if done is not None and not done.done():
                    done.set_result(self._loop.time())
        except websockets.ConnectionClosed:
            pass
        finally:
            for _, _, done in self._outgoing:
                if done is not None and not done.done():
                    done.cancel()

    async def say(self, what: Union[str, np.ndarray], *, label: Optional[str] = None,
                  lead_silence: float = LEAD_SILENCE_S) -> Turn:
        """Speak ``what`` (French text for espeak-ng, or 16 kHz samples); returns once
        its last speech frame has been sent (in real time), with the turn's record."""
        audio = speech_of(what, self.voice, self.rate) if isinstance(what, str) else what
        frames, last = utterance_frames(audio, self.format, lead_silence)
        if last < 0:
            raise ValueError("nothing loud enough to be speech in this utterance")
        turn = Turn("speech", label or (what if isinstance(what, str) else "audio"))
        self._raise_if_closed(turn.label)
        self._new_turn(turn)  # bot audio before its end does not count as the reply
        done = self._loop.create_future()
        for index, frame in enumerate(frames):
            ends = index == last
            self._outgoing.append((frame, turn if ends else None, done if ends else None))
        try:
            await done
        except asyncio.CancelledError:
            if done.cancelled() and self.closed:  # the sender stopped: the server hung up
                self._raise_if_closed(turn.label)
            raise
        return turn

    def _raise_if_closed(self, what: str) -> None:
        if self.closed:
            raise CallClosedByServer(
                f"the server closed the call before {what!r} was said: code "
                f"{getattr(self.ws, 'close_code', None)}, reason "
                f"{getattr(self.ws, 'close_reason', None)!r}")

    async def press(self, keys: str, *, gap: float = KEY_GAP_S) -> Turn:
        """Press keys on the keypad, one ``dtmf`` event each, ``gap`` seconds apart."""
        if not keys or any(k not in DTMF_DIGITS for k in keys):
            raise ValueError("keys must be among 0-9, *, #, A-D")
        turn = Turn("dtmf", keys)
        self._new_turn(turn)
        for index, key in enumerate(keys):
            if index:
                await asyncio.sleep(gap)
            await self._send({"event": "dtmf", "streamSid": self.stream_sid,
                              "dtmf": {"track": "inbound_track", "digit": key}})
        turn.ended_at = self._loop.time()
        return turn

    def _new_turn(self, turn: Turn) -> None:
        self.turns.append(turn)
        self._reply.turn = turn
