"""A phone call's limits, through PhoneCall.serve as in test_phone_call (real Whisper base,
real espeak-ng, a scripted dialogue, over asyncio queues):

* admission at ``start``: refused (1008), busy (the busy sentence, then 1013), accepted
  (the admission's sender and metadata, its release once at the end);
* no ``start`` in time (1008), a client pushing audio faster than real time (1008);
* the bounded recognition queue: a turn that cannot even wait is asked again;
* a dialogue that hangs: an apology and the offer of the reception, then a transfer;
* the dialogue's session is closed when the stream ends.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from typing import List

import pytest

from tests.voice_channel.test_phone_call import (
    Line, ScriptedDialogue, fast, run_call,
)
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS as PROMPTS
from voice_channel.telephony.admission import Admission
from voice_channel.call.clock import FastClock
from voice_channel.telephony.media_streams import Start
from voice_channel.telephony.phone_call import PhoneCall

pytestmark = pytest.mark.asyncio

FALLBACK = "+33100000000"
HANG = 300.0  # the dialogue's hang: far longer than any test waits


class Admit:
    """The channel's admission function: returns ``admission``, records its calls."""

    def __init__(self, admission: Admission) -> None:
        self.released = 0
        self.starts: List[Start] = []
        self.admission = dataclasses.replace(admission, release=self._release)

    def _release(self) -> None:
        self.released += 1

    def __call__(self, start: Start) -> Admission:
        self.starts.append(start)
        return self.admission


async def until_ended(line: Line, call: PhoneCall) -> None:
    await line.until(lambda: call.ended, 20)


# -- admission ------------------------------------------------------------------------------------

async def test_a_refused_stream_is_closed_1008_and_never_reaches_the_dialogue(whisper, espeak,
                                                                               caplog):
    caplog.set_level(logging.INFO, "voice_channel")
    admit = Admit(Admission.refuse("no valid ticket"))
    dialogue = ScriptedDialogue()
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=FastClock(5), admit=admit)
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.start()
        await until_ended(line, call)
        line.start()  # nothing more is read

    await run_call(call, line, script)
    assert call.end_reason == "refused" and call.close_code == 1008
    assert len(admit.starts) == 1 and admit.starts[0].call_sid == "CA1"
    assert dialogue.said == [] and dialogue.sessions == [] and dialogue.sessions_closed == []
    assert line.received == []
    assert "no valid ticket" in caplog.text and "+3361234" not in caplog.text


@pytest.mark.parametrize("echo_marks", [True, False], ids=["marks echoed", "marks never echoed"])
async def test_busy_plays_the_busy_sentence_then_closes_1013(whisper, espeak, echo_marks):
    admit = Admit(Admission.busy(PROMPTS.busy))
    dialogue = ScriptedDialogue()
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=FastClock(5), admit=admit)
    line = Line(call.clock, echo_marks=echo_marks)  # a client that never echoes is not waited for

    await run_call(call, line, lambda line: _started(line, call), timeout=30)
    assert call.end_reason == "busy" and call.close_code == 1013
    assert line.bot_texts() == [PROMPTS.busy]
    frames = len(line.events("media"))
    assert frames > 100 and line.events("mark")  # the sentence (several seconds), then its mark
    assert dialogue.said == [] and dialogue.sessions == [] and dialogue.sessions_closed == []
    assert admit.released == 1


async def _started(line: Line, call: PhoneCall) -> None:
    line.start()
    await until_ended(line, call)


async def test_an_accepted_call_runs_under_the_admission_sender_and_metadata(whisper, espeak):
    admit = Admit(Admission.accept("conv-7f3a", {"line": "cabinet"}))
    dialogue = ScriptedDialogue(lambda text: [{"text": "Bonjour."}] if text == "/greet"
                                else [{"text": "Pour quel jour ?"}])
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=FastClock(4), admit=admit)
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        await line.until(lambda: not call._playback.speaking)
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: len(dialogue.said) == 2)
        assert admit.released == 0  # the line is held while the call runs
        line.stop()
        await until_ended(line, call)

    await run_call(call, line, script)
    assert call.end_reason == "stop" and call.close_code == 1000 and call.sender == "conv-7f3a"
    assert dialogue.sessions == ["conv-7f3a"] and dialogue.sender == "conv-7f3a"
    assert all(m == {"line": "cabinet"} for m in dialogue.metadata + dialogue.session_metadata)
    assert len(dialogue.metadata) == 2 and len(dialogue.session_metadata) == 2
    assert dialogue.sessions_closed == ["conv-7f3a"]  # nobody can go on with this call's form
    assert admit.released == 1


async def test_the_line_is_released_once_when_serve_is_cancelled(whisper, espeak):
    admit = Admit(Admission.accept("conv-1"))
    call = PhoneCall(whisper, espeak, ScriptedDialogue(), fast(), clock=FastClock(4), admit=admit)
    line = Line(call.clock)
    serving = asyncio.ensure_future(call.serve(line.receive, line.send))
    line.start()
    await line.until(lambda: line.events("mark"))
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)
    line.feeding.cancel()
    assert call.end_reason == "cancelled" and admit.released == 1


async def test_no_start_in_time_closes_1008(whisper, espeak):
    admit = Admit(Admission.accept("conv-1"))
    dialogue = ScriptedDialogue()
    call = PhoneCall(whisper, espeak, dialogue, fast(start_timeout=2.0), clock=FastClock(5),
                     admit=admit)
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.put({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await until_ended(line, call)

    await run_call(call, line, script)
    assert call.end_reason == "no_start" and call.close_code == 1008
    assert admit.starts == [] and dialogue.said == [] and dialogue.sessions == []


# -- a stream ahead of the clock -----------------------------------------------------------------

async def test_a_stream_faster_than_real_time_is_closed_but_a_real_time_one_is_not(whisper, espeak,
                                                                                   caplog):
    caplog.set_level(logging.INFO, "voice_channel")
    settings = fast(max_audio_ahead_seconds=2.0)

    # a real-time client, for longer than the margin: unaffected
    clock = FastClock(5)
    steady = PhoneCall(whisper, espeak, ScriptedDialogue(), settings, clock=clock)
    line = Line(clock)

    async def talk(line: Line) -> None:
        line.start()
        await line.until(lambda: line.chunk >= 300)  # 6 s of audio
        assert not steady.ended

    await run_call(steady, line, talk)
    assert steady.end_reason == "client_gone" and steady.close_code == 1000

    # a client pushing 20 s of audio at once
    flood = PhoneCall(whisper, espeak, ScriptedDialogue(), settings, clock=FastClock(5))
    line = Line(flood.clock)

    async def push(line: Line) -> None:
        line.start()
        line.feeding.cancel()
        for _ in range(1000):
            line.media(b"\xff" * 160)
        await until_ended(line, flood)

    await run_call(flood, line, push)
    assert flood.end_reason == "faster_than_real_time" and flood.close_code == 1008
    assert "faster than real time" in caplog.text


# -- the recognition queue ------------------------------------------------------------------------

async def test_a_turn_that_cannot_wait_for_recognition_is_asked_again(whisper, espeak, caplog):
    from voice_channel.listening.recognition_queue import RecognitionQueue

    caplog.set_level(logging.INFO, "voice_channel")
    queue = RecognitionQueue(max_concurrent=1, max_waiting=0)
    other_call = threading.Event()  # another call's recognition holds the only slot
    holding = asyncio.ensure_future(queue.run(other_call.wait, 60))
    dialogue = ScriptedDialogue(lambda text: [{"text": "Bonjour."}] if text == "/greet"
                                else [{"text": "Pour quel jour ?"}])
    clock = FastClock(4)
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=clock, recognition_queue=queue)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        await line.until(lambda: not call._playback.speaking)
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: PROMPTS.recognition_busy in line.bot_texts())
        assert dialogue.said == ["/greet"]
        other_call.set()
        await asyncio.wait_for(holding, 30)
        await line.until(lambda: not call._playback.speaking)
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: len(dialogue.said) == 2)

    try:
        await run_call(call, line, script)
    finally:
        other_call.set()
    assert "rendez-vous" in dialogue.said[1].lower()
    assert "recognition_busy" in caplog.text and "rendez-vous" not in caplog.text


# -- a dialogue that hangs -------------------------------------------------------------------------

def hanging_after_greeting(released: asyncio.Event):
    async def hang():
        await asyncio.wait_for(released.wait(), HANG)
        return [{"text": "Trop tard."}]

    return lambda text: [{"text": "Bonjour."}] if text == "/greet" else hang()


async def test_a_hanging_dialogue_is_apologised_for_and_yes_transfers_to_reception(whisper, espeak,
                                                                                   caplog):
    SLOW_OFFER, TO_RECEPTION = PROMPTS.slow_offer, PROMPTS.to_reception

    caplog.set_level(logging.INFO, "voice_channel")
    released = asyncio.Event()
    transfers = []

    async def transfer(call_sid: str, number: str) -> None:
        transfers.append((call_sid, number))

    dialogue = ScriptedDialogue(hanging_after_greeting(released))
    clock = FastClock(4)
    # a silence timeout shorter than the dialogue's: it must not fire while Rasa works
    call = PhoneCall(whisper, espeak, dialogue, fast(dialogue_timeout=7.0, silence_timeout=5.0),
                     clock=clock, transfer=transfer, fallback_transfer_number=FALLBACK)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        await line.until(lambda: not call._playback.speaking)
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: SLOW_OFFER in line.bot_texts())  # long before the 300 s hang
        assert line.bot_texts() == ["Bonjour.", SLOW_OFFER]
        frames = len(line.events("media"))
        await line.until(lambda: len(line.events("mark")) == 2 and not call._playback.speaking)
        assert len(line.events("media")) > frames + 100  # the apology was heard
        line.say("Oui, d'accord.")
        await until_ended(line, call)

    try:
        await run_call(call, line, script)
    finally:
        released.set()
    assert line.bot_texts() == ["Bonjour.", SLOW_OFFER, TO_RECEPTION]
    assert line.events("transcript")[-1]["text"] == "oui"
    assert call.end_reason == "transfer" and transfers == [("CA1", FALLBACK)]
    assert len(dialogue.said) == 2  # the "oui" was the call's, not the dialogue's
    assert dialogue.sessions_closed == ["phone:CA1"]
    assert FALLBACK not in caplog.text and "+331000" not in caplog.text


async def test_a_hanging_dialogue_then_no_says_goodbye(whisper, espeak):
    DECLINED, SLOW_OFFER = PROMPTS.declined, PROMPTS.slow_offer

    released = asyncio.Event()
    dialogue = ScriptedDialogue(hanging_after_greeting(released))
    clock = FastClock(4)
    call = PhoneCall(whisper, espeak, dialogue, fast(dialogue_timeout=7.0), clock=clock,
                     fallback_transfer_number=FALLBACK)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        await line.until(lambda: not call._playback.speaking)
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: SLOW_OFFER in line.bot_texts())
        await line.until(lambda: len(line.events("mark")) == 2 and not call._playback.speaking)
        line.say("Non, merci.")
        await until_ended(line, call)

    try:
        await run_call(call, line, script)
    finally:
        released.set()
    assert line.bot_texts() == ["Bonjour.", SLOW_OFFER, DECLINED]
    assert call.end_reason == "declined_reception" and not line.events("transfer")


async def test_a_hanging_greeting_without_a_fallback_number_asks_to_call_back(whisper, espeak):

    released = asyncio.Event()

    async def hang():
        await asyncio.wait_for(released.wait(), HANG)
        return [{"text": "Bonjour."}]

    dialogue = ScriptedDialogue(lambda text: hang())
    call = PhoneCall(whisper, espeak, dialogue, fast(dialogue_timeout=7.0), clock=FastClock(4))
    line = Line(call.clock)
    try:
        await run_call(call, line, lambda line: _started(line, call), timeout=30)
    finally:
        released.set()
    assert line.bot_texts() == [PROMPTS.slow_call_back] and line.events("mark")
    assert call.end_reason == "dialogue_timeout" and call.close_code == 1000


# -- the session closed at the end -----------------------------------------------------------------

async def test_the_session_is_closed_when_the_caller_hangs_up(whisper, espeak):
    dialogue = ScriptedDialogue()
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=FastClock(4))
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))

    await run_call(call, line, script)  # then hangs up
    assert call.end_reason == "client_gone"
    assert dialogue.sessions == ["phone:CA1"] and dialogue.sessions_closed == ["phone:CA1"]
    assert dialogue.session_metadata == [None, None]


async def test_a_hanging_dialogue_does_not_hang_the_end_of_the_call(whisper, espeak, caplog):
    caplog.set_level(logging.INFO, "voice_channel")
    released = asyncio.Event()

    class Stuck(ScriptedDialogue):
        async def say(self, sender, text, metadata=None):
            if self.said:  # the session's closing message hangs (the database is down)
                await asyncio.wait_for(released.wait(), HANG)
            return await super().say(sender, text, metadata)

    admit = Admit(Admission.accept("conv-9"))
    dialogue = Stuck()
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=FastClock(4), admit=admit)
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        line.stop()

    try:
        await run_call(call, line, script)  # serve returns (run_call allows it 10 s)
        assert admit.released == 1 and dialogue.sessions_closed == []
        assert "session not closed in time" in caplog.text
    finally:
        released.set()
    # the closing message, left in the background, now gets through
    await line.until(lambda: dialogue.sessions_closed, 10)
    assert dialogue.sessions_closed == ["conv-9"]


# -- the dialogue's goodbye ends the call; an empty answer is never silence -------------------------

async def test_the_dialogues_goodbye_is_heard_then_the_call_ends(whisper, espeak):
    def reply(text: str):
        if "revoir" in text.lower() or "non" in text.lower():
            return [{"text": "Merci de votre appel. Au revoir et bonne journée."},
                    {"custom": {"event": "end_call"}}]
        return [{"text": "Bonjour."}]

    dialogue = ScriptedDialogue(reply)
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=FastClock(4))
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        await line.until(lambda: not call._playback.speaking)
        line.say("Non, merci, au revoir.")
        await until_ended(line, call)

    await run_call(call, line, script)
    assert line.bot_texts() == ["Bonjour.", "Merci de votre appel. Au revoir et bonne journée."]
    assert call.end_reason == "goodbye" and call.close_code == 1000


async def test_a_turn_the_dialogue_answers_with_nothing_says_what_it_can_do(whisper, espeak):

    dialogue = ScriptedDialogue(lambda text: [] if dialogue.said[1:] else [{"text": "Bonjour."}])
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=FastClock(4))
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        await line.until(lambda: not call._playback.speaking)
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: PROMPTS.nothing_to_say in line.bot_texts())

    await run_call(call, line, script)
    assert line.bot_texts() == ["Bonjour.", PROMPTS.nothing_to_say]
