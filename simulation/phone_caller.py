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
import base64
import contextlib
import json
import uuid
from collections import deque
from xml.etree import ElementTree
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Deque, Dict, List, Mapping, Optional, Tuple, Union

import httpx
import numpy as np
import websockets

from voice_channel.telephony.media_streams import (
    DTMF_DIGITS,
    FRAME_MS,
    L16_16K,
    MULAW_8K,
    MediaFormat,
)
from voice_channel.telephony.outbound_frames import audio_frames
from voice_channel.telephony.mulaw import mulaw_decode, mulaw_encode, resample

FRAME_S = FRAME_MS / 1000
FORMATS: Dict[str, MediaFormat] = {"mulaw": MULAW_8K, "l16": L16_16K}
SPEECH_RMS = 200.0  # int16 RMS of a 20 ms frame above which it is speech (espeak pauses are ~0)
LEAD_SILENCE_S = 0.2  # a caller takes a breath before talking
KEY_GAP_S = 0.2  # between two DTMF keys (a tone is ~100 ms, plus the finger)
MAX_RECEIVE_BYTES = 1 << 20


# How long after a bot text without audio the reply still waits for its speech.
AUDIO_GRACE_S = 5.0


class CallClosedByServer(ConnectionError):
    """The server closed the stream while the caller was speaking (or before)."""


class BotSilent(asyncio.TimeoutError):
    """The bot did not start (or finish) speaking within the time given."""


# -- audio -----------------------------------------------------------------------------

def encode_speech(samples_16k: np.ndarray, media_format: MediaFormat) -> bytes:
    """16 kHz mono samples (float in [-1, 1] or int16) in the stream's format."""
    from voice_channel.audio.pcm import to_int16

    pcm = to_int16(np.asarray(samples_16k).reshape(-1))
    if media_format == MULAW_8K:
        return mulaw_encode(resample(pcm, 16000, 8000))
    if media_format == L16_16K:
        return pcm.astype("<i2").tobytes()
    raise ValueError(f"unsupported media format {media_format}")


def decode_payload(payload: bytes, media_format: MediaFormat) -> np.ndarray:
    """``int16`` samples (at the format's rate) of one media payload."""
    if media_format == MULAW_8K:
        return mulaw_decode(payload)
    return np.frombuffer(payload[: len(payload) // 2 * 2], dtype="<i2").astype(np.int16)


def frame_rms(frame: bytes, media_format: MediaFormat) -> float:
    samples = decode_payload(frame, media_format).astype(np.float64)
    return float(np.sqrt(np.mean(samples ** 2))) if len(samples) else 0.0


def speech_of(text: str, voice: Optional[str] = None, rate: Optional[int] = None) -> np.ndarray:
    """espeak-ng French for ``text`` at 16 kHz (float32), nothing around it.

    ``voice``/``rate``: espeak-ng's (default :data:`simulation.synthetic_audio.BEST_VOICE`);
    :data:`simulation.synthetic_audio.CALLER_VOICE` is MBROLA's, heard far better over µ-law.
    """
    from simulation.synthetic_audio import BEST_RATE, BEST_VOICE, espeak_wav
    from voice_channel.audio.decode import decode_audio

    return decode_audio(espeak_wav(text, voice or BEST_VOICE, rate or BEST_RATE)).samples


def utterance_frames(audio_16k: np.ndarray, media_format: MediaFormat,
                     lead_silence: float = LEAD_SILENCE_S) -> Tuple[List[bytes], int]:
    """20 ms frames of an utterance (after ``lead_silence``) and the index of its last
    speech frame (-1 if none is loud enough); trailing silence is cut, since the line
    sends silence by itself afterwards."""
    samples = np.asarray(audio_16k).reshape(-1)
    if samples.dtype == np.int16:
        samples = samples.astype(np.float32) / 32768.0
    lead = np.zeros(int(lead_silence * 16000), dtype=np.float32)
    data = encode_speech(np.concatenate([lead, samples.astype(np.float32)]), media_format)
    frames = list(audio_frames(data, media_format))
    loud = [i for i, f in enumerate(frames) if frame_rms(f, media_format) > SPEECH_RMS]
    last = loud[-1] if loud else -1
    return frames[: last + 1] if loud else frames, last


# -- what a turn gives -----------------------------------------------------------------

@dataclass
class Turn:
    """One caller turn: an utterance or keys pressed."""

    kind: str  # "speech" or "dtmf"
    label: str
    ended_at: Optional[float] = None  # loop time the last speech frame / last key was sent
    first_reply_at: Optional[float] = None  # first bot media frame received after it

    @property
    def latency(self) -> Optional[float]:
        if self.first_reply_at is None or self.ended_at is None:
            return None
        return self.first_reply_at - self.ended_at


@dataclass
class Reply:
    """What the bot did between two :meth:`SimulatedCaller.wait_bot_done` returns."""

    sample_rate: int
    texts: List[str] = field(default_factory=list)  # "bot" events
    transcripts: List[str] = field(default_factory=list)  # "transcript" events
    transfers: List[str] = field(default_factory=list)  # "transfer" events ("to")
    marks: List[str] = field(default_factory=list)  # mark names received
    chunks: List[np.ndarray] = field(default_factory=list, repr=False)
    clears: int = 0
    dropped_seconds: float = 0.0  # audio received but dropped unplayed by a clear
    started_at: Optional[float] = None  # first media frame of the reply (loop time)
    last_media_at: Optional[float] = None
    last_bot_event_at: Optional[float] = None  # last "bot" or "transfer" event
    turn: Optional[Turn] = None  # the caller's turn this replies to
    closed: bool = False  # the server closed the stream

    @property
    def audio(self) -> np.ndarray:
        """The bot's audio received, int16 at :attr:`sample_rate`."""
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int16)

    @property
    def audio_seconds(self) -> float:
        return sum(len(c) for c in self.chunks) / self.sample_rate

    @property
    def text(self) -> str:
        return " ".join(self.texts)

    @property
    def latency(self) -> Optional[float]:
        return self.turn.latency if self.turn else None

    @property
    def heard_anything(self) -> bool:
        """The bot has answered: after the caller's turn if there is one this window
        (audio cut by a barge-in before the turn ended does not count)."""
        turn = self.turn
        if turn is None:
            return bool(self.chunks or self.texts or self.transfers)
        if turn.ended_at is None:
            return False
        return turn.first_reply_at is not None or (
            self.last_bot_event_at is not None and self.last_bot_event_at >= turn.ended_at)


# -- the caller ------------------------------------------------------------------------

class SimulatedCaller:
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

    @property
    def bot_speaking(self) -> bool:
        """Bot audio still playing, or marks not echoed yet."""
        return self._loop.time() < self._play_end or bool(self._pending_marks)

    async def _send(self, message: Dict[str, Any]) -> None:
        async with self._send_lock:
            if message["event"] != "connected":  # Twilio numbers every message after it
                self._sequence += 1
                message = {"event": message["event"], "sequenceNumber": str(self._sequence),
                           **{k: v for k, v in message.items() if k != "event"}}
            await self.ws.send(json.dumps(message))

    # -- sending --------------------------------------------------------------------

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

    # -- receiving ------------------------------------------------------------------

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

    # -- waiting for the bot --------------------------------------------------------

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
