"""One media stream, served as one phone call: the transport side of the call.

``await PhoneCall(recognizer, synthesizer, dialogue, settings, admit=…).serve(receive, send)``
runs a whole call over any text-frame transport (the channel's WebSocket, a test's
queues): ``receive()`` returns the next frame, or None once the client has gone;
``send(text)`` sends one frame. Once it returns, the transport is closed with
:attr:`PhoneCall.close_code` (1000; 1008 refused or misbehaving; 1013 busy).

This module reads frames, keeps the protocol's error budget, dispatches Twilio's events
and writes every frame the call sends (through :mod:`.stream_writer` and
:mod:`.playback`). At ``start`` the channel's ``admit`` function says whether the stream
may become a call (:mod:`.admission`); an admitted call is a
:class:`~voice_channel.call.session.CallSession`, fed the caller's audio as 16 kHz PCM
and their keys. Bad input never escapes :meth:`PhoneCall.serve`; each case is logged
with a reason and no personal data (no caller number, digits, transcript or audio):

* invalid frames (JSON, unknown event, base64, odd L16 payload), media before ``start``,
  a second ``start``: logged and skipped, within a budget (:mod:`.frame_reader`);
* a ``start`` with an unsupported format: fatal (there is no stream to answer on);
* no frame for ``idle_timeout`` seconds, ``stop``, ``receive()`` returning None or
  raising, ``send`` raising: the call ends, its tasks are cancelled;
* no ``start`` within ``start_timeout``, or caller audio that runs ahead of the clock
  (:class:`~.stream_audio.RealtimeGuard`): the call ends (1008);
* whatever the end (even the handler cancelled again as it ends, or a task that
  ignores its cancellation), an accepted call's dialogue session is closed (a new
  session for its sender), so that nobody can go on with its half-filled form.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, List, Optional, Set

from conversation_names import PHONE, conversation_id
from voice_channel.call.clock import Clock
from voice_channel.call.lifetime import CallEnded, CallLifetime
from voice_channel.call.metrics import CallMetrics, TurnTiming
from voice_channel.call.session import CallSession
from voice_channel.call.settings import PhoneCallSettings
from voice_channel.dialogue.conversation import Dialogue
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS, VoicePrompts
from voice_channel.listening.recognition import RecognitionStage
from voice_channel.listening.recognition_queue import RecognitionQueue
from voice_channel.stt.base import SpeechRecognizer
from voice_channel.telephony.admission import (
    CLOSE_CODES, CLOSE_NORMAL, CLOSE_TRY_AGAIN_LATER, Admission, Admit, ask_admission,
)
from voice_channel.telephony.frame_reader import ProtocolErrors, Receive, read_frames
from voice_channel.telephony.media_streams import (
    Connected, Dtmf, Mark, Media, ProtocolError, Start, Stop, StreamOptions, parse_message,
)
from voice_channel.telephony.playback import Playback, play_to_the_end
from voice_channel.telephony.stream_audio import InboundAudio, RealtimeGuard
from voice_channel.telephony.stream_writer import RestTransfer, Send, StreamWriter
from voice_channel.tts.base import SpeechSynthesizer

logger = logging.getLogger(__name__)

# The conversation's id without an ``admit`` function: the call's, never the caller's number.
# Real seconds the call's cancelled tasks get to finish before its end goes on without them.
TASKS_STOP_SECONDS = 2.0
_ENDING: Set["asyncio.Future[None]"] = set()  # ends still running after a second cancel


class PhoneCall:
    """One call. Create one per WebSocket connection; :meth:`serve` runs it to its end."""

    def __init__(self, recognizer: SpeechRecognizer, synthesizer: SpeechSynthesizer,
                 dialogue: Dialogue, settings: PhoneCallSettings = PhoneCallSettings(),
                 transfer: Optional[RestTransfer] = None, *, clock: Optional[Clock] = None,
                 admit: Optional[Admit] = None, fallback_transfer_number: Optional[str] = None,
                 recognition_queue: Optional[RecognitionQueue] = None,
                 prompts: VoicePrompts = DEFAULT_PROMPTS) -> None:
        """``admit``: the channel's admission check, called once at ``start`` (None: every
        stream is accepted, under "phone:<call SID>"). ``transfer``: Twilio's REST
        transfer (None: the client gets a ``transfer`` event). ``fallback_transfer_number``:
        the reception, offered when the dialogue is too slow. ``recognition_queue``: the
        bound on recognitions (the process's default when None). ``prompts``: what the
        call says by itself (the loaded domain's)."""
        settings.turn_settings()  # invalid turn-taking settings fail here, not mid-call
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.dialogue = dialogue
        self.settings = settings
        self.transfer = transfer
        self.clock = clock or Clock()
        self.admit = admit
        self.fallback_transfer_number = fallback_transfer_number or None
        self.recognition_queue = recognition_queue
        self.prompts = prompts
        self.call_sid: Optional[str] = None
        self.stream_sid: Optional[str] = None
        self.sender: Optional[str] = None
        self.admission: Optional[Admission] = None
        self.metrics = CallMetrics()
        self.session: Optional[CallSession] = None  # once admitted
        self._lifetime = CallLifetime()
        self._errors = ProtocolErrors(settings.max_protocol_errors, self._lifetime)
        self._realtime: Optional[RealtimeGuard] = None
        self._writer: Optional[StreamWriter] = None  # once serving
        self._audio: Optional[InboundAudio] = None
        self._playback: Optional[Playback] = None

    # -- what the call did (for the channel's logs and the tests) -------------------------

    ended = property(lambda self: self._lifetime.ended)
    protocol_errors = property(lambda self: self._errors.counts)
    end_reason = property(lambda self: self._lifetime.end_reason)
    turns: List[TurnTiming] = property(lambda self: self.metrics.turns)
    barge_ins = property(lambda self: self.metrics.barge_ins)
    backchannels = property(lambda self: self.metrics.backchannels)
    recognition_busy = property(lambda self: self.metrics.recognition_busy)
    dialogue_timeouts = property(lambda self: self.metrics.dialogue_timeouts)
    transferred_to = property(lambda self: self.metrics.transferred_to)
    reprompts = property(lambda self: self.session.silence.reprompts if self.session else 0)

    @property
    def _recognition(self) -> Optional[RecognitionStage]:
        return self.session.recognition if self.session is not None else None

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
        self._writer = StreamWriter(send, self._lifetime)
        started = time.perf_counter()
        try:
            self._lifetime.spawn(self._start_deadline(), "start-deadline")
            await read_frames(receive, self._on_frame, self._lifetime, self.clock,
                              self.settings.idle_timeout)
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
            # A task of its own: Sanic cancels this handler when the connection goes, maybe
            # as the call ends after a ``stop``; the session must still close, the line free.
            ending = asyncio.ensure_future(self._shutdown(started))
            _ENDING.add(ending)
            ending.add_done_callback(_ENDING.discard)
            await asyncio.shield(ending)

    async def _start_deadline(self) -> None:
        await self.clock.sleep(self.settings.start_timeout)
        if self.stream_sid is None and not self.ended:
            logger.warning("call: no start within %.0f s, ending the call",
                           self.settings.start_timeout)
            self._end("no_start")

    async def _on_frame(self, frame: Any) -> None:
        try:
            event = parse_message(frame)
        except ProtocolError as error:
            if str(error).startswith("start:") and self.stream_sid is None:
                logger.warning("call: refused start (%s), ending the call", error)
                self._end("bad_start")
                return
            self._errors.add(str(error))
            return
        if isinstance(event, Start):
            await self._on_start(event)
        elif isinstance(event, Connected):
            return
        elif self.stream_sid is None:
            self._errors.add(f"{type(event).__name__.lower()} before start")
        elif getattr(event, "stream_sid", self.stream_sid) != self.stream_sid:
            self._errors.add("frame for another stream")
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
            self._errors.add("second start")
            return
        self.stream_sid = start.stream_sid
        self.call_sid = self._lifetime.call_sid = self.metrics.call_sid = start.call_sid
        options = StreamOptions.from_start(start)
        self._writer.stream_sid, self._writer.events_enabled = start.stream_sid, options.events
        self._realtime = RealtimeGuard(start.media_format, self.settings.max_audio_ahead_seconds,
                                       self.clock)
        self._playback = Playback(self._writer.send, start.stream_sid, start.media_format,
                                  clock=self.clock, echo_marks=options.echo_marks,
                                  lead_frames=self.settings.lead_frames,
                                  mark_grace=self.settings.mark_grace,
                                  on_audio_start=self.metrics.on_audio_start)
        self.admission = ask_admission(self.admit, start, conversation_id(PHONE, start.call_sid))
        if not self.admission.accepted:
            self._not_admitted(self.admission)
            return
        self.sender = self.admission.sender or conversation_id(PHONE, start.call_sid)
        self._audio = InboundAudio(start.media_format)
        self.session = CallSession(
            self.recognizer, self.synthesizer, self.dialogue, self.sender,
            self.admission.metadata, self.settings, clock=self.clock, lifetime=self._lifetime,
            metrics=self.metrics, output=self._playback, send_event=self._writer.event,
            events_enabled=options.events, transfer=self._transfer,
            fallback_transfer_number=self.fallback_transfer_number,
            recognition_queue=self.recognition_queue, prompts=self.prompts)
        logger.info("call %s: stream started (%s %d Hz, %s recognition, marks %s)",
                    self.call_sid, start.media_format.encoding, start.media_format.sample_rate,
                    self.session.recognition.mode, "echoed" if options.echo_marks else "clocked")
        self.session.start()

    async def _on_media(self, media: Media) -> None:
        if not self._realtime.receive(len(media.payload)):
            logger.warning("call %s: caller audio %.1f s ahead of the clock (faster than real "
                           "time), ending the call", self.call_sid, self._realtime.ahead_seconds)
            self._end("faster_than_real_time")
            return
        if self.session is None:  # busy: the caller is not listened to
            return
        try:
            pcm = self._audio.to_pcm16k(media.payload)
        except ProtocolError as error:
            self._errors.add(str(error))
            return
        await self.session.hear(pcm)

    async def _on_dtmf(self, dtmf: Dtmf) -> None:
        if self.session is None:
            logger.info("call %s: key pressed while no number is asked: ignored", self.call_sid)
            return
        await self.session.key(dtmf.digit)

    # -- writing (:mod:`.stream_writer`) ------------------------------------------------------

    async def _transfer(self, number: str) -> None:
        """The call goes to ``number`` (:meth:`StreamWriter.hand_over`), then ends."""
        self.metrics.transferred_to = number or None
        self._end(await self._writer.hand_over(number, self.transfer))

    # -- admission and the end ----------------------------------------------------------------

    def _not_admitted(self, admission: Admission) -> None:
        reason = "busy" if admission.close_code == CLOSE_TRY_AGAIN_LATER else "refused"
        logger.warning("call %s: stream not admitted (%s: %s), closing with %d", self.call_sid,
                       reason, admission.reason or "no reason given", admission.close_code)
        if admission.spoken:
            self._lifetime.spawn(self._say_and_end(admission.spoken, reason), "not-admitted")
        else:
            self._end(reason)

    async def _say_and_end(self, text: str, reason: str) -> None:
        """Play ``text`` (not interruptible), then end; never waits long on a bad client."""
        try:
            await self._writer.event({"event": "bot", "text": text})
            await play_to_the_end(text, self.synthesizer, self._playback,
                                  self.settings.mark_grace, self.clock, self.call_sid)
        finally:
            self._end(reason)

    def _end(self, reason: str) -> None:
        self._lifetime.end(reason)

    async def _shutdown(self, started: float) -> None:
        try:
            self._end(self.end_reason or "ended")
            if self.session is not None:
                self.session.stop_listening()
            tasks = self._lifetime.cancel_tasks()
            if self._playback is not None:
                tasks.append(asyncio.ensure_future(self._playback.close()))
            await self._lifetime.settle(tasks, TASKS_STOP_SECONDS)
            if self.session is not None:
                await self.session.close(self.clock.real_seconds(self.settings.session_close_timeout))
        finally:
            if self.admission is not None:
                self.admission.release_line(self.call_sid)
            self.metrics.log_end(self.end_reason, self.close_code, time.perf_counter() - started,
                                 self.reprompts, self.protocol_errors)
