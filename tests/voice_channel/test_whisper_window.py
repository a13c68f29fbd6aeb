"""Whisper's encoder on a shorter window (voice_channel/stt/whisper_window.py)."""
from __future__ import annotations

import numpy as np
import pytest

from simulation.synthetic_audio import CALLER_RATE, speech_16k
from tests.conftest import PROJECT_ROOT, skip_or_fail
from voice_channel.stt.whisper_window import content_frames, window_frames

WHISPER_BASE = PROJECT_ROOT / "models" / "whisper-base"


def padded(content: int, total: int = 3000) -> np.ndarray:
    """Log-mel features as faster-whisper hands them over: content, then zero padding."""
    features = np.zeros((80, total), dtype=np.float32)
    features[:, :content] = -0.5  # normalised log-mel: digital silence is not zero
    return features


def test_the_window_keeps_the_whole_utterance_and_cuts_only_padding():
    assert content_frames(padded(340)) == 340
    assert content_frames(padded(0)) == 0
    assert window_frames(padded(340), 15.0) == 1500  # padded to the window
    assert window_frames(padded(2200), 15.0) == 2200  # a long answer is never cut
    assert window_frames(padded(340), 30.0) == 3000  # Whisper's own window
    assert window_frames(padded(340, total=1200), 15.0) == 1200  # never more than given


@pytest.mark.parametrize("seconds", [0.5, 31.0])
def test_the_window_is_between_one_and_thirty_seconds(seconds):
    from voice_channel.stt.whisper_window import windowed_model

    with pytest.raises(ValueError, match="between 1 and 30"):
        windowed_model(seconds, "base")


@pytest.fixture(scope="module")
def windowed():
    if not (WHISPER_BASE / "model.bin").is_file():
        skip_or_fail(f"{WHISPER_BASE}/model.bin is absent: run `python scripts/fetch_whisper_base.py`")
    from voice_channel.stt.whisper import WhisperRecognizer

    return WhisperRecognizer(str(WHISPER_BASE), encoder_window_s=10.0)


def test_the_encoder_sees_the_window_and_the_words_are_heard(windowed):
    """The real model: 10 s of features become 500 encoder positions (Whisper halves the
    frames; 1,500 for 30 s), and a short answer is still heard."""
    from voice_channel.stt.whisper import WhisperRecognizer

    model = windowed._whisper()
    assert model.encode(padded(340)).shape[1] == 500
    assert model.encode(padded(2200)).shape[1] == 1100
    full = WhisperRecognizer(str(WHISPER_BASE), encoder_window_s=30.0)
    assert full._cache_key != windowed._cache_key  # two windows, two loaded models
    audio = speech_16k("Merci beaucoup, au revoir.", voice="mb-fr1", rate=CALLER_RATE)
    assert "revoir" in windowed.transcribe(audio).text.lower()


def test_the_window_is_twenty_seconds_unless_configured(monkeypatch):
    from voice_channel.stt.whisper import WhisperRecognizer

    monkeypatch.delenv("WHISPER_ENCODER_WINDOW", raising=False)
    assert WhisperRecognizer("base").encoder_window_s == 20.0
    monkeypatch.setenv("WHISPER_ENCODER_WINDOW", "30")
    assert WhisperRecognizer("base").encoder_window_s == 30.0
    assert WhisperRecognizer("base", encoder_window_s=12.5).encoder_window_s == 12.5
