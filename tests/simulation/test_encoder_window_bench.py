"""bench/encoder_window.py's summary (simulation/encoder_window.py): per window and voice,
WER, rejections, time."""
from simulation.encoder_window import summarize


def row(window, voice, group, wer, ms, rejected=None):
    return {"window_s": window, "voice": voice, "group": group, "wer": wer, "ms": ms,
            "rejected": rejected}


def test_the_summary_is_per_window_and_voice_with_each_group():
    rows = [row(30.0, "mb-fr1", "date", 0.5, 800), row(30.0, "mb-fr1", "phone", 0.0, 700),
            row(20.0, "mb-fr1", "date", 0.25, 350, "low_logprob"),
            row(20.0, "mb-fr1", "phone", 0.0, 300)]
    report = summarize(rows)
    assert list(report) == ["30", "20"]
    assert report["30"]["mb-fr1"]["wer_mean"] == 0.25
    assert report["20"]["mb-fr1"]["rejected"] == 1
    assert report["20"]["mb-fr1"]["recognition_ms_p50"] == 325.0
    assert report["30"]["mb-fr1"]["wer_by_group"] == {"date": 0.5, "phone": 0.0}


def test_the_p95_is_a_measured_value():
    rows = [row(20.0, "mb-fr1", "date", 0.0, ms) for ms in (1, 2, 3, 4, 100)]
    assert summarize(rows)["20"]["mb-fr1"]["recognition_ms_p95"] == 100
    assert summarize([row(20.0, "mb-fr1", "date", 0.0, 5)])["20"]["mb-fr1"][
        "recognition_ms_p95"] == 5
