"""An admitted call's stages wired together: what the transport feeds, and where it goes.

The transport (:class:`voice_channel.telephony.phone_call.PhoneCall`) creates one
:class:`CallSession` once a stream is admitted, then hands it the caller's 16 kHz audio
(:meth:`~CallSession.hear`) and keys (:meth:`~CallSession.key`). Audio goes through the
listening chain; its turn events stop the bot (barge-in), keep a backchannel from
counting as a turn, and queue each finished turn for the dialogue worker. The silence
policy watches the gaps; the keypad collects digits when a number is asked.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from voice_channel.call.clock import Clock
from voice_channel.call.keypad import KeypadEntry, keypad_wanted
from voice_channel.call.lifetime import CallLifetime
from voice_channel.call.metrics import CallMetrics, TurnTiming
from voice_channel.call.settings import PhoneCallSettings
from voice_channel.call.silence import SilenceWatch
from voice_channel.call.voice import BotVoice, Output, SendEvent
from voice_channel.call.worker import CallInput, DialogueWorker, Transfer
from voice_channel.dialogue.conversation import Conversation, Dialogue
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS, VoicePrompts
from voice_channel.listening.listener import Listener
from voice_channel.listening.recognition import create_recognition
from voice_channel.listening.recognition_queue import RecognitionQueue
from voice_channel.listening.turn_taking import Backchannel, BargeIn, EndOfTurn, SpeechStarted
from voice_channel.listening.vad import create_vad
from voice_channel.stt.base import SpeechRecognizer
from voice_channel.tts.base import SpeechSynthesizer

logger = logging.getLogger(__name__)


class CallSession:
    def __init__(self, recognizer: SpeechRecognizer, synthesizer: SpeechSynthesizer,
                 dialogue: Dialogue, sender: str, metadata: Dict[str, Any],
                 settings: PhoneCallSettings, *, clock: Clock, lifetime: CallLifetime,
                 metrics: CallMetrics, output: Output, send_event: SendEvent,
                 events_enabled: bool, transfer: Transfer,
                 fallback_transfer_number: Optional[str],
                 recognition_queue: Optional[RecognitionQueue],
                 prompts: VoicePrompts = DEFAULT_PROMPTS) -> None:
        self.settings = settings
        self.lifetime = lifetime
        self.metrics = metrics
        self.send_event = send_event
        self.events_enabled = events_enabled
        self.conversation = Conversation(
            dialogue, sender, metadata, call_sid=lifetime.call_sid,
            timeout=clock.real_seconds(settings.dialogue_timeout))
        self.recognition = create_recognition(
            recognizer, settings.recognition_mode, on_partial=self._on_partial,
            speculative=settings.speculative, queue=recognition_queue)
        self.voice = BotVoice(synthesizer, output, send_event, lifetime,
                              on_queued=lambda: metrics.on_synthesized(clock.now()))
        self.listener = Listener(
            create_vad(settings.vad, settings.vad_threshold), settings.turn_settings(),
            self.recognition, settings.preroll_ms, now=clock.now,
            hint=lambda: self.worker.hint, bot_speaking=lambda: output.speaking,
            on_event=self._on_turn_event)
        self.keypad = KeypadEntry(settings.keypad_pause, clock, lifetime, self._keypad_entry,
                                  offer=prompts.keypad_offer)
        self.silence = SilenceWatch(settings.silence_timeout, settings.max_reprompts, clock,
                                    lifetime, is_busy=self._busy, on_silence=self._silent,
                                    prompts=prompts)
        self.worker = DialogueWorker(
            self.conversation, settings, voice=self.voice, listener=self.listener,
            keypad=self.keypad, silence=self.silence, metrics=metrics, lifetime=lifetime,
            send_event=send_event, transfer=transfer,
            fallback_transfer_number=fallback_transfer_number, prompts=prompts, now=clock.now)
        self.clock = clock

    def start(self) -> None:
        """The worker starts: a new dialogue session, then the greeting."""
        self.lifetime.spawn(self.worker.run(), "dialogue-worker")
        self.lifetime.spawn(self._length_limit(), "length-limit")
        if self.settings.new_session:
            self.worker.put(CallInput("session"))
        if self.settings.greeting:
            self.metrics.call_started(self.clock.now())
            self.worker.put(CallInput("text", self.settings.greeting))

    async def hear(self, pcm) -> None:
        """The caller's next chunk of audio (16 kHz int16)."""
        await self.listener.hear(pcm)

    async def key(self, digit: str) -> None:
        """A key pressed: part of a number, when one is asked; else ignored."""
        if not keypad_wanted(self.worker.hint):
            logger.info("call %s: key pressed while no number is asked: ignored",
                        self.lifetime.call_sid)
            return
        self.silence.cancel()
        if self.voice.speaking:
            self.voice.interrupt()
        self.keypad.press(digit)

    def stop_listening(self) -> None:
        self.listener.cancel()

    async def close(self, timeout: float) -> None:
        """The call has ended: pending turns dropped, the dialogue session closed."""
        self.worker.drop_pending()
        if self.settings.end_session:
            await self.conversation.close(timeout)

    # -- turn events, keys, silence -------------------------------------------------------

    async def _on_turn_event(self, event) -> None:
        call_sid = self.lifetime.call_sid
        if isinstance(event, SpeechStarted):
            self.silence.cancel()
        elif isinstance(event, BargeIn):
            self.metrics.barge_ins += 1
            logger.info("call %s: barge-in, the bot stops speaking", call_sid)
            self.voice.interrupt()
        elif isinstance(event, Backchannel):
            self.metrics.backchannels += 1
            logger.info("call %s: backchannel of %.0f ms ignored", call_sid,
                        event.speech_end_ms - event.start_ms)
            if not self.voice.speaking and not self.worker.handling:
                self.silence.arm()
        elif isinstance(event, EndOfTurn):
            timing = TurnTiming("speech", audio_seconds=event.duration_ms / 1000.0)
            transcript, speech_end = self.listener.finish()
            timing.mark("spoken", speech_end)
            timing.mark("end_of_turn", self.clock.now())
            self.worker.put(CallInput("speech", transcript=transcript, timing=timing,
                                      speech_end=speech_end))

    def _keypad_entry(self, digits: str) -> None:
        now = self.clock.now()
        timing = TurnTiming("keypad")
        timing.mark("spoken", now)
        timing.mark("end_of_turn", now)
        self.worker.put(CallInput("text", digits, timing=timing, speech_end=now))

    def _busy(self) -> bool:
        """Not a silence: the caller speaking or typing, an input waiting, a request in flight."""
        return (self.listener.in_speech or bool(self.keypad.pending)
                or not self.worker.inputs.empty() or self.worker.handling)

    def _silent(self) -> None:
        self.worker.put(CallInput("silence"))

    async def _length_limit(self) -> None:
        """At ``max_call_seconds``, the goodbye comes next (after the turn in hand, which
        the dialogue's deadline bounds); a call still running a minute later ends."""
        await self.clock.sleep(self.settings.max_call_seconds)
        logger.info("call %s: %.0f s reached: goodbye", self.lifetime.call_sid,
                    self.settings.max_call_seconds)
        self.worker.put(CallInput("too_long"))
        await self.clock.sleep(60.0)
        self.lifetime.end("too_long")

    def _on_partial(self, text: str) -> None:
        if self.events_enabled:
            self.lifetime.spawn(self.send_event({"event": "partial", "text": text}), "partial")
