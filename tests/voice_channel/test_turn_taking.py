"""The call's pure stages: turn-taking rules, the keypad collector, streaming Silero VAD."""
from __future__ import annotations

import numpy as np
import pytest

from simulation.synthetic_audio import silence, speech_16k
from voice_channel.call.keypad import KeypadCollector
from voice_channel.listening.turn_taking import EndOfTurn, TurnSettings, TurnTaking
from voice_channel.listening.vad import EnergyVad, SileroVad, create_vad

W = 32.0  # ms per VAD window
# The rules below were written for a 200 ms pause (the call's default is 300 ms).
PAUSE_200 = TurnSettings(pause_ms=200.0)


def drive(turns: TurnTaking, pattern: str, bot: str = "", start_ms: float = 0.0):
    """``pattern``: one char per 32 ms window, "s" speech, "." silence; ``bot``: "b" = speaking."""
    events = []
    for i, mark in enumerate(pattern):
        end = start_ms + (i + 1) * W
        speaking = i < len(bot) and bot[i] == "b"
        events += [(i, e) for e in turns.update(end, W, mark == "s", speaking)]
    return events


def kinds(events):
    return [type(e).__name__ for _, e in events]


def test_a_turn_starts_pauses_and_ends_after_500_ms_of_silence():
    events = drive(TurnTaking(PAUSE_200), "...." + "s" * 20 + "." * 20)
    assert kinds(events) == ["SpeechStarted", "PauseStarted", "EndOfTurn"]
    (i0, started), (i1, pause), (i2, end) = events
    assert started.start_ms == 4 * W and not started.during_bot
    assert i1 == 24 + 6  # 7 silent windows (224 ms) ≥ 200 ms
    assert i2 == 24 + 15  # 16 silent windows (512 ms) ≥ 500 ms
    assert end.start_ms == 4 * W and end.speech_end_ms == 24 * W == pause.speech_end_ms


def test_a_click_is_not_speech_and_a_resume_cancels_the_pause():
    assert drive(TurnTaking(PAUSE_200), "..s..s....") == []  # single windows < 90 ms
    events = drive(TurnTaking(PAUSE_200), "sssssss" + "......." + "ssss" + "." * 16)
    assert kinds(events) == ["SpeechStarted", "PauseStarted", "SpeechResumed", "PauseStarted",
                             "EndOfTurn"]
    assert events[-1][1].speech_end_ms == 18 * W


def test_end_of_turn_is_configurable():
    events = drive(TurnTaking(TurnSettings(end_of_turn_ms=1000)), "ssss" + "." * 40)
    assert events[-1][0] == 4 + 31  # 32 windows = 1024 ms
    with pytest.raises(ValueError):
        TurnSettings(pause_ms=600, end_of_turn_ms=500)


def test_barge_in_needs_sustained_speech_while_the_bot_speaks():
    turns = TurnTaking(PAUSE_200)
    events = drive(turns, "s" * 30 + "." * 16, bot="b" * 46)
    assert kinds(events) == ["SpeechStarted", "BargeIn", "PauseStarted", "EndOfTurn"]
    assert events[0][1].during_bot
    assert events[1][0] == 18  # 19 windows = 608 ms ≥ 600 ms
    assert isinstance(events[-1][1], EndOfTurn)  # after a barge-in the utterance is a turn


def test_a_backchannel_during_the_bot_is_dropped():
    events = drive(TurnTaking(PAUSE_200), "sssssssssss" + "." * 16, bot="b" * 27)  # 352 ms "oui"
    assert kinds(events) == ["SpeechStarted", "PauseStarted", "Backchannel"]
    # the same short answer when the bot is silent is a turn
    events = drive(TurnTaking(PAUSE_200), "sssssssssss" + "." * 16)
    assert kinds(events)[-1] == "EndOfTurn"


def test_an_endless_utterance_is_cut():
    events = drive(TurnTaking(TurnSettings(max_utterance_ms=1000)), "s" * 40)
    assert kinds(events)[:2] == ["SpeechStarted", "EndOfTurn"]  # then a new turn begins


# -- keypad -------------------------------------------------------------------------------

def test_keypad_hash_star_and_pause():
    keypad = KeypadCollector(pause_seconds=3.0)
    assert [keypad.press(k, t) for k, t in zip("12*34", range(5))] == [None] * 5
    assert keypad.pending == "34" and keypad.deadline == 7.0
    assert keypad.press("#", 5) == "34" and keypad.pending == ""
    assert keypad.press("#", 6) is None  # nothing typed
    keypad.press("9", 10)
    assert keypad.expire(12.9) is None and keypad.expire(13.0) == "9"
    keypad.press("A", 20)
    assert keypad.pending == "" and keypad.expire(30) is None
    short = KeypadCollector(max_digits=3)
    assert [short.press(k, 0) for k in "123"] == [None, None, "123"]


# -- VAD ------------------------------------------------------------------------------------

def test_silero_streams_exactly_like_faster_whispers_whole_file_pass():
    from faster_whisper.vad import get_vad_model

    audio = np.concatenate([speech_16k("Bonjour, je voudrais prendre rendez-vous."), silence(0.6)])
    audio = audio[: len(audio) // 512 * 512].astype(np.float32)
    whole = get_vad_model()(audio).reshape(-1)
    vad = SileroVad(threshold=0.5)  # Silero's own threshold, as faster-whisper uses it
    pcm = np.round(audio * 32767).astype(np.int16)
    windows = []
    for i in range(0, len(pcm), 320):  # 20 ms phone frames, not aligned on 512
        windows += vad.process(pcm[i:i + 320])
    # How long a window takes is the benches' to measure (bench/voice_http.py reports the
    # VAD stage, simulation/voice_http/recognition_steps.py times it per utterance), not a test's.
    assert len(windows) == len(whole)
    assert np.allclose([w.probability for w in windows], whole, atol=2e-3)  # int16 rounding
    assert windows[-1].end_ms == pytest.approx(len(pcm) / 16)
    assert any(w.speech for w in windows) and not windows[-1].speech and not windows[0].speech


def test_energy_vad_and_factory():
    vad = create_vad("energy")
    assert isinstance(vad, EnergyVad)
    loud = (np.sin(np.arange(1024) / 3) * 8000).astype(np.int16)
    out = vad.process(np.concatenate([np.zeros(1024, np.int16), loud]))
    assert [w.speech for w in out] == [False, False, True, True]
    with pytest.raises(ValueError):
        create_vad("nope")


@pytest.mark.parametrize("text", ["oui", "Je m'appelle Bernard", "je voudrais prendre rendez-vous"])
def test_after_a_long_silence_a_turn_starts_early_enough_for_the_preroll(text):
    """A caller silent while the bot spoke (10–20 s of digital µ-law silence), then a
    short answer, at 14 offsets across the VAD's 32 ms window grid: with the call's
    default settings every answer starts a turn, and the turn is declared soon enough
    that the preroll still holds 150 ms before the first loud frame (at Silero's usual
    0.5 with a 300 ms preroll, "oui" was missed and "Je m'appelle" lost its "Je")."""
    from simulation.synthetic_audio import CALLER_RATE, require_caller_voice
    from simulation.phone_caller import FORMATS, frame_rms, speech_of, utterance_frames
    from voice_channel.telephony.mulaw import StreamResampler, mulaw_decode
    from voice_channel.call.settings import PhoneCallSettings
    from voice_channel.listening.turn_taking import SpeechStarted

    settings = PhoneCallSettings()
    mulaw = FORMATS["mulaw"]
    frames, _ = utterance_frames(speech_of(text, require_caller_voice(), CALLER_RATE), mulaw)
    onset = next(i for i, f in enumerate(frames) if frame_rms(f, mulaw) > 200) * 20.0
    silent_frame = bytes([mulaw.silence_byte]) * mulaw.frame_bytes()
    late = []
    for silent_frames in range(500, 1000, 37):
        upsampler = StreamResampler(8000, 16000)
        vad = create_vad(settings.vad, settings.vad_threshold)
        turns = TurnTaking(settings.turn_settings())
        declared = None
        for frame in [silent_frame] * silent_frames + frames:
            for window in vad.process(upsampler.process(mulaw_decode(frame))):
                events = turns.update(window.end_ms, window.duration_ms, window.speech, False)
                if declared is None and any(isinstance(e, SpeechStarted) for e in events):
                    declared = window.end_ms
        assert declared is not None, f"{text!r} after {silent_frames * 20} ms of silence: no turn"
        late.append(declared - (silent_frames * 20.0 + onset))
    assert max(late) <= settings.preroll_ms - 150, late
