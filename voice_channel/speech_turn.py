"""One spoken turn over HTTP (``/audio``): audio file in → transcript → Rasa → one WAV out.

The stages are separate and timed: decoding, recognition (the model loaded once per
process), the dialogue, synthesis. Recognition runs in the process's recognition queue,
the one the phone calls use, as a background job: only on a slot free at once, never the
last one (:mod:`voice_channel.listening.recognition_queue`), so that uploads cannot
starve a live call; with none free, :class:`RecognitionBusy` (HTTP 503). The turn's rules (an
untrusted transcript gets the ``not_heard`` prompt, the texts to speak) are :mod:`voice_channel.turn_core`'s, the same as a phone call's.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional

from voice_channel.audio.decode import decode_audio
from voice_channel.audio.wav import concat_wav
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS, VoicePrompts
from voice_channel.listening.recognition_queue import RecognitionQueue, default_recognition_queue
from voice_channel.stt.base import SpeechRecognizer
from voice_channel.stt.hints import RecognitionHint
from voice_channel.tts.base import SpeechSynthesizer
from voice_channel.turn_core import texts_to_say, usable_text

logger = logging.getLogger(__name__)

MIME_WAV = "audio/wav"

# The web turn's dialogue: the bot's messages for (sender, text), under the route's deadline.
WebTurn = Callable[[str, str], Awaitable[List[Dict[str, Any]]]]


@dataclass
class TurnResult:
    """What ``/audio`` answers: the transcript, the replies and their speech, timed."""

    transcript: str
    messages: List[Dict[str, Any]]
    audio_wav: Optional[bytes]
    timings: Dict[str, float] = field(default_factory=dict)
    rejected_reason: Optional[str] = None

    def as_json(self, sender: str) -> Dict[str, Any]:
        body: Dict[str, Any] = {
            "sender": sender,
            "transcript": self.transcript,
            "messages": self.messages,
            "timings_ms": {k: round(v * 1000, 1) for k, v in self.timings.items()},
        }
        if self.rejected_reason:
            body["rejected"] = self.rejected_reason
        if self.audio_wav is not None:
            body["audio"] = audio_payload(self.audio_wav)
        return body


def audio_payload(wav: bytes) -> Dict[str, str]:
    return {"mime": MIME_WAV, "base64": base64.b64encode(wav).decode("ascii")}


class SpeechTurn:
    """Runs spoken turns with one recognizer and one synthesizer."""

    def __init__(
        self,
        recognizer: SpeechRecognizer,
        synthesizer: SpeechSynthesizer,
        max_bytes: int,
        max_seconds: float,
        queue: Optional[RecognitionQueue] = None,
    ) -> None:
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.queue = queue or default_recognition_queue()

    async def run(
        self, sender: str, audio: bytes, hint: RecognitionHint, ask_rasa: WebTurn,
        prompts: VoicePrompts = DEFAULT_PROMPTS,
    ) -> TurnResult:
        """Raises ``AudioError`` subclasses for unusable uploads, ``RecognitionBusy``
        when no recognition slot is free for it."""
        timings: Dict[str, float] = {}
        started = time.perf_counter()
        decoded = await asyncio.to_thread(
            decode_audio, audio, max_bytes=self.max_bytes, max_seconds=self.max_seconds
        )
        timings["decode"] = time.perf_counter() - started

        started = time.perf_counter()
        transcript = await self.queue.run(self.recognizer.transcribe, decoded.samples, hint,
                                          background=True)
        timings["stt"] = time.perf_counter() - started
        text = usable_text(transcript)
        if text is None:
            logger.info("no usable speech (%s)", transcript.rejected_reason or "empty")
            messages = [{"recipient_id": sender, "text": prompts.not_heard}]
            wav = await self.speak(messages, timings)
            return TurnResult("", messages, wav, timings, transcript.rejected_reason or "no_speech")

        started = time.perf_counter()
        messages = await ask_rasa(sender, text)
        timings["rasa"] = time.perf_counter() - started
        wav = await self.speak(messages, timings)
        return TurnResult(text, messages, wav, timings)

    async def speak(self, messages: List[Dict[str, Any]], timings: Dict[str, float]) -> Optional[bytes]:
        """All the replies' texts spoken in one WAV (None when there is nothing to say)."""
        started = time.perf_counter()
        texts = texts_to_say(messages)
        if not texts:
            return None
        speeches = [await self.synthesizer.synthesize_async(t) for t in texts]
        wav = concat_wav([s.to_wav_bytes() for s in speeches], gap_seconds=0.3)
        timings["tts"] = time.perf_counter() - started
        return wav

    async def speak_each(self, messages: List[Dict[str, Any]]) -> None:
        """Add its speech to every message that has a text (``?audio=true``)."""
        for message in messages:
            if message.get("text"):
                speech = await self.synthesizer.synthesize_async(message["text"])
                message["audio"] = audio_payload(speech.to_wav_bytes())
