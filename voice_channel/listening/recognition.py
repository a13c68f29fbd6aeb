"""The recognition stage of a call: one utterance in, one :class:`Transcript` out.

Two modes behind one interface (:class:`RecognitionStage`), picked by
:func:`create_recognition`:

* :class:`UtteranceRecognition` (Whisper, the default): the utterance's audio is kept;
  at the first short pause (:meth:`~RecognitionStage.pause`) it is transcribed
  **speculatively** in a worker thread; if the caller does not resume, the end of turn
  takes that result (already done or nearly), hiding most of Whisper's 1.1–1.6 s.
  If the caller resumes, the speculation is dropped (its thread finishes on its own)
  and the next pause starts a new one.
* :class:`StreamingRecognition` (Vosk, when the recognizer has ``stream()``): audio is
  fed as it arrives, by one worker-thread job at a time per call, with partial texts
  reported to ``on_partial``; the final result comes at the end of turn.

Recognition always runs off the event loop; the model is the recognizer's, shared by
every call of the process. Whisper's jobs go through the process-wide
:class:`~voice_channel.listening.recognition_queue.RecognitionQueue` (a bound on how
many run and wait; a speculation only runs on a free slot, and a final that cannot even
wait raises :class:`~voice_channel.listening.recognition_queue.RecognitionBusy` from
:meth:`~RecognitionStage.finish`). Vosk's small streaming jobs run in ``asyncio.to_thread``.
"""
from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Awaitable, Callable, List, Optional

import numpy as np

from voice_channel.stt.base import SpeechRecognizer, Transcript
from voice_channel.stt.hints import RecognitionHint
from voice_channel.listening.recognition_queue import (
    RecognitionBusy, RecognitionQueue, default_recognition_queue,
)

logger = logging.getLogger(__name__)

PartialCallback = Callable[[str], None]


class RecognitionStage(ABC):
    """One call's recognition, one utterance at a time."""

    def __init__(self, recognizer: SpeechRecognizer) -> None:
        self.recognizer = recognizer
        self.speculation_used: Optional[bool] = None
        """After :meth:`finish`: True when a speculative result was kept (utterance mode)."""

    @property
    @abstractmethod
    def mode(self) -> str:
        """"utterance" or "streaming"."""

    @abstractmethod
    def begin(self, hint: Optional[RecognitionHint], preroll: np.ndarray) -> None:
        """A new utterance starts; ``preroll`` is the audio just before the VAD noticed it."""

    @abstractmethod
    def feed(self, pcm16k: np.ndarray) -> None:
        """More audio of the current utterance (16 kHz int16)."""

    def pause(self) -> None:
        """The caller paused briefly (the turn may be ending)."""

    def resume(self) -> None:
        """The caller spoke again after a pause."""

    @abstractmethod
    def finish(self) -> Awaitable[Transcript]:
        """End of turn: the utterance's transcript (in a worker thread).

        The utterance is taken at once (a new one may begin before the result is awaited).
        """

    @abstractmethod
    def cancel(self) -> None:
        """Drop the current utterance (a backchannel, the call ending)."""


class UtteranceRecognition(RecognitionStage):
    mode = "utterance"

    def __init__(self, recognizer: SpeechRecognizer, speculative: bool = True,
                 queue: Optional[RecognitionQueue] = None) -> None:
        super().__init__(recognizer)
        self.speculative = speculative
        self.queue = queue or default_recognition_queue()
        self._chunks: List[np.ndarray] = []
        self._hint: Optional[RecognitionHint] = None
        self._speculation: Optional[asyncio.Task] = None
        self._active = False

    def begin(self, hint: Optional[RecognitionHint], preroll: np.ndarray) -> None:
        self.cancel()
        self._hint = hint
        self._chunks = [preroll] if len(preroll) else []
        self._active = True

    def feed(self, pcm16k: np.ndarray) -> None:
        if self._active:
            self._chunks.append(pcm16k)

    def _audio(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)

    def pause(self) -> None:
        if self._active and self.speculative and self._speculation is None:
            self._speculation = asyncio.get_running_loop().create_task(
                self._transcribe(self._audio(), speculative=True),
                name="speculative-recognition")
            self._speculation.add_done_callback(_retrieve)  # a dropped one may have failed

    def resume(self) -> None:
        self._drop_speculation()

    def finish(self) -> Awaitable[Transcript]:
        self._active = False
        speculation, self._speculation = self._speculation, None
        self.speculation_used = speculation is not None
        audio = self._audio()
        if speculation is not None:
            return self._speculation_or_final(speculation, audio)
        return self._transcribe(audio)

    async def _speculation_or_final(self, speculation: "asyncio.Task[Transcript]",
                                    audio: np.ndarray) -> Transcript:
        try:
            return await speculation
        except RecognitionBusy:  # no free slot at the pause: recognise it now, as a final
            self.speculation_used = False
            return await self._transcribe(audio)

    def cancel(self) -> None:
        self._active = False
        self._chunks = []
        self._drop_speculation()

    def _drop_speculation(self) -> None:
        speculation, self._speculation = self._speculation, None
        if speculation is not None:
            speculation.cancel()  # the thread runs to its end; its result is ignored

    async def _transcribe(self, audio: np.ndarray, speculative: bool = False) -> Transcript:
        hint = self._hint
        return await self.queue.run(self.recognizer.transcribe, audio, hint,
                                    speculative=speculative)


def _retrieve(task: asyncio.Task) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: a speculation nobody awaits is not an error


class _Feed:
    """One streamed utterance: audio waiting for the worker thread, and its end."""

    def __init__(self, session, preroll: np.ndarray) -> None:
        self.session = session
        self.pending: List[np.ndarray] = [preroll] if len(preroll) else []
        self.wake = asyncio.Event()
        self.wake.set()
        self.closed = False
        self.worker: Optional[asyncio.Task] = None


class StreamingRecognition(RecognitionStage):
    mode = "streaming"

    def __init__(self, recognizer: SpeechRecognizer,
                 on_partial: Optional[PartialCallback] = None) -> None:
        super().__init__(recognizer)
        if not callable(getattr(recognizer, "stream", None)):
            raise TypeError(f"{recognizer.name} has no streaming interface (stream())")
        self.on_partial = on_partial
        self._feed: Optional[_Feed] = None
        self.partials: List[str] = []

    def begin(self, hint: Optional[RecognitionHint], preroll: np.ndarray) -> None:
        self.cancel()
        feed = _Feed(self.recognizer.stream(hint), preroll)
        feed.worker = asyncio.get_running_loop().create_task(self._run(feed),
                                                              name="streaming-recognition")
        self._feed = feed

    def feed(self, pcm16k: np.ndarray) -> None:
        if self._feed is not None:
            self._feed.pending.append(pcm16k)
            self._feed.wake.set()

    async def _run(self, feed: _Feed) -> None:
        await asyncio.to_thread(feed.session.start)
        last = ""
        while True:
            if feed.pending:  # everything that arrived meanwhile, in one job
                chunk, feed.pending = np.concatenate(feed.pending), []
                text = await asyncio.to_thread(feed.session.feed, chunk)
                if text and text != last:
                    last = text
                    self.partials.append(text)
                    if self.on_partial is not None:
                        self.on_partial(text)
                continue
            if feed.closed:
                return
            feed.wake.clear()
            await feed.wake.wait()

    def finish(self) -> Awaitable[Transcript]:
        feed, self._feed = self._feed, None
        if feed is None:
            raise RuntimeError("finish() without begin()")
        feed.closed = True
        feed.wake.set()
        self.speculation_used = None

        async def final() -> Transcript:
            await feed.worker
            return await asyncio.to_thread(feed.session.finish)

        return final()

    def cancel(self) -> None:
        feed, self._feed = self._feed, None
        if feed is not None and feed.worker is not None and not feed.worker.done():
            feed.worker.cancel()


def create_recognition(recognizer: SpeechRecognizer, mode: str = "auto", *,
                       on_partial: Optional[PartialCallback] = None,
                       speculative: bool = True,
                       queue: Optional[RecognitionQueue] = None) -> RecognitionStage:
    """``mode``: "utterance", "streaming" or "auto" (streaming when the engine can).

    ``queue``: the bound on utterance recognitions (the process's default when None).
    """
    if mode not in ("auto", "utterance", "streaming"):
        raise ValueError(f"unknown recognition mode {mode!r} (auto, utterance, streaming)")
    if mode == "streaming" or (mode == "auto" and callable(getattr(recognizer, "stream", None))):
        return StreamingRecognition(recognizer, on_partial)
    return UtteranceRecognition(recognizer, speculative=speculative, queue=queue)
