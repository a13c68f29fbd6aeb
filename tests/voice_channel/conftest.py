"""The voice channel's shared fixtures: Whisper base loaded once (``make models``), and
espeak-ng's synthesizer, for the tests that run real audio through the real engines."""
from __future__ import annotations

import pytest

from tests.conftest import PROJECT_ROOT, skip_or_fail

WHISPER_BASE = PROJECT_ROOT / "models" / "whisper-base"


@pytest.fixture(scope="session")
def whisper():
    if not (WHISPER_BASE / "model.bin").is_file():
        skip_or_fail(f"{WHISPER_BASE}/model.bin is absent: run `python scripts/fetch_whisper_base.py`")
    from voice_channel.stt.whisper import WhisperRecognizer

    recognizer = WhisperRecognizer(str(WHISPER_BASE))
    recognizer.load()
    return recognizer


@pytest.fixture(scope="session")
def espeak():
    from simulation.synthetic_audio import require_tool
    from voice_channel.tts import create_synthesizer

    require_tool("espeak-ng")
    return create_synthesizer("espeak")
