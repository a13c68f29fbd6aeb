"""The voice channel's shared fixtures: Whisper base loaded once (``make models``),
espeak-ng's synthesizer, for the tests that run real audio through the real engines,
and ``asgi``, a request to a Sanic app through httpx's ASGI transport."""
from __future__ import annotations

import httpx
import pytest
from sanic import Sanic

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


@pytest.fixture
def asgi(monkeypatch):
    """``await asgi(app, method, path, **options)`` through httpx's ASGI transport."""
    monkeypatch.setattr(Sanic, "test_mode", True)

    async def request(app: Sanic, method: str, path: str, **options) -> httpx.Response:
        await app._startup()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://clinique.test") as client:
            return await client.request(method, path, **options)

    return request
