"""The frames we send on a media stream: ``media``, ``mark``, ``clear``, our own events.

The only place stream JSON is written. ``media`` carries base64 audio in the stream's
format, 20 ms a frame (:func:`audio_frames` cuts a reply); ``mark`` asks the far end to
echo it once the audio before it has played; ``clear`` drops what it has not played
yet (barge-in). :func:`event_message` frames are for our own clients (the web page):
the transcript, the bot's texts, partial recognitions, a transfer.
"""
from __future__ import annotations

import base64
import json
from typing import Any, Iterator, Mapping, Optional

from voice_channel.telephony.media_streams import FRAME_MS, MULAW_8K, MediaFormat


def media_message(stream_sid: str, audio: bytes) -> str:
    """A ``media`` frame playing ``audio`` (8 kHz µ-law for Twilio, no file header)."""
    _check_sid(stream_sid)
    payload = base64.b64encode(bytes(audio)).decode("ascii")
    return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def mark_message(stream_sid: str, name: str) -> str:
    """A ``mark`` frame: Twilio echoes it once the audio sent before it has played."""
    _check_sid(stream_sid)
    if not isinstance(name, str) or not name:
        raise ValueError("a mark needs a non-empty name")
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    """A ``clear`` frame: drop the audio not played yet (Twilio then echoes pending marks)."""
    _check_sid(stream_sid)
    return json.dumps({"event": "clear", "streamSid": stream_sid})


def event_message(stream_sid: Optional[str], payload: Mapping[str, Any]) -> str:
    """A frame of our own clients' protocol (``transcript``, ``bot``, ``partial``,
    ``transfer``…): ``payload`` with the stream's SID; Twilio never receives one."""
    return json.dumps({**payload, "streamSid": stream_sid}, ensure_ascii=False)


def _check_sid(stream_sid: str) -> None:
    if not isinstance(stream_sid, str) or not stream_sid:
        raise ValueError("a streamSid is required")


def audio_frames(audio: bytes, media_format: MediaFormat = MULAW_8K, *,
                 frame_ms: int = FRAME_MS, pad_last: bool = True) -> Iterator[bytes]:
    """``audio`` (already in ``media_format``) cut into ``frame_ms`` frames for pacing.

    The last frame is padded with silence to full length unless ``pad_last`` is False.
    """
    size = media_format.frame_bytes(frame_ms)
    if size <= 0:
        raise ValueError("frame_ms is too short for one sample")
    data = bytes(audio)
    if len(data) % (media_format.bytes_per_sample * media_format.channels):
        raise ValueError("audio does not hold whole samples")
    for offset in range(0, len(data), size):
        frame = data[offset:offset + size]
        if pad_last and len(frame) < size:
            frame += bytes([media_format.silence_byte]) * (size - len(frame))
        yield frame
