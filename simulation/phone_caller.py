"""A simulated phone caller on the Media Streams WebSocket (``/webhooks/voice/stream``).

It speaks the protocol of :mod:`voice_channel.telephony.media_streams` as Twilio does,
over a real WebSocket (``websockets`` asyncio client):

* sends ``connected`` then ``start`` (``customParameters``: ``caller``, and
  ``events: "true"`` to ask for the JSON ``transcript``/``bot``/``transfer`` events);
* sends one ``media`` frame every 20 ms **in real time** for the whole call, paced
  against absolute deadlines (drift-corrected): the caller's speech when it talks,
  silence otherwise, as a phone line never stops sending;
* speech is real French from espeak-ng (:func:`simulation.synthetic_audio.espeak_wav`),
  resampled to 8 kHz and µ-law encoded with :mod:`voice_channel.telephony.mulaw`, or
  16 kHz little-endian L16 for ``media_format="l16"``;
* sends ``dtmf`` (one event per key) and ``stop``;
* receives ``media`` (decoded and kept), "plays" it in real time, echoes each ``mark``
  once the audio before it has played, and on ``clear`` drops the unplayed audio and
  echoes the pending marks at once (what Twilio does);
* measures voice-to-voice latency per turn: from the moment the last speech frame of
  an utterance (or the last key) was sent to the first bot ``media`` frame received.

The sending side is :mod:`simulation.caller_speaking`, the receiving side
:mod:`simulation.caller_listening`, the audio :mod:`simulation.line_audio` and the turns
and replies :mod:`simulation.call_turns`; their names are importable from here too.

Usage::

    async with SimulatedCaller.connect(url, caller="+33612345678") as call:
        greeting = await call.wait_bot_done()
        await call.say("bonjour, je voudrais prendre un rendez-vous")
        reply = await call.wait_bot_done(timeout=30)
        reply.texts, reply.audio_seconds, reply.latency
        await call.press("482715#")
        await call.hang_up()
    call.latencies  # seconds, one per answered speech turn
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from typing import Any, AsyncIterator, Deque, Dict, List, Mapping, Optional, Tuple
from xml.etree import ElementTree

import httpx
import websockets

from simulation.call_turns import Reply, Turn
from simulation.caller_listening import AUDIO_GRACE_S, BotSilent, ListeningSide
from simulation.caller_speaking import KEY_GAP_S, CallClosedByServer, SpeakingSide
from simulation.line_audio import (
    FORMATS, FRAME_S, LEAD_SILENCE_S, SPEECH_RMS, decode_payload, encode_speech, frame_rms,
    speech_of, utterance_frames,
)

# The call's parts, importable from here as well (the tests and the benches do).
__all__ = ["AUDIO_GRACE_S", "FORMATS", "FRAME_S", "KEY_GAP_S", "LEAD_SILENCE_S",
           "MAX_RECEIVE_BYTES", "SPEECH_RMS", "BotSilent", "CallClosedByServer", "Reply",
           "SimulatedCaller", "Turn", "decode_payload", "encode_speech", "frame_rms",
           "speech_of", "utterance_frames"]
MAX_RECEIVE_BYTES = 1 << 20


class SimulatedCaller(SpeakingSide, ListeningSide):
    """One phone call; build it with :meth:`connect` (an async context manager)."""

    def __init__(self, ws: Any, *, caller: Optional[str], events: bool,
                 media_format: str = "mulaw", parameters: Optional[Mapping[str, str]] = None,
                 settle: float = 0.8, voice: Optional[str] = None,
                 rate: Optional[int] = None, call_sid: Optional[str] = None) -> None:
        if media_format not in FORMATS:
            raise ValueError(f"media_format must be one of {sorted(FORMATS)}")
        self.ws = ws
        self.format = FORMATS[media_format]
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.account_sid = "AC" + uuid.uuid4().hex
        self.parameters: Dict[str, str] = dict(parameters or {})
        if caller:
            self.parameters["caller"] = caller
        if events:
            self.parameters["events"] = "true"
        self.settle = settle
        self.voice = voice  # espeak-ng voice and rate of say(text); None: espeak-ng's "fr"
        self.rate = rate
        self.turns: List[Turn] = []
        self.replies: List[Reply] = []
        self.unknown: List[Dict[str, Any]] = []  # frames we did not understand
        self.echoed_marks: List[Tuple[str, float]] = []  # (name, loop time echoed)
        self.frames_sent = 0
        self.late_frames = 0  # frames sent more than one frame after their deadline
        self.started_at: Optional[float] = None  # loop time the ``start`` message was sent
        self.max_send_lag = 0.0
        self.dropped_seconds = 0.0
        self._loop = asyncio.get_running_loop()
        self._sequence = 0
        self._send_lock = asyncio.Lock()
        # (frame, the turn it ends or None, future set when sent or None)
        self._outgoing: Deque[Tuple[bytes, Optional[Turn], Optional[asyncio.Future]]] = deque()
        self._silence = bytes([self.format.silence_byte]) * self.format.frame_bytes()
        self._play_end = 0.0  # loop time the audio received so far will have played
        self._pending_marks: Deque[List[Any]] = deque()  # [due time, name]
        self._marks_changed = asyncio.Event()
        self._received = asyncio.Event()
        self._closed = asyncio.Event()
        self._stopped = False
        self._reply = Reply(self.format.sample_rate)
        self._tasks: List[asyncio.Task] = []

    # -- connection -----------------------------------------------------------------

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str, *, caller: Optional[str] = "+33612345678",
                      events: bool = True, media_format: str = "mulaw",
                      parameters: Optional[Mapping[str, str]] = None,
                      headers: Optional[Mapping[str, str]] = None,
                      auth_token: Optional[str] = None, open_timeout: float = 20,
                      settle: float = 0.8, voice: Optional[str] = None,
                      rate: Optional[int] = None,
                      call_sid: Optional[str] = None) -> AsyncIterator["SimulatedCaller"]:
        """Open the stream and send ``connected`` + ``start``; hang up on exit.

        ``auth_token``: sign the upgrade with ``X-Twilio-Signature`` as Twilio does
        (HMAC of the URL, no parameters). ``voice``/``rate``: how :meth:`say` speaks text.
        """
        extra = dict(headers or {})
        if auth_token:
            from voice_channel.telephony.twilio_signature import (
                SIGNATURE_HEADER,
                compute_twilio_signature,
            )

            extra[SIGNATURE_HEADER] = compute_twilio_signature(auth_token, url)
        ws = await websockets.connect(url, extra_headers=extra, open_timeout=open_timeout,
                                      max_size=MAX_RECEIVE_BYTES)
        call = cls(ws, caller=caller, events=events, media_format=media_format,
                   parameters=parameters, settle=settle, voice=voice, rate=rate,
                   call_sid=call_sid)
        try:
            await call._start()
            yield call
        finally:
            await call.hang_up()

    @classmethod
    @contextlib.asynccontextmanager
    async def dial(cls, server_url: str, *, caller: str = "+33612345678",
                   prefix: str = "/webhooks/voice", twilio_auth_token: Optional[str] = None,
                   **options: Any) -> AsyncIterator["SimulatedCaller"]:
        """Call as Twilio does: POST the incoming-call webhook (``From``, ``CallSid``),
        signed with ``twilio_auth_token`` as Twilio signs it, take the ``<Parameter>``s
        of its TwiML (the caller and the per-call ticket), then open the stream with them
        (``server_url``: ``http://host:port``)."""
        call_sid = "CA" + uuid.uuid4().hex
        form = {"From": caller, "CallSid": call_sid, "AccountSid": "AC" + uuid.uuid4().hex}
        webhook = f"{server_url}{prefix}/twilio/incoming"
        headers = {}
        if twilio_auth_token:
            from voice_channel.telephony.twilio_signature import (
                SIGNATURE_HEADER,
                compute_twilio_signature,
            )

            headers[SIGNATURE_HEADER] = compute_twilio_signature(twilio_auth_token, webhook, form)
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.post(webhook, data=form, headers=headers)
        answer.raise_for_status()
        parameters = {p.get("name"): p.get("value")
                      for p in ElementTree.fromstring(answer.text).iter("Parameter")}
        if not parameters:
            raise ConnectionRefusedError(f"the TwiML connects no stream: {answer.text}")
        parameters.update(options.pop("parameters", None) or {})
        url = server_url.replace("http", "ws", 1) + f"{prefix}/stream"
        async with cls.connect(url, caller=None, parameters=parameters, call_sid=call_sid,
                               **options) as call:
            yield call

    async def _start(self) -> None:
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        fmt = self.format
        await self._send({
            "event": "start",
            "streamSid": self.stream_sid,
            "start": {
                "accountSid": self.account_sid, "streamSid": self.stream_sid,
                "callSid": self.call_sid, "tracks": ["inbound"],
                "customParameters": self.parameters,
                "mediaFormat": {"encoding": fmt.encoding, "sampleRate": fmt.sample_rate,
                                "channels": fmt.channels},
            },
        })
        self.started_at = self._loop.time()
        self._tasks = [asyncio.create_task(self._send_media(), name="caller-media"),
                       asyncio.create_task(self._receive(), name="caller-receive"),
                       asyncio.create_task(self._echo_marks(), name="caller-marks")]

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def latencies(self) -> List[float]:
        """Voice-to-voice seconds of every answered speech turn, in order."""
        return [t.latency for t in self.turns if t.kind == "speech" and t.latency is not None]

    async def _send(self, message: Dict[str, Any]) -> None:
        async with self._send_lock:
            if message["event"] != "connected":  # Twilio numbers every message after it
                self._sequence += 1
                message = {"event": message["event"], "sequenceNumber": str(self._sequence),
                           **{k: v for k, v in message.items() if k != "event"}}
            await self.ws.send(json.dumps(message))

    async def hang_up(self) -> None:
        """Send ``stop`` and close the WebSocket (nothing if the server closed it)."""
        if self._stopped:
            return
        self._stopped = True
        if not self.closed:
            with contextlib.suppress(websockets.ConnectionClosed, RuntimeError):
                await self._send({"event": "stop", "streamSid": self.stream_sid,
                                  "stop": {"accountSid": self.account_sid,
                                           "callSid": self.call_sid}})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._closed.set()

