"""The call's dialogue worker: one input at a time, from the caller's words to the bot's reply.

Inputs arrive on a queue (a new Rasa session, the greeting, an utterance's transcript,
keypad digits, a silence), so that the transport's reader never waits on recognition,
Rasa or synthesis and hears a barge-in while the bot speaks. Each caller turn follows
:mod:`voice_channel.turn_core` (an untrusted transcript gets the ``not_heard`` prompt,
an empty answer ``nothing_to_say``: the domain's, :mod:`voice_channel.dialogue.prompts`). Each answer's last question gives the next recognition hint
(:func:`~voice_channel.dialogue.hint.hint_from_reply`: what the bot has just asked; it
also says when the keypad is offered), with no further request to Rasa.

An error inside a turn is logged and the caller hears an apology; after
``max_turn_errors`` in a row the call ends.

When a request to the dialogue passes its deadline (:mod:`voice_channel.dialogue.deadline`),
the call apologises and offers the clinic's reception (the ``slow_offer`` prompt), or,
without a reception number, asks the caller to call back (``slow_call_back``).
:func:`answer_to_offer` reads the caller's next turn: "yes" (transfer, ``to_reception``),
"no" (goodbye, ``declined``), or None (anything else: the dialogue is tried again).
These prompts are the domain's, read from the loaded model, not asked of Rasa: they are
said exactly when Rasa does not answer.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional

from spoken_french.yes_no import snap_yes_no
from voice_channel.call.keypad import KeypadEntry, keypad_wanted
from voice_channel.call.lifetime import CallEnded, CallLifetime
from voice_channel.call.metrics import CallMetrics, TurnTiming
from voice_channel.call.settings import PhoneCallSettings
from voice_channel.call.silence import SilenceWatch
from voice_channel.call.voice import BotVoice, SendEvent
from voice_channel.dialogue.conversation import SESSION_START, Conversation
from voice_channel.dialogue.deadline import DialogueTimeout
from voice_channel.dialogue.hint import hint_from_reply
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS, VoicePrompts
from voice_channel.listening.listener import Listener
from voice_channel.listening.recognition_queue import RecognitionBusy
from voice_channel.stt.base import Transcript
from voice_channel.stt.hints import RecognitionHint
from voice_channel.turn_core import Reply, reply_to, usable_text

logger = logging.getLogger(__name__)

Transfer = Callable[[str], Awaitable[None]]  # the transport's transfer to a number


@dataclass
class CallInput:
    kind: str  # "session", "text", "speech", "silence", "too_long"
    text: str = ""
    transcript: Optional["asyncio.Task[Transcript]"] = None
    timing: Optional[TurnTiming] = None
    speech_end: Optional[float] = None  # clock time the caller stopped speaking


class DialogueWorker:
    def __init__(self, conversation: Conversation, settings: PhoneCallSettings, *,
                 voice: BotVoice, listener: Listener, keypad: KeypadEntry, silence: SilenceWatch,
                 metrics: CallMetrics, lifetime: CallLifetime, send_event: SendEvent,
                 transfer: Transfer, fallback_transfer_number: Optional[str],
                 prompts: VoicePrompts = DEFAULT_PROMPTS,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.conversation = conversation
        self.now = now  # the call's clock, for the stage log
        self.prompts = prompts
        self.settings = settings
        self.voice = voice
        self.listener = listener
        self.keypad = keypad
        self.silence = silence
        self.metrics = metrics
        self.lifetime = lifetime
        self.send_event = send_event
        self.transfer = transfer
        self.fallback_transfer_number = fallback_transfer_number
        self.inputs: "asyncio.Queue[CallInput]" = asyncio.Queue()
        self.hint = RecognitionHint()
        self.handling = False  # an input is being handled (a dialogue request…)
        self._degraded = False  # the dialogue was too slow: the reception has been offered
        self._turn_errors = 0

    @property
    def call_sid(self) -> Optional[str]:
        return self.lifetime.call_sid

    def put(self, item: CallInput) -> None:
        self.inputs.put_nowait(item)

    async def run(self) -> None:
        while not self.lifetime.ended:
            item = await self.inputs.get()
            self.silence.cancel()
            self.handling = True
            try:
                await self._handle(item)
                self._turn_errors = 0
            except (CallEnded, asyncio.CancelledError):
                raise
            except Exception as error:
                self._turn_errors += 1
                logger.exception("call %s: turn failed (%s)", self.call_sid, type(error).__name__)
                if self._turn_errors >= self.settings.max_turn_errors:
                    self.lifetime.end("turn_errors")
                    return
                try:
                    await self.voice.speak([self.prompts.technical_problem])
                except (CallEnded, asyncio.CancelledError):
                    raise
                except Exception:
                    logger.exception("call %s: apology failed, ending the call", self.call_sid)
                    self.lifetime.end("turn_errors")
                    return
            finally:
                self.handling = False
            if self.inputs.empty() and not self.lifetime.ended and not self.listener.in_speech:
                self.silence.arm()

    def drop_pending(self) -> None:
        """The call ends: the transcripts still awaited are not needed."""
        while not self.inputs.empty():
            item = self.inputs.get_nowait()
            if item.transcript is not None:
                item.transcript.cancel()

    async def _handle(self, item: CallInput) -> None:
        if item.kind == "session":
            await self._start_session()
        elif item.kind == "too_long":
            await self._goodbye(self.prompts.too_long, "too_long")
        elif item.kind == "silence":
            await self._on_silence()
        else:  # "text" (the greeting, keys) or "speech"
            await self._on_turn(item)

    async def _start_session(self) -> None:
        try:
            await self.conversation.say(SESSION_START, "session start")
        except DialogueTimeout:
            await self._dialogue_too_slow()

    async def _goodbye(self, text: str, reason: str) -> None:
        """Say ``text`` (not interruptible), then end the call (raises :class:`CallEnded`)."""
        await self.voice.speak([text], interruptible=False)
        self.lifetime.end(reason)
        raise CallEnded()

    async def _on_silence(self) -> None:
        text, ends = self.silence.prompt()
        if ends:
            logger.info("call %s: still silent after %d re-prompts: goodbye",
                        self.call_sid, self.silence.reprompts)
            await self._goodbye(text, "silence")
        await self.voice.speak([text])

    async def _on_turn(self, item: CallInput) -> None:
        """A caller's turn (``item.timing`` set), or the greeting (no timing)."""
        timing = item.timing
        if timing is None and self._degraded:  # the greeting, after a session start too slow
            return
        text = item.text
        if item.kind == "speech":
            text = await self._transcript(item)
            if text is None:
                return
        if timing is not None:
            self.silence.answered()
            await self.send_event({"event": "transcript", "text": text})
            if self._degraded:
                await self._answer_offer(text, item)
        messages = await self._ask_dialogue(text, item)
        if messages is not None:
            self._hint_from(messages)
            await self._say_reply(reply_to(messages, caller_turn=timing is not None,
                                           nothing_to_say=self.prompts.nothing_to_say))

    async def _ask_dialogue(self, text: str, item: CallInput) -> Optional[List[Dict[str, Any]]]:
        """The dialogue's messages for ``text``, timed; None when it was too slow."""
        timing = item.timing
        barge_in = self.voice.take_barge_in() if timing is not None else None
        metadata = {"barge_in": barge_in} if barge_in is not None else {}
        if timing is not None and timing.kind == "keypad":
            metadata["input"] = "keypad"  # the staff console's transcripts show it as typed
        began = time.perf_counter()
        try:
            messages = await self.conversation.say(
                text, "turn" if timing is not None else "greeting", metadata)
        except DialogueTimeout:
            if timing is not None:
                timing.dialogue_seconds = time.perf_counter() - began
                self.metrics.record(timing, item.speech_end)
            await self._dialogue_too_slow()
            return None
        if timing is not None:
            timing.dialogue_seconds = time.perf_counter() - began
            timing.mark("rasa", self.now())
            self.metrics.record(timing, item.speech_end)
        elif self.metrics.greeting is not None:
            self.metrics.greeting.mark("rasa", self.now())
        return messages

    async def _say_reply(self, reply: Reply) -> None:
        """Say the dialogue's reply; then hand the call over or hang up if it says so."""
        if reply.nothing_said:
            logger.info("call %s: the dialogue had nothing to say: saying what it can do",
                        self.call_sid)
        if reply.handoff is not None:
            await self.voice.speak(reply.texts, interruptible=False)
            await self.transfer(str(reply.handoff.get("transfer_to") or ""))
            raise CallEnded()
        self.keypad.with_offer(reply.texts, self.hint)
        if reply.ends_call:  # the dialogue said goodbye: hang up once it is heard
            await self.voice.speak(reply.texts, interruptible=False)
            logger.info("call %s: the dialogue said goodbye: hanging up", self.call_sid)
            self.lifetime.end("goodbye")
            raise CallEnded()
        await self.voice.speak(reply.texts)

    async def _transcript(self, item: CallInput) -> Optional[str]:
        """The utterance's text; None when the caller has been asked to repeat."""
        timing = item.timing
        began = time.perf_counter()
        try:
            transcript = await item.transcript
        except RecognitionBusy:
            self.metrics.recognition_busy += 1
            logger.warning("call %s: turn not recognised (recognition_busy): asking to "
                           "repeat", self.call_sid)
            timing.accepted = False
            self.metrics.record(timing, item.speech_end)
            await self.voice.speak([self.prompts.recognition_busy])
            return None
        timing.recognition_seconds = time.perf_counter() - began
        timing.mark("recognition", self.now())
        timing.speculation_used = self.listener.recognition.speculation_used
        timing.accepted = transcript.accepted
        text = usable_text(transcript)
        if text is None:
            logger.info("call %s: utterance not usable (%s)", self.call_sid,
                        transcript.rejected_reason or "empty")
            self.metrics.record(timing, item.speech_end)
            await self.voice.speak([self.prompts.not_heard])
        return text

    def _hint_from(self, messages: List[Dict[str, Any]]) -> None:
        """What the reply asks (said with its last question): the next turn's hint."""
        self.hint = hint_from_reply(messages)
        if not keypad_wanted(self.hint):
            self.keypad.reset()

    # -- the dialogue too slow: the reception offer -----------------------------------------

    async def _dialogue_too_slow(self) -> None:
        """Apologise; offer the reception (the next turn answers), or say goodbye."""
        self.metrics.dialogue_timeouts += 1
        if self.fallback_transfer_number is None:
            logger.warning("call %s: the dialogue has not answered in %.0f s and there is no "
                           "reception number: asking to call back", self.call_sid,
                           self.settings.dialogue_timeout)
            await self._goodbye(self.prompts.slow_call_back, "dialogue_timeout")
        logger.warning("call %s: the dialogue has not answered in %.0f s: offering the "
                       "reception", self.call_sid, self.settings.dialogue_timeout)
        self._degraded = True
        self.hint = RecognitionHint(expected="yes_no", question=self.prompts.reception_question)
        self.keypad.reset()
        await self.voice.speak([self.prompts.slow_offer])

    async def _answer_offer(self, text: str, item: CallInput) -> None:
        """The caller's answer to the offer of the reception: transfer, goodbye, or (any
        other answer) back to the dialogue."""
        answer = answer_to_offer(text)
        if answer is None:
            logger.info("call %s: no yes or no to the offer: trying the dialogue again",
                        self.call_sid)
            self._degraded = False
            return
        self.metrics.record(item.timing, item.speech_end)
        if answer == "yes":
            logger.info("call %s: the caller accepts the reception", self.call_sid)
            await self.voice.speak([self.prompts.to_reception], interruptible=False)
            await self.transfer(self.fallback_transfer_number)
            raise CallEnded()
        logger.info("call %s: the caller declines the reception: goodbye", self.call_sid)
        await self._goodbye(self.prompts.declined, "declined_reception")


def answer_to_offer(text: str) -> Optional[str]:
    """"yes" or "no" when the caller's turn is only that (politeness aside), else None."""
    answer = snap_yes_no(text)
    return {"oui": "yes", "non": "no"}.get(answer or "")
