"""Outbound audio pacing: what :meth:`Playback.heard` says has played, on a fast clock."""
from __future__ import annotations

import asyncio
import json
from typing import List

import numpy as np
import pytest

from voice_channel.call.clock import FastClock
from voice_channel.telephony.media_streams import MULAW_8K
from voice_channel.telephony.playback import Playback

pytestmark = pytest.mark.asyncio


def tone(seconds: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


async def test_heard_follows_the_pacing_and_a_clear_forgets_it():
    sent: List[dict] = []

    async def send(text: str) -> None:
        sent.append(json.loads(text))

    clock = FastClock(10)
    playback = Playback(send, "MZ1", MULAW_8K, clock=clock, echo_marks=False)
    first = playback.enqueue(tone(1.0), 16000)
    second = playback.enqueue(tone(0.5), 16000)
    assert playback.heard() == {}  # nothing sent yet
    started = clock.now()
    while clock.now() - started < 1.2:
        await asyncio.sleep(0.005)
    heard = playback.heard()
    assert heard[first] == pytest.approx(1.0, abs=0.05)
    assert heard[second] == pytest.approx(0.2, abs=0.1)
    await playback.clear()
    assert playback.heard() == {} and sent[-1]["event"] == "clear"
    assert not playback.speaking


async def test_a_new_run_after_silence_starts_a_new_record():
    async def send(text: str) -> None:
        pass

    clock = FastClock(10)
    playback = Playback(send, "MZ1", MULAW_8K, clock=clock, echo_marks=False)
    first = playback.enqueue(tone(0.3), 16000)
    await playback.drain()
    await clock.sleep(0.5)
    second = playback.enqueue(tone(0.3), 16000)
    await clock.sleep(0.1)
    heard = playback.heard()
    assert first not in heard and 0.0 < heard[second] <= 0.3
