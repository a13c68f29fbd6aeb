"""One phone call over a media stream: the real-time pipeline, transport-agnostic.

``await PhoneCall(recognizer, synthesizer, dialogue, settings, admit=…).serve(receive, send)``
runs a whole call over any text-frame transport (the channel's WebSocket, a test's
queues): ``receive()`` returns the next frame, or None once the client has gone;
``send(text)`` sends one frame. Once it returns, the transport is closed with
:attr:`PhoneCall.close_code` (1000; 1008 refused or misbehaving; 1013 busy).

At ``start`` the channel's ``admit`` function says whether the stream may become a call
(:mod:`.admission`): accepted, the call runs under the admission's opaque ``sender``
(never the caller's number) with its ``metadata`` on every message to the dialogue, and
its ``release`` is called once when the call ends; refused, the stream is closed at once;
busy, the caller hears the busy sentence, then the stream is closed.

Stages, each its own module, with the frames between them::

    media (µ-law 8 kHz | L16 16 kHz) ─ InboundAudio ─► 16 kHz int16
      ─ vad.SileroVad ─► VadWindow (32 ms, p(speech))
      ─ turn_taking.TurnTaking ─► SpeechStarted / PauseStarted / SpeechResumed /
                                  BargeIn / EndOfTurn / Backchannel
      ─ recognition.RecognitionStage (worker thread) ─► Transcript
      ─ Dialogue.say (Rasa) ─► messages ─ SpeechSynthesizer ─► PCM
      ─ playback.Playback ─► paced ``media`` frames + ``mark`` (``clear`` on barge-in)
    dtmf ─ keypad.KeypadCollector ─► digits (as the answer, when an ID or phone is asked)

The reader (this task) never waits on recognition, Rasa or synthesis: those run in the
call's one *dialogue worker* task, fed by a queue of inputs (a new Rasa session, the
greeting, an utterance's transcript, keypad digits, a silence), so barge-in is seen
while the bot speaks.

Bad input never escapes :meth:`PhoneCall.serve`; each case is logged with a reason and
no personal data (no caller number, digits, transcript or audio):

* invalid frames (JSON, unknown event, base64, odd L16 payload), media before
  ``start``, a second ``start``: logged and skipped; after ``max_protocol_errors`` of
  them the call ends (a client sending garbage is not a caller);
* a ``start`` with an unsupported format (wrong sample rate): fatal, the call ends
  (there is no stream to answer on);
* no frame for ``idle_timeout`` seconds (a stream that never sends ``stop``), ``stop``,
  ``receive()`` returning None or raising, ``send`` raising: the call ends, its tasks
  are cancelled;
* an error inside a turn: logged; the caller hears an apology and the call goes on;
  after ``max_turn_errors`` in a row the call ends;
* no ``start`` within ``start_timeout``, or caller audio that runs ahead of the clock
  (:mod:`.realtime_guard`): the call ends (1008);
* no free recognition slot and no place to wait (:mod:`.recognition_queue`): the
  caller is asked to repeat;
* the dialogue silent for ``dialogue_timeout`` (:mod:`.slow_dialogue`): the caller
  hears an apology and is offered the reception (``fallback_transfer_number``);
* whatever the end, an accepted call's dialogue session is closed (a new session for
  its sender), so that nobody can go on with its half-filled form.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Deque, Dict, List, Optional, Tuple

import numpy as np

from voice_channel.never_silent import NOTHING_TO_SAY, ends_the_call
from voice_channel.speech_turn import NOT_HEARD
from voice_channel.stt.base import SpeechRecognizer, Transcript
from voice_channel.stt.hints import RecognitionHint
from voice_channel.telephony.admission import (
    CLOSE_INTERNAL_ERROR, CLOSE_NORMAL, CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER, Admission,
    Admit, ask_admission,
)
from voice_channel.telephony.clock import Clock
from voice_channel.telephony.conversation import SESSION_START, Conversation, Dialogue
from voice_channel.telephony.keypad import KeypadCollector
from voice_channel.telephony.media_streams import (
    MULAW_8K, Connected, Dtmf, Mark, Media, ProtocolError, Start, Stop, parse_message,
)
from voice_channel.telephony.playback import Playback
from voice_channel.telephony.realtime_guard import RealtimeGuard
from voice_channel.telephony.recognition import RecognitionStage, create_recognition
from voice_channel.telephony.recognition_queue import RecognitionBusy, RecognitionQueue
from voice_channel.telephony.slow_dialogue import (
    DECLINED, OFFER_QUESTION, SLOW_CALL_BACK, SLOW_OFFER, TO_RECEPTION, DialogueTimeout,
    answer_to_offer,
)
from voice_channel.telephony.stream_audio import InboundAudio
from voice_channel.telephony.turn_taking import (
    Backchannel, BargeIn, EndOfTurn, PauseStarted, SpeechResumed, SpeechStarted, TurnSettings,
    TurnTaking,
)
from voice_channel.telephony.vad import VoiceActivityDetector, create_vad
from voice_channel.tts.base import SpeechSynthesizer

logger = logging.getLogger(__name__)

Receive = Callable[[], Awaitable[Optional[str]]]
Send = Callable[[str], Awaitable[None]]
Transfer = Callable[[str, str], Awaitable[None]]  # (call_sid, number)

GREET = "/greet"
# Every call starts a new Rasa session (SESSION_START: slots emptied, forms closed): a
# patient who calls back within the session expiry must not land in the middle of the last
# call's form; and its session is closed the same way when it ends.
STILL_THERE = "Êtes-vous toujours là ?"
GOODBYE = "Je n'entends plus rien. Au revoir."
KEYPAD_OFFER = "Vous pouvez aussi taper votre numéro sur le clavier, puis la touche dièse."
APOLOGY = "Excusez-moi, j'ai eu un problème technique. Pouvez-vous répéter, s'il vous plaît ?"
# Said when every recognition slot is taken and the queue is full (many calls at once).
RECOGNITION_BUSY = "Excusez-moi, pouvez-vous répéter ?"
# s for the recognition hint read after each answer (the reply waits for it); past it the
# next turn is recognised without a hint.
HINT_TIMEOUT = 2.0
# The conversation's id without an ``admit`` function: the call's, never the caller's number.
DEFAULT_SENDER_PREFIX = "phone:"
# How the transport is closed after each end reason (1000 for the others).
CLOSE_CODES = {
    "refused": CLOSE_POLICY_VIOLATION, "bad_start": CLOSE_POLICY_VIOLATION,
    "no_start": CLOSE_POLICY_VIOLATION, "faster_than_real_time": CLOSE_POLICY_VIOLATION,
    "protocol_errors": CLOSE_POLICY_VIOLATION, "busy": CLOSE_TRY_AGAIN_LATER,
    "error": CLOSE_INTERNAL_ERROR,
}
KEYPAD_KINDS = ("patient_id", "phone")
TRUE_WORDS = ("true", "1", "yes", "oui", "on")


@dataclass(frozen=True)
class PhoneCallSettings:
    end_of_turn_ms: float = 500.0
    pause_ms: float = 300.0  # speculative recognition starts here (200 cut word ends)
    speech_start_ms: float = 90.0
    barge_in_ms: float = 600.0
    max_utterance_seconds: float = 30.0
    vad: str = "silero"  # or "energy"
    # Measured over µ-law after long digital silence (a caller listening to the bot):
    # at Silero's usual 0.5 a turn was declared up to 680 ms after the voice began and a
    # short "oui" was missed at half the offsets; at 0.3 every "oui" starts a turn, at
    # most ~370 ms late, and noise (white, hiss, hum, coughs) still peaks under 0.1.
    vad_threshold: float = 0.3
    # Audio kept from before the turn was declared, so that its first syllable reaches
    # the recognizer ("Je m'appelle" lost its "Je" with 300 ms).
    preroll_ms: float = 600.0
    recognition_mode: str = "auto"  # "utterance" (Whisper), "streaming" (Vosk), "auto"
    speculative: bool = True
    silence_timeout: float = 8.0  # s after the bot finished speaking
    max_reprompts: int = 2
    keypad_pause: float = 3.0
    idle_timeout: float = 20.0  # s without any frame: the stream is dead
    mark_grace: float = 2.0
    lead_frames: int = 2
    max_protocol_errors: int = 50
    max_turn_errors: int = 3
    greeting: Optional[str] = GREET
    new_session: bool = True  # send SESSION_START to the dialogue before the greeting
    end_session: bool = True  # and again when an accepted call ends (its form is closed)
    session_close_timeout: float = 3.0  # s: the end of a call never waits longer on Rasa
    start_timeout: float = 5.0  # s from the connection to a valid ``start``
    # Twilio sends 20 ms every 20 ms; network jitter and our own event-loop pauses bunch
    # frames by a few hundred ms, rarely a second. 2 s ahead of the clock is no phone
    # line, and a client pushing a file at 10x real time is cut off after ~0.2 s.
    max_audio_ahead_seconds: float = 2.0
    # s for the dialogue to answer a turn or the greeting; with synthesis and the first
    # frames, the caller hears the apology well within 10 s of the end of their turn.
    dialogue_timeout: float = 7.0

    def turn_settings(self) -> TurnSettings:
        return TurnSettings(speech_start_ms=self.speech_start_ms, pause_ms=self.pause_ms,
                            end_of_turn_ms=self.end_of_turn_ms, barge_in_ms=self.barge_in_ms,
                            max_utterance_ms=self.max_utterance_seconds * 1000.0)


@dataclass
class TurnTiming:
    """One caller turn, timed (seconds); no text."""

    kind: str  # "speech" or "keypad"
    audio_seconds: float = 0.0
    recognition_seconds: Optional[float] = None  # end of turn → transcript
    speculation_used: Optional[bool] = None
    dialogue_seconds: Optional[float] = None
    accepted: Optional[bool] = None
    voice_to_voice: Optional[float] = None  # end of caller speech → first bot audio frame

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Input:
    kind: str  # "session", "text", "speech", "silence"
    text: str = ""
    transcript: Optional["asyncio.Task[Transcript]"] = None
    timing: Optional[TurnTiming] = None
    speech_end: Optional[float] = None  # clock time the caller stopped speaking


class CallEnded(Exception):
    """Raised inside the call's tasks to stop them."""


class PhoneCall:
    """One call. Create one per WebSocket connection; :meth:`serve` runs it to its end."""

    def __init__(self, recognizer: SpeechRecognizer, synthesizer: SpeechSynthesizer,
                 dialogue: Dialogue, settings: PhoneCallSettings = PhoneCallSettings(),
                 transfer: Optional[Transfer] = None, *, clock: Optional[Clock] = None,
                 admit: Optional[Admit] = None, fallback_transfer_number: Optional[str] = None,
                 recognition_queue: Optional[RecognitionQueue] = None) -> None:
        """``admit``: the channel's admission check, called once at ``start`` (None: every
        stream is accepted, under "phone:<call SID>"). ``fallback_transfer_number``: the
        reception, offered when the dialogue is too slow. ``recognition_queue``: the bound
        on recognitions (the process's default when None)."""
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.dialogue = dialogue
        self.settings = settings
        self.transfer = transfer
        self.clock = clock or Clock()
        self.admit = admit
        self.fallback_transfer_number = fallback_transfer_number or None
        self.recognition_queue = recognition_queue
        # per-call state
        self.call_sid: Optional[str] = None
        self.stream_sid: Optional[str] = None
        self.sender: Optional[str] = None
        self.events_enabled = False
        self.end_reason: Optional[str] = None
        self.protocol_errors: Dict[str, int] = {}
        self.turns: List[TurnTiming] = []
        self.barge_ins = 0
        self.backchannels = 0
        self.reprompts = 0
        self.transferred_to: Optional[str] = None
        self.admission: Optional[Admission] = None
        self.recognition_busy = 0  # turns not recognised: no recognition slot
        self.dialogue_timeouts = 0
        self._conversation: Optional[Conversation] = None  # once admitted
        self._release: Optional[Callable[[], None]] = None
        self._realtime: Optional[RealtimeGuard] = None
        self._degraded = False  # the dialogue was too slow: the reception has been offered
        self._handling = False  # the worker is handling an input (a dialogue request…)
        self._send_raw: Optional[Send] = None
        self._ended = asyncio.Event()
        self._inputs: "asyncio.Queue[_Input]" = asyncio.Queue()
        self._tasks: List[asyncio.Task] = []
        self._audio: Optional[InboundAudio] = None
        self._vad: Optional[VoiceActivityDetector] = None
        self._turns = TurnTaking(settings.turn_settings())
        self._recognition: Optional[RecognitionStage] = None
        self._playback: Optional[Playback] = None
        self._keypad = KeypadCollector(settings.keypad_pause)
        self._keypad_timer: Optional[asyncio.Task] = None
        self._silence_timer: Optional[asyncio.Task] = None
        self._hint = RecognitionHint()
        self._keypad_offered_for: Optional[Tuple[str, Optional[str]]] = None
        self._preroll: Deque[np.ndarray] = deque()
        self._preroll_samples = 0
        self._generation = 0  # bumped by barge-in: the worker stops speaking that reply
        self._waiting_latency: Optional[_Input] = None
        # The replies of the bot's current turn (mark name → text, seconds), and what
        # the last barge-in cut (sent with the caller's next message, then dropped).
        self._replies: Dict[str, Tuple[str, float]] = {}
        self._barge_in: Optional[Dict[str, Any]] = None
        self._turn_errors = 0
        self._utterance_start_wall: Optional[float] = None
        self._last_speech_wall: Optional[float] = None

    # -- public ---------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    @property
    def accepted(self) -> bool:
        return self.admission is not None and self.admission.accepted

    @property
    def close_code(self) -> int:
        """The WebSocket close code for the transport, once the call has ended."""
        if self.admission is not None and not self.admission.accepted:
            return self.admission.close_code
        return CLOSE_CODES.get(self.end_reason or "", CLOSE_NORMAL)

    async def serve(self, receive: Receive, send: Send) -> None:
        """Run the call until it ends; never raises (except on cancellation)."""
        self._send_raw = send
        started = time.perf_counter()
        try:
            self._spawn(self._start_deadline(), "start-deadline")
            await self._read_loop(receive)
        except CallEnded:
            pass
        except asyncio.CancelledError:
            self._end("cancelled")
            raise
        except Exception as error:  # a bug: log it, end this call, keep the server serving
            logger.exception("call %s: unexpected %s, ending the call", self.call_sid,
                             type(error).__name__)
            self._end("error")
        finally:
            await self._shutdown()
            logger.info("call %s ended (%s, close %d) after %.1f s: %d turns, %d barge-ins, "
                        "%d backchannels ignored, %d re-prompts, %d not recognised (busy), "
                        "%d dialogue timeouts, protocol errors %s",
                        self.call_sid, self.end_reason, self.close_code,
                        time.perf_counter() - started, len(self.turns), self.barge_ins,
                        self.backchannels, self.reprompts, self.recognition_busy,
                        self.dialogue_timeouts, self.protocol_errors or "none")

    async def _start_deadline(self) -> None:
        await self.clock.sleep(self.settings.start_timeout)
        if self.stream_sid is None and not self.ended:
            logger.warning("call: no start within %.0f s, ending the call",
                           self.settings.start_timeout)
            self._end("no_start")

    # -- reading ----------------------------------------------------------------------------

    async def _read_loop(self, receive: Receive) -> None:
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            while not self.ended:
                frame_task = asyncio.ensure_future(receive())
                done, _ = await asyncio.wait(
                    {frame_task, ended}, timeout=self.clock.real_seconds(self.settings.idle_timeout),
                    return_when=asyncio.FIRST_COMPLETED)
                if frame_task not in done:
                    frame_task.cancel()
                    await asyncio.gather(frame_task, return_exceptions=True)
                    if not self.ended:
                        logger.warning("call %s: no frame for %.0f s, ending the call",
                                       self.call_sid, self.settings.idle_timeout)
                        self._end("idle_timeout")
                    return
                try:
                    frame = frame_task.result()
                except Exception as error:
                    logger.warning("call %s: receive failed (%s), ending the call",
                                   self.call_sid, type(error).__name__)
                    self._end("receive_failed")
                    return
                if frame is None:
                    logger.info("call %s: the client closed the stream", self.call_sid)
                    self._end("client_gone")
                    return
                await self._on_frame(frame)
        finally:
            ended.cancel()

    def _protocol_error(self, reason: str) -> None:
        self.protocol_errors[reason] = self.protocol_errors.get(reason, 0) + 1
        logger.warning("call %s: ignored frame: %s", self.call_sid, reason)
        if sum(self.protocol_errors.values()) >= self.settings.max_protocol_errors:
            logger.warning("call %s: too many invalid frames, ending the call", self.call_sid)
            self._end("protocol_errors")

    async def _on_frame(self, frame: Any) -> None:
        try:
            event = parse_message(frame)
        except ProtocolError as error:
            if str(error).startswith("start:") and self.stream_sid is None:
                logger.warning("call: refused start (%s), ending the call", error)
                self._end("bad_start")
                return
            self._protocol_error(str(error))
            return
        if isinstance(event, Start):
            await self._on_start(event)
        elif isinstance(event, Connected):
            return
        elif self.stream_sid is None:
            self._protocol_error(f"{type(event).__name__.lower()} before start")
        elif getattr(event, "stream_sid", self.stream_sid) != self.stream_sid:
            self._protocol_error("frame for another stream")
        elif isinstance(event, Media):
            await self._on_media(event)
        elif isinstance(event, Dtmf):
            await self._on_dtmf(event)
        elif isinstance(event, Mark):
            if self._playback is not None:
                self._playback.on_mark(event.name)
        elif isinstance(event, Stop):
            logger.info("call %s: stop received", self.call_sid)
            self._end("stop")

    async def _on_start(self, start: Start) -> None:
        if self.stream_sid is not None:
            self._protocol_error("second start")
            return
        self.stream_sid = start.stream_sid
        self.call_sid = start.call_sid
        params = start.custom_parameters
        self.events_enabled = params.get("events", "").strip().lower() in TRUE_WORDS
        echo = params.get("marks", "").strip().lower()
        echo_marks = (start.media_format == MULAW_8K) if echo not in ("echo", "none") else echo == "echo"
        self._realtime = RealtimeGuard(start.media_format, self.settings.max_audio_ahead_seconds,
                                       self.clock)
        self._playback = Playback(self._send, start.stream_sid, start.media_format,
                                  clock=self.clock, echo_marks=echo_marks,
                                  lead_frames=self.settings.lead_frames,
                                  mark_grace=self.settings.mark_grace,
                                  on_audio_start=self._on_audio_start)
        self.admission = ask_admission(self.admit, start, DEFAULT_SENDER_PREFIX + start.call_sid)
        self._release = self.admission.release
        if not self.admission.accepted:
            self._not_admitted(self.admission)
            return
        self.sender = self.admission.sender or DEFAULT_SENDER_PREFIX + start.call_sid
        timeout = self.settings.dialogue_timeout
        self._conversation = Conversation(
            self.dialogue, self.sender, self.admission.metadata, call_sid=self.call_sid,
            timeout=self.clock.real_seconds(timeout),
            hint_timeout=self.clock.real_seconds(min(HINT_TIMEOUT, timeout)))
        self._audio = InboundAudio(start.media_format)
        self._vad = create_vad(self.settings.vad, self.settings.vad_threshold)
        self._recognition = create_recognition(
            self.recognizer, self.settings.recognition_mode, on_partial=self._on_partial,
            speculative=self.settings.speculative, queue=self.recognition_queue)
        logger.info("call %s: stream started (%s %d Hz, %s recognition, marks %s)",
                    self.call_sid, start.media_format.encoding, start.media_format.sample_rate,
                    self._recognition.mode, "echoed" if echo_marks else "clocked")
        self._spawn(self._worker(), "dialogue-worker")
        if self.settings.new_session:
            self._inputs.put_nowait(_Input("session"))
        if self.settings.greeting:
            self._inputs.put_nowait(_Input("text", self.settings.greeting))

    # -- caller audio -----------------------------------------------------------------------

    async def _on_media(self, media: Media) -> None:
        if not self._realtime.receive(len(media.payload)):
            logger.warning("call %s: caller audio %.1f s ahead of the clock (faster than real "
                           "time), ending the call", self.call_sid, self._realtime.ahead_seconds)
            self._end("faster_than_real_time")
            return
        if not self.accepted:  # busy: the caller is not listened to
            return
        try:
            pcm = self._audio.to_pcm16k(media.payload)
        except ProtocolError as error:
            self._protocol_error(str(error))
            return
        if self._turns.in_speech:
            self._recognition.feed(pcm)
        else:
            self._preroll.append(pcm)
            self._preroll_samples += len(pcm)
            limit = int(self.settings.preroll_ms * 16)
            while self._preroll and self._preroll_samples - len(self._preroll[0]) >= limit:
                self._preroll_samples -= len(self._preroll.popleft())
        for window in self._vad.process(pcm):
            for event in self._turns.update(window.end_ms, window.duration_ms, window.speech,
                                            self._playback.speaking):
                await self._on_turn_event(event)
            if window.speech:
                self._last_speech_wall = self.clock.now()

    async def _on_turn_event(self, event) -> None:
        if isinstance(event, SpeechStarted):
            self._cancel_silence_timer()
            preroll = (np.concatenate(list(self._preroll)) if self._preroll
                       else np.zeros(0, dtype=np.int16))
            self._preroll.clear()
            self._preroll_samples = 0
            self._recognition.begin(self._hint, preroll)
        elif isinstance(event, PauseStarted):
            self._recognition.pause()
        elif isinstance(event, SpeechResumed):
            self._recognition.resume()
        elif isinstance(event, BargeIn):
            self.barge_ins += 1
            logger.info("call %s: barge-in, the bot stops speaking", self.call_sid)
            await self._interrupt()
        elif isinstance(event, Backchannel):
            self.backchannels += 1
            logger.info("call %s: backchannel of %.0f ms ignored", self.call_sid,
                        event.speech_end_ms - event.start_ms)
            self._recognition.cancel()
            if not self._playback.speaking and not self._handling:
                self._arm_silence_timer()
        elif isinstance(event, EndOfTurn):
            timing = TurnTiming("speech", audio_seconds=event.duration_ms / 1000.0)
            task = asyncio.ensure_future(self._recognition.finish())
            self._inputs.put_nowait(_Input("speech", transcript=task, timing=timing,
                                           speech_end=self._last_speech_wall or self.clock.now()))

    async def _interrupt(self) -> None:
        self._generation += 1
        if self._playback is not None:
            heard = self._playback.heard()
            self._barge_in = {"replies": [
                {"text": text, "seconds": seconds, "heard_seconds": heard.get(name, 0.0)}
                for name, (text, seconds) in self._replies.items()]}
            await self._playback.clear()

    def _on_partial(self, text: str) -> None:
        if self.events_enabled:
            self._spawn(self._send_event({"event": "partial", "text": text}), "partial")

    # -- keypad -----------------------------------------------------------------------------

    @property
    def keypad_active(self) -> bool:
        return self._hint.expected in KEYPAD_KINDS

    async def _on_dtmf(self, dtmf: Dtmf) -> None:
        if not self.accepted or not self.keypad_active:
            logger.info("call %s: key pressed while no number is asked: ignored", self.call_sid)
            return
        self._cancel_silence_timer()
        if self._playback.speaking:
            await self._interrupt()
        digits = self._keypad.press(dtmf.digit, self.clock.now())
        if digits:
            self._keypad_done(digits)
        elif self._keypad.pending:
            if self._keypad_timer is not None:
                self._keypad_timer.cancel()
            self._keypad_timer = self._spawn(self._keypad_wait(), "keypad-pause")

    async def _keypad_wait(self) -> None:
        # Sleep until the pause has really elapsed: a timer may wake a hair early, and an
        # entry left pending would never be sent.
        while self._keypad.deadline is not None:
            await self.clock.sleep(max(self._keypad.deadline - self.clock.now(), 0.001))
            digits = self._keypad.expire(self.clock.now())
            if digits:
                self._keypad_done(digits)
                return

    def _keypad_done(self, digits: str) -> None:
        if self._keypad_timer is not None and self._keypad_timer is not asyncio.current_task():
            self._keypad_timer.cancel()
        self._keypad_timer = None
        logger.info("call %s: keypad entry of %d digits", self.call_sid, len(digits))
        self._inputs.put_nowait(_Input("text", digits, timing=TurnTiming("keypad"),
                                       speech_end=self.clock.now()))

    # -- silence ----------------------------------------------------------------------------

    def _arm_silence_timer(self) -> None:
        self._cancel_silence_timer()
        self._silence_timer = self._spawn(self._silence_wait(), "silence-timer")

    def _cancel_silence_timer(self) -> None:
        if self._silence_timer is not None and self._silence_timer is not asyncio.current_task():
            self._silence_timer.cancel()
        self._silence_timer = None

    async def _silence_wait(self) -> None:
        await self.clock.sleep(self.settings.silence_timeout)
        if (self._turns.in_speech or self._keypad.pending or not self._inputs.empty()
                or self._handling):  # a dialogue request in flight is not silence
            return
        self._silence_timer = None
        self._inputs.put_nowait(_Input("silence"))

    # -- the dialogue worker ----------------------------------------------------------------

    async def _worker(self) -> None:
        while not self.ended:
            item = await self._inputs.get()
            self._cancel_silence_timer()
            self._handling = True
            try:
                await self._handle(item)
                self._turn_errors = 0
            except (CallEnded, asyncio.CancelledError):
                raise
            except Exception as error:
                self._turn_errors += 1
                logger.exception("call %s: turn failed (%s)", self.call_sid, type(error).__name__)
                if self._turn_errors >= self.settings.max_turn_errors:
                    self._end("turn_errors")
                    return
                try:
                    await self._speak([APOLOGY])
                except (CallEnded, asyncio.CancelledError):
                    raise
                except Exception:
                    logger.exception("call %s: apology failed, ending the call", self.call_sid)
                    self._end("turn_errors")
                    return
            finally:
                self._handling = False
            if self._inputs.empty() and not self.ended and not self._turns.in_speech:
                self._arm_silence_timer()

    async def _handle(self, item: _Input) -> None:
        if item.kind == "session":
            try:
                await self._conversation.say(SESSION_START, "session start")
            except DialogueTimeout:
                await self._dialogue_too_slow()
            return
        if item.kind == "silence":
            if self.reprompts >= self.settings.max_reprompts:
                logger.info("call %s: still silent after %d re-prompts: goodbye",
                            self.call_sid, self.reprompts)
                await self._speak([GOODBYE], interruptible=False)
                self._end("silence")
                raise CallEnded()
            self.reprompts += 1
            await self._speak([STILL_THERE])
            return
        text = item.text
        timing = item.timing
        if timing is None and self._degraded:  # the greeting, after a session start too slow
            return
        if item.kind == "speech":
            began = time.perf_counter()
            try:
                transcript = await item.transcript
            except RecognitionBusy:
                self.recognition_busy += 1
                logger.warning("call %s: turn not recognised (recognition_busy): asking to "
                               "repeat", self.call_sid)
                timing.accepted = False
                self._record(timing, item)
                await self._speak([RECOGNITION_BUSY])
                return
            timing.recognition_seconds = time.perf_counter() - began
            timing.speculation_used = self._recognition.speculation_used
            timing.accepted = transcript.accepted
            if not transcript.accepted:
                logger.info("call %s: utterance not usable (%s)", self.call_sid,
                            transcript.rejected_reason or "empty")
                self._record(timing, item)
                await self._speak([NOT_HEARD])
                return
            text = transcript.text
        if timing is not None:
            self.reprompts = 0
            await self._send_event({"event": "transcript", "text": text})
            if self._degraded:
                await self._answer_offer(text, timing, item)
        metadata = None
        if timing is not None and self._barge_in is not None:  # the caller's turn that cut in
            metadata, self._barge_in = {"barge_in": self._barge_in}, None
        began = time.perf_counter()
        try:
            messages = await self._conversation.say(
                text, "turn" if timing is not None else "greeting", metadata)
        except DialogueTimeout:
            if timing is not None:
                timing.dialogue_seconds = time.perf_counter() - began
                self._record(timing, item)
            await self._dialogue_too_slow()
            return
        if timing is not None:
            timing.dialogue_seconds = time.perf_counter() - began
            self._record(timing, item)
        await self._refresh_hint()
        handoff = next((m["custom"] for m in messages if isinstance(m.get("custom"), dict)
                        and m["custom"].get("event") == "handoff"), None)
        texts = [m["text"] for m in messages if isinstance(m.get("text"), str) and m["text"].strip()]
        if not texts and handoff is None and timing is not None:  # a caller turn
            logger.info("call %s: the dialogue had nothing to say: saying what it can do",
                        self.call_sid)
            texts = [NOTHING_TO_SAY]
        if handoff is None and self.keypad_active and texts:
            offer_key = (self._hint.expected, self._hint.question)
            if "clavier" in texts[-1]:  # the dialogue offered the keypad itself
                self._keypad_offered_for = offer_key
            elif offer_key != self._keypad_offered_for:
                self._keypad_offered_for = offer_key
                texts[-1] = f"{texts[-1]} {KEYPAD_OFFER}"
        if handoff is not None:
            await self._speak(texts, interruptible=False)
            await self._transfer(str(handoff.get("transfer_to") or ""))
            raise CallEnded()
        if ends_the_call(messages):  # the dialogue said goodbye: hang up once it is heard
            await self._speak(texts, interruptible=False)
            logger.info("call %s: the dialogue said goodbye: hanging up", self.call_sid)
            self._end("goodbye")
            raise CallEnded()
        await self._speak(texts)

    # -- the dialogue, with a deadline ----------------------------------------------------

    async def _dialogue_too_slow(self) -> None:
        """Apologise; offer the reception (the next turn answers), or say goodbye."""
        self.dialogue_timeouts += 1
        if self.fallback_transfer_number is None:
            logger.warning("call %s: the dialogue has not answered in %.0f s and there is no "
                           "reception number: asking to call back", self.call_sid,
                           self.settings.dialogue_timeout)
            await self._speak([SLOW_CALL_BACK], interruptible=False)
            self._end("dialogue_timeout")
            raise CallEnded()
        logger.warning("call %s: the dialogue has not answered in %.0f s: offering the "
                       "reception", self.call_sid, self.settings.dialogue_timeout)
        self._degraded = True
        self._hint = RecognitionHint(expected="yes_no", question=OFFER_QUESTION)
        self._keypad.reset()
        await self._speak([SLOW_OFFER])

    async def _answer_offer(self, text: str, timing: TurnTiming, item: _Input) -> None:
        """The caller's answer to the offer of the reception: transfer, goodbye, or (any
        other answer) back to the dialogue."""
        answer = answer_to_offer(text)
        if answer is None:
            logger.info("call %s: no yes or no to the offer: trying the dialogue again",
                        self.call_sid)
            self._degraded = False
            return
        self._record(timing, item)
        if answer == "yes":
            logger.info("call %s: the caller accepts the reception", self.call_sid)
            await self._speak([TO_RECEPTION], interruptible=False)
            await self._transfer(self.fallback_transfer_number)
        else:
            logger.info("call %s: the caller declines the reception: goodbye", self.call_sid)
            await self._speak([DECLINED], interruptible=False)
            self._end("declined_reception")
        raise CallEnded()

    def _record(self, timing: TurnTiming, item: _Input) -> None:
        if timing not in self.turns:
            self.turns.append(timing)
        self._waiting_latency = item

    def _on_audio_start(self, now: float) -> None:
        item, self._waiting_latency = self._waiting_latency, None
        if item is not None and item.timing is not None and item.speech_end is not None:
            t = item.timing
            t.voice_to_voice = max(0.0, now - item.speech_end)
            logger.info("call %s: turn %d (%s): voice-to-voice %.2f s (recognition %s s, "
                        "speculation %s, dialogue %s s)", self.call_sid, len(self.turns), t.kind,
                        t.voice_to_voice, _fmt(t.recognition_seconds), t.speculation_used,
                        _fmt(t.dialogue_seconds))

    async def _refresh_hint(self) -> None:
        try:
            hint = await self._conversation.hint()
            self._hint = hint if isinstance(hint, RecognitionHint) else RecognitionHint()
        except Exception as error:
            logger.warning("call %s: no recognition hint (%s)", self.call_sid, type(error).__name__)
            self._hint = RecognitionHint()
        if not self.keypad_active:
            self._keypad.reset()

    async def _speak(self, texts: List[str], interruptible: bool = True) -> None:
        """Synthesize and play ``texts``; returns once played (or cut by barge-in)."""
        generation = self._generation
        self._replies = {}
        for text in texts:
            if self._generation != generation and interruptible:
                return
            await self._send_event({"event": "bot", "text": text})
            speech = await self.synthesizer.synthesize_async(text)
            if self._generation != generation and interruptible:
                return
            if self.ended:
                raise CallEnded()
            samples = speech.samples()
            name = self._playback.enqueue(samples, speech.sample_rate)
            self._replies[name] = (text, round(len(samples) / speech.sample_rate, 2))
        await self._playback.drain()

    async def _transfer(self, number: str) -> None:
        self.transferred_to = number or None
        if not number:
            logger.warning("call %s: handoff without a number", self.call_sid)
            self._end("handoff_without_number")
            return
        if self.transfer is not None:
            try:
                await self.transfer(self.call_sid, number)
                logger.info("call %s: transferred through Twilio", self.call_sid)
            except Exception as error:
                logger.warning("call %s: transfer failed (%s)", self.call_sid, type(error).__name__)
                self._end("transfer_failed")
                return
        else:
            await self._send_json({"event": "transfer", "to": number})
        self._end("transfer")

    # -- sending and ending -----------------------------------------------------------------

    async def _send(self, text: str) -> None:
        if self.ended or self._send_raw is None:
            raise CallEnded()
        try:
            await self._send_raw(text)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.info("call %s: send failed (%s): the client has gone", self.call_sid,
                        type(error).__name__)
            self._end("client_gone")
            raise CallEnded() from None

    async def _send_json(self, payload: Dict[str, Any]) -> None:
        payload = {**payload, "streamSid": self.stream_sid}
        await self._send(json.dumps(payload, ensure_ascii=False))

    async def _send_event(self, payload: Dict[str, Any]) -> None:
        if self.events_enabled:
            try:
                await self._send_json(payload)
            except CallEnded:
                pass

    def _end(self, reason: str) -> None:
        if not self._ended.is_set():
            self.end_reason = reason
            self._ended.set()

    def _spawn(self, coroutine, name: str) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(self._guard(coroutine), name=name)
        self._tasks.append(task)
        task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)
        return task

    async def _guard(self, coroutine) -> None:
        try:
            await coroutine
        except (CallEnded, asyncio.CancelledError):
            pass
        except Exception as error:
            logger.exception("call %s: task failed (%s)", self.call_sid, type(error).__name__)
            self._end("error")

    async def _shutdown(self) -> None:
        try:
            self._end(self.end_reason or "ended")
            if self._recognition is not None:
                self._recognition.cancel()
            tasks = [t for t in self._tasks if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if self._playback is not None:
                await self._playback.close()
            await asyncio.gather(*tasks, return_exceptions=True)
            while not self._inputs.empty():
                item = self._inputs.get_nowait()
                if item.transcript is not None:
                    item.transcript.cancel()
            if self._conversation is not None and self.settings.end_session:
                await self._conversation.close(
                    self.clock.real_seconds(self.settings.session_close_timeout))
        finally:
            self._release_line()

    def _release_line(self) -> None:
        release, self._release = self._release, None
        if release is None:
            return
        try:
            release()
        except Exception as error:
            logger.warning("call %s: releasing the line failed (%s)", self.call_sid,
                           type(error).__name__)

    # -- admission --------------------------------------------------------------------------

    def _not_admitted(self, admission: Admission) -> None:
        reason = "busy" if admission.close_code == CLOSE_TRY_AGAIN_LATER else "refused"
        logger.warning("call %s: stream not admitted (%s: %s), closing with %d", self.call_sid,
                       reason, admission.reason or "no reason given", admission.close_code)
        if admission.spoken:
            self._spawn(self._say_and_end(admission.spoken, reason), "not-admitted")
        else:
            self._end(reason)

    async def _say_and_end(self, text: str, reason: str) -> None:
        """Play ``text`` (not interruptible), then end; never waits long on a bad client."""
        try:
            await self._send_event({"event": "bot", "text": text})
            speech = await self.synthesizer.synthesize_async(text)
            samples = speech.samples()
            self._playback.enqueue(samples, speech.sample_rate)
            seconds = len(samples) / speech.sample_rate + self.settings.mark_grace
            await asyncio.wait_for(self._playback.drain(), self.clock.real_seconds(seconds) + 2.0)
        except asyncio.TimeoutError:
            logger.info("call %s: the message was not played in time", self.call_sid)
        finally:
            self._end(reason)


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}"
