"""A tiny local stand-in for the server side of ``/webhooks/voice/stream``.

Enough of the Media Streams protocol to prove :mod:`simulation.phone_caller` before the
real route exists: it parses every inbound frame with the project's
:func:`voice_channel.telephony.media_streams.parse_message`, greets as soon as the
stream starts (a tone in the stream's format, then a ``mark`` and a ``bot`` event),
ends the caller's turn after 500 ms of silence (or a ``#`` key) and answers with the
next scripted text, sends ``clear`` when the caller talks over a reply still
playing (barge-in: a ``mark`` not echoed yet), says goodbye and closes once the
script is spent. Everything it saw is kept per call for the tests to check.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
import websockets

from voice_channel.telephony.media_streams import (
    Dtmf,
    Mark,
    Media,
    ProtocolError,
    Start,
    Stop,
    parse_message,
)
from voice_channel.telephony.outbound_frames import (
    audio_frames,
    clear_message,
    mark_message,
    media_message,
)
from voice_channel.telephony.stream_audio import InboundAudio

from simulation.line_audio import SPEECH_RMS, encode_speech

STREAM_PATH = "/webhooks/voice/stream"
GOODBYE = "Merci de votre appel, au revoir."


@dataclass
class FakeCall:
    path: str
    start: Optional[Start] = None
    connected: bool = False
    media_arrivals: List[float] = field(default_factory=list)  # loop time of each frame
    chunks: List[int] = field(default_factory=list)
    timestamps: List[int] = field(default_factory=list)
    payload_sizes: List[int] = field(default_factory=list)
    sequence_numbers: List[int] = field(default_factory=list)
    inbound: List[np.ndarray] = field(default_factory=list, repr=False)  # 16 kHz int16
    utterances: List[float] = field(default_factory=list)  # seconds of speech per turn
    turn_ends: List[float] = field(default_factory=list)  # loop time a turn was detected
    digits: str = ""
    marks_sent: List[Tuple[str, float, float]] = field(default_factory=list)  # name, time, audio s
    marks_echoed: List[Tuple[str, float]] = field(default_factory=list)
    clears: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def inbound_audio(self) -> np.ndarray:
        return np.concatenate(self.inbound) if self.inbound else np.zeros(0, dtype=np.int16)


class FakePhoneServer:
    """``async with FakePhoneServer(replies=[...]) as server: server.url``."""

    def __init__(self, replies: Sequence[str] = (), *,
                 greeting: str = "Bonjour, vous êtes bien au cabinet médical.",
                 seconds_per_char: float = 0.02, end_silence: float = 0.5,
                 think: float = 0.05, transcripts: bool = True) -> None:
        self.replies = list(replies)
        self.greeting = greeting
        self.seconds_per_char = seconds_per_char
        self.end_silence = end_silence
        self.think = think
        self.transcripts = transcripts
        self.calls: List[FakeCall] = []
        self.url = ""
        self._server: Any = None

    async def __aenter__(self) -> "FakePhoneServer":
        # max_queue=None: the handler pauses (thinking, saying goodbye) while the caller
        # keeps streaming; a bounded queue would stop reading and miss the close frame.
        self._server = await websockets.serve(self._handler, "127.0.0.1", 0, max_queue=None)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}{STREAM_PATH}"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._server.close()
        await self._server.wait_closed()

    def tone(self, text: str, fmt) -> bytes:
        seconds = max(0.3, len(text) * self.seconds_per_char)
        t = np.arange(int(seconds * 16000)) / 16000
        return encode_speech((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), fmt)

    async def _speak(self, ws: Any, call: FakeCall, text: str, mark: str,
                     events: bool, pending: List[str]) -> None:
        fmt = call.start.media_format
        audio = self.tone(text, fmt)
        for frame in audio_frames(audio, fmt):  # in one burst: the caller paces playback
            await ws.send(media_message(call.start.stream_sid, frame))
        await ws.send(mark_message(call.start.stream_sid, mark))
        pending.append(mark)
        call.marks_sent.append((mark, asyncio.get_running_loop().time(),
                                len(audio) / fmt.frame_bytes() * 0.02))
        if events:
            await ws.send(json.dumps({"event": "bot", "text": text}))

    async def _handler(self, ws: Any, path: str = "") -> None:
        call = FakeCall(path=path or getattr(ws, "path", ""))
        self.calls.append(call)
        handling = _CallHandling(self, ws, call)
        try:
            async for raw in ws:
                try:
                    event = parse_message(raw)
                except ProtocolError as error:
                    call.errors.append(str(error))
                    continue
                if not await handling.on(event):
                    return
        except websockets.ConnectionClosed:
            pass


class _CallHandling:
    """One call on the fake server: its turns so far, and what each inbound event does."""

    def __init__(self, server: FakePhoneServer, ws: Any, call: FakeCall) -> None:
        self.server, self.ws, self.call = server, ws, call
        self.loop = asyncio.get_running_loop()
        self.script = list(server.replies)
        self.pending: List[str] = []
        self.decoder: Optional[InboundAudio] = None
        self.events = False
        self.speech_frames = self.silent_frames = 0
        self.turn = 0
        self.keys = ""

    async def on(self, event: Any) -> bool:
        """Handle one parsed event; False once the call is over."""
        call = self.call
        if isinstance(event, Start):
            call.start = event
            self.decoder = InboundAudio(event.media_format)
            self.events = event.custom_parameters.get("events") == "true"
            await self.server._speak(self.ws, call, self.server.greeting, "greeting",
                                     self.events, self.pending)
        elif isinstance(event, Media):
            return await self.on_media(event)
        elif isinstance(event, Dtmf):
            return await self.on_key(event)
        elif isinstance(event, Mark):
            call.marks_echoed.append((event.name, self.loop.time()))
            if event.name in self.pending:
                self.pending.remove(event.name)
        elif isinstance(event, Stop):
            call.stopped = True
            return False
        else:
            call.connected = True
        return True

    async def on_media(self, event: Media) -> bool:
        """Keep the frame; a caller's turn ends after ``end_silence`` of silence, and
        speech over a reply still playing clears it (barge-in)."""
        call = self.call
        call.media_arrivals.append(self.loop.time())
        call.chunks.append(event.chunk)
        call.timestamps.append(event.timestamp)
        call.payload_sizes.append(len(event.payload))
        call.sequence_numbers.append(event.sequence_number or 0)
        pcm = self.decoder.to_pcm16k(event.payload)
        call.inbound.append(pcm)
        rms = float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2))) if len(pcm) else 0.0
        if rms > SPEECH_RMS:
            self.speech_frames += 1
            self.silent_frames = 0
            if self.pending:  # barge-in: drop what the caller has not heard
                await self.ws.send(clear_message(call.start.stream_sid))
                call.clears.append(self.loop.time())
                self.pending.clear()
        elif self.speech_frames:
            self.silent_frames += 1
            if self.silent_frames * 0.02 >= self.server.end_silence:
                call.utterances.append(self.speech_frames * 0.02)
                heard = f"{self.speech_frames * 20} ms de parole"
                self.speech_frames = self.silent_frames = 0
                return await self.answer(heard)
        return True

    async def on_key(self, event: Dtmf) -> bool:
        """Keys add up until ``#``, which ends the caller's turn."""
        self.call.digits += event.digit
        if event.digit == "#":
            self.keys, typed = "", self.keys
            return await self.answer(typed)
        self.keys += event.digit
        return True

    async def answer(self, heard: str) -> bool:
        """The next scripted reply; once the script is spent, goodbye and close (False)."""
        server, call = self.server, self.call
        self.turn += 1
        call.turn_ends.append(self.loop.time())
        await asyncio.sleep(server.think)
        if self.events and server.transcripts:
            await self.ws.send(json.dumps({"event": "transcript", "text": heard}))
        if not self.script:
            await server._speak(self.ws, call, GOODBYE, f"turn-{self.turn}", self.events,
                                self.pending)
            await asyncio.sleep(len(GOODBYE) * server.seconds_per_char + 0.3)
            await self.ws.close()
            return False
        await server._speak(self.ws, call, self.script.pop(0), f"turn-{self.turn}", self.events,
                            self.pending)
        return True
