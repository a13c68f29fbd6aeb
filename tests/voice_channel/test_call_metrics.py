"""A call's stage log (voice_channel/call/metrics.py): each turn's stages in order,
their durations adding up to the voice-to-voice, and no text in the line."""
from __future__ import annotations

import logging

import pytest

from voice_channel.call.metrics import CallMetrics, TurnTiming


def test_each_stage_lasts_from_the_previous_stamp():
    timing = TurnTiming("speech")
    for stage, at in [("spoken", 10.0), ("end_of_turn", 10.5), ("recognition", 10.62),
                      ("rasa", 10.9), ("first_tts_frame", 11.0), ("first_frame_sent", 11.01)]:
        timing.mark(stage, at)
    assert timing.stage_ms() == {"end_of_turn": 500, "recognition": 120, "rasa": 280,
                                 "first_tts_frame": 100, "first_frame_sent": 10}


def test_the_first_stamp_stays_and_unknown_stages_are_refused():
    timing = TurnTiming("speech")
    timing.mark("spoken", 1.0)
    timing.mark("spoken", 2.0)
    assert timing.stamps["spoken"] == 1.0
    with pytest.raises(ValueError):
        timing.mark("lunch", 3.0)


def test_one_line_per_turn_without_text(caplog):
    caplog.set_level(logging.INFO, "voice_channel")
    metrics = CallMetrics(call_sid="CA42")
    metrics.call_started(0.0)
    metrics.greeting.mark("rasa", 0.3)
    metrics.on_synthesized(0.4)
    metrics.on_audio_start(0.45)
    turn = TurnTiming("keypad")
    turn.mark("end_of_turn", 5.0)
    turn.mark("rasa", 5.2)
    metrics.record(turn, 5.0)
    metrics.on_synthesized(5.3)
    metrics.on_synthesized(5.9)  # a second answer of the same turn: not the first frame
    metrics.on_audio_start(5.35)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "call CA42: greeting (greeting) stages ms: rasa 300, first_tts_frame 100, "
        "first_frame_sent 50; speculation none; voice-to-voice 450",
        "call CA42: turn 1 (keypad) stages ms: end_of_turn 0, rasa 200, first_tts_frame 100, "
        "first_frame_sent 50; speculation none; voice-to-voice 350",
    ]
    assert metrics.turns == [turn] and metrics.greeting.voice_to_voice == pytest.approx(0.45)
