"""The voice channel's shipped defaults, as README states them, each read from what ships
(``credentials.yml``'s voice section, through ``VoiceSettings.from_credentials``, and the
code's own defaults) and checked on the channel's real routes, in this process:

* audio sampled under 8 kHz is refused with 415 (README, "For the clinic staff" …
  "audio sampled under 8 kHz is refused (415)"; ``MIN_SOURCE_SAMPLE_RATE`` in
  voice_channel/audio/decode.py);
* one process takes 4 calls, the next hears « toutes nos lignes sont occupées » (README,
  the phone line: "one process takes `max_calls` calls at once (4)"; ``max_calls`` in
  credentials.yml, ``DEFAULT_MAX_CALLS`` in voice_channel/telephony/phone_lines.py);
* a text or HTTP voice turn Rasa leaves unanswered gets the apology after 8 s, and a
  caller on the phone the apology and the offer of the front desk after 7 s (README,
  "When something hangs"; ``dialogue_timeout`` in credentials.yml and
  voice_channel/settings.py, ``phone.dialogue_timeout`` in voice_channel/call/settings.py);
* a stream ticket expires one minute after the TwiML gave it, and a stream that brings
  an expired one is closed with 1008 (README, the phone line: "an expiry one minute
  ahead … a replayed, expired or edited one … closes the stream with 1008";
  ``DEFAULT_TTL_S`` in voice_channel/telephony/stream_tickets.py).

No test waits for a deadline to pass in real time: the deadlines are read where the
channel hands them to the dialogue, and made to pass at once (HTTP) or on a call's
faster clock (phone).
"""
from __future__ import annotations

import asyncio
import io
import itertools
import json
import uuid
import wave
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, List, Optional

import httpx
import numpy as np
import pytest
import websockets
import yaml
from sanic import Sanic

from simulation.stack import free_port
from voice_channel.channel import VoiceInput
from voice_channel.dialogue import conversation as conversation_module
from voice_channel.dialogue import deadline as deadline_module
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS as PROMPTS
from voice_channel.settings import VoiceSettings
from voice_channel.stt.base import SpeechRecognizer, Transcript
from voice_channel.stt.hints import RecognitionHint

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CALLER = "+33612345678"
_apps = itertools.count()


def shipped_voice_section() -> Dict[str, Any]:
    """The voice channel's section of credentials.yml, as it ships."""
    credentials = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8"))
    return credentials["voice_channel.channel.VoiceInput"]


@pytest.fixture
def shipped(monkeypatch) -> VoiceSettings:
    """The channel's settings from the shipped credentials.yml (no Twilio account in the
    environment: the shipped line then refuses unsigned calls)."""
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return VoiceSettings.from_credentials(shipped_voice_section())


class Rasa:
    """Rasa stand-in: records each message; answers « Bien reçu. », or never when
    ``hang`` says so for its text."""

    def __init__(self, hang=lambda text: False) -> None:
        self.texts: List[str] = []
        self.hang = hang
        self.released = asyncio.Event()  # the hanging requests end (late) once it is set

    async def __call__(self, message) -> None:
        self.texts.append(message.text)
        if self.hang(message.text):
            await self.released.wait()  # no answer in time
        await message.output_channel.send_text_message(message.sender_id, "Bien reçu.")


class HeardRecognizer(SpeechRecognizer):
    """Hears « je voudrais prendre rendez-vous » in whatever it is given; keeps each
    audio it was handed (16 kHz)."""

    def __init__(self) -> None:
        self.heard: List[np.ndarray] = []

    @property
    def name(self) -> str:
        return "heard"

    @property
    def model(self) -> str:
        return "none"

    def transcribe(self, pcm16k: np.ndarray, hint: Optional[RecognitionHint] = None) -> Transcript:
        self.heard.append(np.asarray(pcm16k))
        return Transcript(text="je voudrais prendre rendez-vous", engine=self.name,
                          model=self.model, raw_text="je voudrais prendre rendez-vous",
                          audio_seconds=len(pcm16k) / 16000)


@pytest.fixture(scope="module")
def espeak():
    from simulation.synthetic_audio import require_tool
    from voice_channel.tts import create_synthesizer

    require_tool("espeak-ng")
    return create_synthesizer("espeak")


def channel_with(settings: VoiceSettings, recognizer: SpeechRecognizer, synthesizer) -> VoiceInput:
    """The channel of ``settings`` with its speech engines already there (no model loaded)."""
    channel = VoiceInput(settings)
    channel.engines.recognizer, channel.engines.synthesizer = recognizer, synthesizer
    return channel


def app_with(channel, rasa, prefix: str = "/webhooks/voice") -> Sanic:
    app = Sanic(f"defaults_test_{next(_apps)}")
    app.blueprint(channel.blueprint(rasa), url_prefix=prefix)
    return app


def tone_wav(rate: int, seconds: float = 1.0) -> bytes:
    samples = (0.5 * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate) * 32767)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


# -- audio under 8 kHz: 415 ---------------------------------------------------------------

@pytest.mark.asyncio
async def test_audio_sampled_under_8_khz_is_refused_with_415(shipped, espeak, asgi):
    from voice_channel.audio.decode import MIN_SOURCE_SAMPLE_RATE

    assert MIN_SOURCE_SAMPLE_RATE == 8000  # README: "audio sampled under 8 kHz is refused"
    recognizer = HeardRecognizer()
    app = app_with(channel_with(shipped, recognizer, espeak), Rasa())

    async def upload(rate: int) -> httpx.Response:
        return await asgi(app, "POST", "/webhooks/voice/audio", data={"sender": "essai"},
                          files={"audio": ("tour.wav", tone_wav(rate), "audio/wav")})

    refused = await upload(MIN_SOURCE_SAMPLE_RATE - 1)
    assert refused.status_code == 415, refused.text
    assert "8000 Hz" in refused.json()["error"]
    assert recognizer.heard == []  # refused before any recognition
    accepted = await upload(MIN_SOURCE_SAMPLE_RATE)  # telephone quality is taken
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["transcript"] == "je voudrais prendre rendez-vous"
    [heard] = recognizer.heard
    assert len(heard) == pytest.approx(16000, abs=16)  # one second, at 16 kHz


# -- 4 phone lines ------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_one_process_takes_four_calls_and_the_fifth_hears_the_lines_are_busy(
        shipped, asgi, monkeypatch):
    from voice_channel.telephony.admission import CLOSE_TRY_AGAIN_LATER
    from voice_channel.telephony.media_streams import MULAW_8K, Start
    from voice_channel.telephony.phone_lines import DEFAULT_MAX_CALLS
    from voice_channel.telephony.phone_routes import stream_admission
    from voice_channel.telephony.twilio_signature import SIGNATURE_HEADER, compute_twilio_signature

    assert shipped_voice_section()["max_calls"] == DEFAULT_MAX_CALLS == VoiceSettings().max_calls
    lines = shipped.max_calls
    assert lines == 4  # README: "one process takes `max_calls` calls at once (4)"
    token = "jeton-twilio-0123456789abcdef0123"
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", token)  # the line answers signed calls only
    channel = VoiceInput(shipped)
    app = app_with(channel, Rasa())
    path = "/webhooks/voice/twilio/incoming"

    async def incoming_call():
        """Twilio's webhook for a new call, signed: (its call SID, the TwiML answered)."""
        form = {"From": CALLER, "CallSid": "CA" + uuid.uuid4().hex}
        signature = compute_twilio_signature(token, f"http://clinique.test{path}", form)
        answer = await asgi(app, "POST", path, data=form, headers={SIGNATURE_HEADER: signature})
        assert answer.status_code == 200, answer.text
        return form["CallSid"], ET.fromstring(answer.text)

    def stream(call):
        """The call's stream reaching ``start`` with its TwiML's parameters: its admission."""
        call_sid, twiml = call
        parameters = {p.get("name"): p.get("value") for p in twiml.iter("Parameter")}
        admit = stream_admission(channel.tickets, channel.lines, trusted=False,
                                 client_address="54.172.60.1", busy=PROMPTS.busy)
        return admit(Start(stream_sid="MZ" + uuid.uuid4().hex, call_sid=call_sid,
                           account_sid="AC1", media_format=MULAW_8K,
                           custom_parameters=parameters))

    calls = [await incoming_call() for _ in range(lines + 1)]  # five callers ring at once
    admitted = [stream(call) for call in calls[:lines]]
    assert all(call.accepted for call in admitted) and channel.lines.in_use == lines
    # The fifth stream is told the lines are busy (then closed 1013)...
    fifth = stream(calls[lines])
    assert not fifth.accepted and fifth.close_code == CLOSE_TRY_AGAIN_LATER
    assert fifth.spoken.startswith("Toutes nos lignes sont occupées")
    # ... and a sixth caller is answered so at once, without a stream.
    _, busy = await incoming_call()
    assert [child.tag for child in busy] == ["Say", "Hangup"]
    assert busy.find("Say").text.startswith("Toutes nos lignes sont occupées")
    admitted[0].release()  # a call ends: its line takes the next caller
    _, answered = await incoming_call()
    assert [child.tag for child in answered] == ["Connect", "Hangup"]


# -- the apology: 8 s over HTTP, 7 s on the phone --------------------------------------------

class Deadlines:
    """The seconds each request to the dialogue is given (``given``); with
    ``pass_at_once``, every deadline passes at once instead of after its seconds."""

    def __init__(self) -> None:
        self.given: List[float] = []
        self.pass_at_once = False


@pytest.fixture
def deadlines(monkeypatch) -> Deadlines:
    recorded = Deadlines()
    real = deadline_module.ask_with_deadline

    async def ask(request, seconds, what, call_sid):
        recorded.given.append(seconds)
        return await real(request, 0.0 if recorded.pass_at_once else seconds, what, call_sid)

    monkeypatch.setattr(deadline_module, "ask_with_deadline", ask)
    monkeypatch.setattr(conversation_module, "ask_with_deadline", ask)
    return recorded


@pytest.mark.asyncio
async def test_an_http_turn_rasa_leaves_unanswered_gets_the_apology_after_8_s(
        shipped, asgi, deadlines, monkeypatch):
    from voice_channel.staff_chat import StaffChatInput

    assert shipped_voice_section()["dialogue_timeout"] == VoiceSettings().dialogue_timeout == 8
    monkeypatch.setenv("STAFF_CHAT_TOKEN", "jeton-du-personnel-0123")
    staff = StaffChatInput.from_credentials(None)  # credentials.yml gives it no settings
    rasa = Rasa(hang=lambda text: True)
    deadlines.pass_at_once = True  # no test waits 8 s: the deadline is read, then passed
    turn = {"sender": "essai", "message": "je voudrais prendre rendez-vous"}
    try:
        for app, path, headers in (
                (app_with(VoiceInput(shipped), rasa), "/webhooks/voice/webhook", {}),
                (app_with(staff, rasa, "/webhooks/staff"), "/webhooks/staff/webhook",
                 {"Authorization": "Bearer jeton-du-personnel-0123"})):
            answer = await asgi(app, "POST", path, json=turn, headers=headers)
            assert answer.status_code == 200, answer.text
            [reply] = answer.json()
            assert reply["text"].startswith(
                "Excusez-moi, notre système met trop de temps à répondre.")
            assert "l'accueil du cabinet au 01 84 80 12 34" in reply["text"]
    finally:
        rasa.released.set()
    assert deadlines.given == [8.0, 8.0]  # README: "after 8 s (`dialogue_timeout`)"
    assert rasa.texts == [turn["message"]] * 2


@pytest.mark.asyncio
async def test_a_caller_rasa_leaves_unanswered_hears_the_apology_after_7_s(
        shipped, espeak, deadlines):
    from tests.voice_channel.test_phone_call import Line, ScriptedDialogue, run_call
    from voice_channel.call.clock import FastClock
    from voice_channel.dialogue.deadline import reception_phone
    from voice_channel.telephony.phone_call import PhoneCall

    phone = shipped.phone_call_settings()
    assert phone.dialogue_timeout == 7.0  # README: "after 7 s (`phone.dialogue_timeout`)"
    released = asyncio.Event()

    def reply(text: str):
        if text == "/greet":
            return [{"text": "Bonjour."}]
        return released.wait()  # the caller's turn: not answered in time

    dialogue = ScriptedDialogue(reply)
    clock = FastClock(4)  # the call's 7 s last 1.75 s here
    call = PhoneCall(HeardRecognizer(), espeak, dialogue, phone, clock=clock,
                     fallback_transfer_number=reception_phone())  # clinic.yml's, as the channel
    line = Line(clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: line.events("mark"))  # the greeting has played
        line.say("Je voudrais prendre un rendez-vous.")
        await line.until(lambda: len(line.bot_texts()) == 2)

    try:
        await run_call(call, line, script)
    finally:
        released.set()
    assert line.bot_texts() == ["Bonjour.", PROMPTS.slow_offer]
    assert "trop de temps" in PROMPTS.slow_offer and "l'accueil" in PROMPTS.slow_offer
    assert call.dialogue_timeouts == 1
    # The session's start, the greeting and the turn each had the shipped 7 s of the
    # call's clock (the session's close, as the call ends, has its own).
    assert deadlines.given[:3] == [clock.real_seconds(phone.dialogue_timeout)] * 3


# -- stream tickets: one minute, then 1008 ----------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


async def served(app: Sanic):
    """``app`` on a free port of 127.0.0.1: (its base URL, the server to close)."""
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    return f"127.0.0.1:{port}", server


async def close_code_after_start(url: str, call_sid: str, parameters: Dict[str, str]) -> Optional[int]:
    """The code the server closes the stream with after its ``start`` (None: it did not
    close it, and answered instead)."""
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"event": "connected"}))
        await ws.send(json.dumps({"event": "start", "streamSid": "MZ1", "start": {
            "streamSid": "MZ1", "callSid": call_sid, "customParameters": parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))
        try:
            await asyncio.wait_for(ws.recv(), 30)  # the greeting's first frame, or the close
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else closed.code
        return None


@pytest.mark.asyncio
async def test_a_stream_ticket_expires_after_a_minute_and_its_stream_is_closed_1008(
        shipped, espeak, monkeypatch):
    from voice_channel.telephony.stream_tickets import DEFAULT_TTL_S, StreamTickets

    assert DEFAULT_TTL_S == 60  # README: "an expiry one minute ahead"
    monkeypatch.setattr(Sanic, "test_mode", True)
    clock = Clock()
    channel = channel_with(shipped, HeardRecognizer(), espeak)
    # The channel's tickets, their lifetime as shipped, on a clock the test turns.
    channel.tickets = StreamTickets(b"0123456789abcdef0123456789abcdef", clock=clock)
    rasa = Rasa()
    host, server = await served(app_with(channel, rasa))
    try:
        url = f"ws://{host}/webhooks/voice/stream"
        late_sid, on_time_sid = "CA" + "1" * 32, "CA" + "2" * 32
        late = channel.tickets.issue(late_sid, CALLER)
        on_time = channel.tickets.issue(on_time_sid, CALLER)
        assert int(late.split(".")[1]) == int(clock.now + DEFAULT_TTL_S)
        clock.now += DEFAULT_TTL_S + 1  # a minute and a second after the TwiML
        code = await close_code_after_start(url, late_sid, {"caller": CALLER, "ticket": late})
        assert code == 1008
        assert rasa.texts == []  # the stream never became a call
        clock.now -= 2  # the other one, used within its minute, is a call
        assert await close_code_after_start(url, on_time_sid,
                                            {"caller": CALLER, "ticket": on_time}) is None
        assert "/greet" in await wait_for_texts(rasa)
    finally:
        server.close()
        await server.wait_closed()


async def wait_for_texts(rasa: Rasa, timeout: float = 30.0) -> List[str]:
    """What Rasa has been sent, once it has been sent something (``timeout`` at most)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not rasa.texts:
        assert loop.time() < deadline, "nothing reached Rasa"
        await asyncio.sleep(0.01)
    return rasa.texts
