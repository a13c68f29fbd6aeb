"""The process-wide bound on recognitions: at most ``max_concurrent`` run, at most
``max_waiting`` wait, the rest are refused at once (RecognitionBusy).

The jobs are real worker-thread jobs held by threading events, so "running" means a
thread is busy, as with Whisper.
"""
from __future__ import annotations

import asyncio
import threading

import pytest

from voice_channel.listening.recognition_queue import (
    RecognitionBusy, RecognitionQueue, default_recognition_queue,
)

pytestmark = pytest.mark.asyncio
HANG = 30.0  # a deadline that only a hang reaches


class Job:
    """A blocking job (like Whisper's transcribe) that runs until released."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> str:
        self.started.set()
        if not self.release.wait(HANG):
            raise TimeoutError("never released")
        return self.name


async def until(predicate) -> None:
    async def poll():
        while not predicate():
            await asyncio.sleep(0.005)
    await asyncio.wait_for(poll(), HANG)


async def test_at_most_max_concurrent_run_and_the_waiting_run_in_order():
    queue = RecognitionQueue(max_concurrent=2, max_waiting=2)
    jobs = [Job(f"job{i}") for i in range(4)]
    tasks = [asyncio.ensure_future(queue.run(job)) for job in jobs]
    await until(lambda: jobs[0].started.is_set() and jobs[1].started.is_set())
    await until(lambda: queue.waiting == 2)
    assert queue.running == 2 and not jobs[2].started.is_set() and not jobs[3].started.is_set()
    jobs[1].release.set()
    assert await asyncio.wait_for(tasks[1], HANG) == "job1"
    await until(lambda: jobs[2].started.is_set())  # first come, first served
    assert not jobs[3].started.is_set() and queue.running == 2 and queue.waiting == 1
    for job in jobs:
        job.release.set()
    assert await asyncio.wait_for(asyncio.gather(*tasks), HANG) == ["job0", "job1", "job2", "job3"]
    assert queue.running == 0 and queue.waiting == 0


async def test_a_full_queue_refuses_at_once():
    queue = RecognitionQueue(max_concurrent=1, max_waiting=1)
    running, waiting = Job("running"), Job("waiting")
    tasks = [asyncio.ensure_future(queue.run(running)), asyncio.ensure_future(queue.run(waiting))]
    await until(lambda: running.started.is_set() and queue.waiting == 1)
    with pytest.raises(RecognitionBusy):
        await asyncio.wait_for(queue.run(Job("refused")), HANG)
    running.release.set()
    waiting.release.set()
    assert await asyncio.wait_for(asyncio.gather(*tasks), HANG) == ["running", "waiting"]


async def test_an_upload_never_takes_the_last_free_slot_nor_waits():
    """HTTP spoken turns (background jobs) run only while a slot stays free for calls:
    a flood of uploads cannot delay a live call's recognition."""
    queue = RecognitionQueue(max_concurrent=2, max_waiting=4)
    upload = Job("upload")
    first = asyncio.ensure_future(queue.run(upload, background=True))
    await until(lambda: upload.started.is_set())
    with pytest.raises(RecognitionBusy):  # a second upload would take the last slot
        await asyncio.wait_for(queue.run(Job("second upload"), background=True), HANG)
    call = Job("call")  # a call's recognition runs at once on the slot kept free
    calling = asyncio.ensure_future(queue.run(call))
    await until(lambda: call.started.is_set())
    assert queue.waiting == 0 and queue.background_running == 1
    waiting = asyncio.ensure_future(queue.run(Job("another call")))
    await until(lambda: queue.waiting == 1)
    call.release.set()
    assert await asyncio.wait_for(calling, HANG) == "call"
    upload.release.set()
    assert await asyncio.wait_for(first, HANG) == "upload"
    assert queue.background_running == 0
    waiting.cancel()


async def test_no_upload_runs_while_calls_hold_the_slots():
    queue = RecognitionQueue(max_concurrent=2, max_waiting=4)
    call = Job("call")
    calling = asyncio.ensure_future(queue.run(call))
    await until(lambda: call.started.is_set())
    with pytest.raises(RecognitionBusy):
        await asyncio.wait_for(queue.run(Job("upload"), background=True), HANG)
    call.release.set()
    await asyncio.wait_for(calling, HANG)
    later = Job("upload")
    later.release.set()
    assert await asyncio.wait_for(queue.run(later, background=True), HANG) == "upload"


async def test_a_speculation_never_waits_nor_passes_a_waiting_final():
    queue = RecognitionQueue(max_concurrent=1, max_waiting=2)
    running = Job("running")
    task = asyncio.ensure_future(queue.run(running))
    await until(running.started.is_set)
    with pytest.raises(RecognitionBusy):  # no free slot: no speculation
        await asyncio.wait_for(queue.run(Job("speculation"), speculative=True), HANG)
    assert queue.waiting == 0
    final = Job("final")
    waiting = asyncio.ensure_future(queue.run(final))
    await until(lambda: queue.waiting == 1)
    running.release.set()
    await asyncio.wait_for(task, HANG)
    await until(final.started.is_set)
    final.release.set()
    assert await asyncio.wait_for(waiting, HANG) == "final"
    speculation = Job("speculation")
    speculation.release.set()
    assert await asyncio.wait_for(queue.run(speculation, speculative=True), HANG) == "speculation"


async def test_a_cancelled_waiter_leaves_the_queue():
    queue = RecognitionQueue(max_concurrent=1, max_waiting=1)
    running = Job("running")
    task = asyncio.ensure_future(queue.run(running))
    await until(running.started.is_set)
    never = Job("never")
    waiting = asyncio.ensure_future(queue.run(never))
    await until(lambda: queue.waiting == 1)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert queue.waiting == 0
    running.release.set()
    await asyncio.wait_for(task, HANG)
    await until(lambda: queue.running == 0)
    assert not never.started.is_set()


async def test_a_cancelled_recognition_frees_its_slot_when_its_thread_ends():
    """A dropped speculation: the thread cannot be stopped (Whisper runs to its end), so
    its slot comes back when the thread ends, and goes to the next waiting final."""
    queue = RecognitionQueue(max_concurrent=1, max_waiting=1)
    speculation = Job("speculation")
    task = asyncio.ensure_future(queue.run(speculation, speculative=True))
    await until(speculation.started.is_set)
    final = Job("final")
    waiting = asyncio.ensure_future(queue.run(final))
    await until(lambda: queue.waiting == 1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert queue.running == 1  # its thread still runs
    speculation.release.set()
    await until(final.started.is_set)
    final.release.set()
    assert await asyncio.wait_for(waiting, HANG) == "final"
    await until(lambda: queue.running == 0)


async def test_the_process_default_is_shared_and_bounded():
    queue = default_recognition_queue()
    assert queue is default_recognition_queue()
    assert queue.max_concurrent >= 1 and queue.max_waiting >= 0
    with pytest.raises(ValueError):
        RecognitionQueue(max_concurrent=0)
