"""The process-wide bound on recognitions: how many run at once, how many may wait.

Every call's recognition is CPU-bound (Whisper, two threads each, for 1–2 s) and the
machine has few cores: with many calls at once, unbounded recognitions all slow down
together and every caller waits. A :class:`RecognitionQueue` runs at most
``max_concurrent`` jobs (in its own threads), lets at most ``max_waiting`` more wait,
first come first served, and refuses the rest at once with :class:`RecognitionBusy`
(the call then asks the caller to repeat: better than a reply 10 s late).

A **speculative** job (recognition started at a short pause, before the turn is over)
only runs on a slot free right now, and never while a job waits: it never takes a place
a final recognition needs. A **background** job (an HTTP spoken turn, ``/audio``: no
caller on a line is waiting for it) follows the same rule, and besides never takes the
last free slot: a live call's recognition always finds one free (or waits, in its turn,
behind other calls only). A job's slot comes back when its thread ends. A cancelled job
that had not started leaves at once; one already running cannot be stopped (Whisper
runs to its end, ~1 s), so its slot comes back when its thread ends, and goes to the
first waiting job.

Thread-safe and bound to no event loop: slots are freed from the worker threads.
:func:`default_recognition_queue` is the process's queue; tests inject their own.
"""
from __future__ import annotations

import asyncio
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Deque, Optional, Tuple, TypeVar

T = TypeVar("T")

# Two cores, and Whisper base runs two threads per recognition: two at once already fill
# the machine (more only slow each other down); four waiting is ~2 s at most behind them.
DEFAULT_MAX_CONCURRENT = 2
DEFAULT_MAX_WAITING = 4


class RecognitionBusy(Exception):
    """No slot now and no place to wait (or a speculation that would have to wait)."""


class RecognitionQueue:
    def __init__(self, max_concurrent: int = DEFAULT_MAX_CONCURRENT,
                 max_waiting: int = DEFAULT_MAX_WAITING) -> None:
        if max_concurrent < 1 or max_waiting < 0:
            raise ValueError("max_concurrent must be at least 1 and max_waiting at least 0")
        self.max_concurrent = max_concurrent
        self.max_waiting = max_waiting
        self._lock = threading.Lock()
        self._running = 0
        self._background = 0  # background jobs among the running
        self._waiters: Deque[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]] = deque()
        self._executor = ThreadPoolExecutor(max_concurrent, thread_name_prefix="recognition")

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def background_running(self) -> int:
        return self._background

    async def run(self, function: Callable[..., T], *args: Any, speculative: bool = False,
                  background: bool = False) -> T:
        """``function(*args)`` in one of the queue's threads, once a slot is free.

        Raises :class:`RecognitionBusy` at once when it may not wait (a ``speculative``
        or ``background`` job with no slot free now).
        """
        if background:
            self._acquire_background()
        else:
            await self._acquire(speculative)
        try:
            job: "Future[T]" = self._executor.submit(function, *args)
        except BaseException:
            self._release(background)
            raise
        job.add_done_callback(lambda _: self._release(background))  # when the thread is done
        return await asyncio.wrap_future(job)

    def _acquire_background(self) -> None:
        with self._lock:
            keep = 1 if self.max_concurrent > 1 else 0  # the last free slot stays for calls
            if self._running < self.max_concurrent - keep and not self._waiters:
                self._running += 1
                self._background += 1
                return
        raise RecognitionBusy("no free slot for a background recognition")

    async def _acquire(self, speculative: bool) -> None:
        with self._lock:
            if self._running < self.max_concurrent and not self._waiters:
                self._running += 1
                return
            if speculative:
                raise RecognitionBusy("no free slot for a speculative recognition")
            if len(self._waiters) >= self.max_waiting:
                raise RecognitionBusy("recognition queue full")
            loop = asyncio.get_running_loop()
            entry = (loop, loop.create_future())
            self._waiters.append(entry)
        try:
            await entry[1]  # the slot is handed over by _release (still counted in _running)
        except asyncio.CancelledError:
            with self._lock:
                try:
                    self._waiters.remove(entry)
                    handed_over = False
                except ValueError:
                    handed_over = True
            if handed_over:
                self._release()
            raise

    def _release(self, background: bool = False) -> None:
        with self._lock:
            if background:
                self._background -= 1
            if not self._waiters:
                self._running -= 1
                return
            loop, waiter = self._waiters.popleft()
        try:
            loop.call_soon_threadsafe(_grant, waiter)
        except RuntimeError:  # its loop is closed: pass the slot on
            self._release()


def _grant(waiter: "asyncio.Future[None]") -> None:
    if not waiter.done():  # a waiter cancelled meanwhile releases the slot itself
        waiter.set_result(None)


_default: Optional[RecognitionQueue] = None
_default_lock = threading.Lock()


def default_recognition_queue() -> RecognitionQueue:
    """The process's queue, shared by every call that is not given one."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RecognitionQueue()
        return _default


def set_default_recognition_queue(queue: RecognitionQueue) -> None:
    """Replace the process's queue (e.g. sized from the channel's configuration at startup)."""
    global _default
    with _default_lock:
        _default = queue
