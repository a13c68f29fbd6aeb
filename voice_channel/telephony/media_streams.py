"""The Twilio Media Streams WebSocket protocol, as data (no I/O): formats, inbound events.

Twilio sends JSON text frames (twilio.com/docs/voice/media-streams/websocket-messages):
``connected``, then ``start`` (stream and call SIDs, custom ``<Parameter>``s, the
media format), ``media`` (base64 audio, 20 ms each), ``dtmf`` (a key pressed),
``mark`` (echo of a mark we sent, once the audio before it has played) and ``stop``.
On a ``<Connect><Stream>`` stream we send back ``media`` (base64 8 kHz µ-law, no
file header), ``mark`` and ``clear`` (drop the audio not played yet: barge-in).

:func:`parse_message` turns one inbound frame into a typed event and raises
:class:`ProtocolError` for anything else, a ``callSid`` that is not an identifier
(:func:`~.frame_fields.required_sid`) included: the call SID is logged, signed and named
after; :mod:`.outbound_frames` makes the frames we send.

Besides Twilio's ``audio/x-mulaw`` at 8000 Hz, a client of our own may announce
``audio/x-l16`` at 16000 Hz in ``start.mediaFormat``: its payloads are then signed
16-bit **little-endian** mono PCM (what a browser's ``Int16Array`` holds), not the
big-endian L16 of RTP (RFC 3551). What else a client asks in ``start``'s custom
parameters (its own events, whether it echoes marks) is :class:`StreamOptions`.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from voice_channel.telephony.frame_fields import (
    ProtocolError, object_field, optional_int, optional_sid, optional_str, required_int,
    required_sid, required_str,
)

MAX_MESSAGE_BYTES = 64 * 1024  # Twilio's frames are ~300 bytes; 64 KiB is ~2 s of L16
DTMF_DIGITS = frozenset("0123456789*#ABCD")
FRAME_MS = 20
TRUE_WORDS = ("true", "1", "yes", "oui", "on")  # a custom parameter's "yes"


@dataclass(frozen=True)
class MediaFormat:
    encoding: str
    sample_rate: int
    channels: int = 1

    @property
    def bytes_per_sample(self) -> int:
        return 1 if self.encoding == MULAW_8K.encoding else 2

    @property
    def silence_byte(self) -> int:
        return 0xFF if self.encoding == MULAW_8K.encoding else 0x00

    def frame_bytes(self, frame_ms: int = FRAME_MS) -> int:
        """Bytes of ``frame_ms`` of audio: 160 for µ-law 8 kHz, 640 for L16 16 kHz."""
        return self.sample_rate * frame_ms // 1000 * self.bytes_per_sample * self.channels


MULAW_8K = MediaFormat("audio/x-mulaw", 8000, 1)  # Twilio's only format
L16_16K = MediaFormat("audio/x-l16", 16000, 1)  # our own clients
SUPPORTED_FORMATS = (MULAW_8K, L16_16K)


@dataclass(frozen=True)
class Connected:
    protocol: str
    version: str


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str
    media_format: MediaFormat
    tracks: Tuple[str, ...] = ("inbound",)
    custom_parameters: Mapping[str, str] = field(default_factory=dict)
    sequence_number: Optional[int] = None

    def __repr__(self) -> str:  # custom parameters hold the caller's number: keep it out of logs
        return (f"Start(stream_sid={self.stream_sid!r}, call_sid={self.call_sid!r}, "
                f"media_format={self.media_format}, parameters={sorted(self.custom_parameters)})")


@dataclass(frozen=True)
class StreamOptions:
    """What a client asks of its stream in ``start``'s custom parameters (our web page
    does): ``events`` "true" for the call's own events as JSON frames (transcript, bot
    texts, partial recognitions, a transfer); ``marks`` "echo" when the client echoes
    ``mark`` frames as Twilio does, "none" when it does not (playback is then timed by
    the clock). By default only a µ-law stream (Twilio) is trusted to echo them."""

    events: bool = False
    echo_marks: bool = True

    @classmethod
    def from_start(cls, start: Start) -> "StreamOptions":
        params = start.custom_parameters
        events = params.get("events", "").strip().lower() in TRUE_WORDS
        echo = params.get("marks", "").strip().lower()
        echo_marks = (start.media_format == MULAW_8K) if echo not in ("echo", "none") else echo == "echo"
        return cls(events=events, echo_marks=echo_marks)


@dataclass(frozen=True)
class Media:
    stream_sid: str
    track: str
    chunk: int
    timestamp: int  # milliseconds since the stream started
    payload: bytes = field(repr=False)
    sequence_number: Optional[int] = None


@dataclass(frozen=True)
class Dtmf:
    stream_sid: str
    digit: str
    track: str = "inbound_track"
    sequence_number: Optional[int] = None

    def __repr__(self) -> str:  # a key pressed may be part of a patient ID
        return f"Dtmf(stream_sid={self.stream_sid!r})"


@dataclass(frozen=True)
class Mark:
    stream_sid: str
    name: str
    sequence_number: Optional[int] = None


@dataclass(frozen=True)
class Stop:
    stream_sid: str
    call_sid: Optional[str] = None
    account_sid: Optional[str] = None
    sequence_number: Optional[int] = None


InboundEvent = Union[Connected, Start, Media, Dtmf, Mark, Stop]

_EVENT_NAME = re.compile(r"^[A-Za-z_]{1,32}$")


def parse_message(frame: Union[str, bytes, bytearray]) -> InboundEvent:
    """The event in one inbound WebSocket text frame; ProtocolError if it is not one."""
    if isinstance(frame, (bytes, bytearray)):
        if len(frame) > MAX_MESSAGE_BYTES:
            raise ProtocolError("message too large")
        try:
            frame = bytes(frame).decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("message is not UTF-8 text") from None
    if not isinstance(frame, str):
        raise ProtocolError("message is not text")
    if len(frame) > MAX_MESSAGE_BYTES:
        raise ProtocolError("message too large")
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError):
        raise ProtocolError("invalid JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("message is not a JSON object")
    event = message.get("event")
    if not isinstance(event, str):
        raise ProtocolError("missing 'event'")
    parser = _PARSERS.get(event)
    if parser is None:
        named = f" {event!r}" if _EVENT_NAME.match(event) else ""
        raise ProtocolError(f"unknown event{named}")
    sequence = optional_int(message, "sequenceNumber", event)
    return parser(message, sequence)


def _parse_connected(message: Dict[str, Any], _sequence: Optional[int]) -> Connected:
    return Connected(
        protocol=optional_str(message, "protocol", "connected") or "",
        version=optional_str(message, "version", "connected") or "",
    )


def _parse_start(message: Dict[str, Any], sequence: Optional[int]) -> Start:
    start = object_field(message, "start", "start")
    stream_sid = required_str(start, "streamSid", "start")
    outer = message.get("streamSid")
    if outer is not None and outer != stream_sid:
        raise ProtocolError("start: streamSid differs from start.streamSid")
    tracks = start.get("tracks", ["inbound"])
    if not isinstance(tracks, list) or not tracks or not all(isinstance(t, str) and t for t in tracks):
        raise ProtocolError("start: 'tracks' must be a non-empty list of strings")
    parameters = start.get("customParameters", {})
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parameters.items()
    ):
        raise ProtocolError("start: 'customParameters' must map strings to strings")
    return Start(
        stream_sid=stream_sid,
        call_sid=required_sid(start, "callSid", "start"),
        account_sid=optional_str(start, "accountSid", "start") or "",
        media_format=_media_format(object_field(start, "mediaFormat", "start")),
        tracks=tuple(tracks),
        custom_parameters=dict(parameters),
        sequence_number=sequence,
    )


def _media_format(raw: Dict[str, Any]) -> MediaFormat:
    encoding = raw.get("encoding")
    rate = raw.get("sampleRate")
    channels = raw.get("channels", 1)
    if not isinstance(encoding, str):
        raise ProtocolError("start: mediaFormat.encoding must be a string")
    for name, value in (("sampleRate", rate), ("channels", channels)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProtocolError(f"start: mediaFormat.{name} must be an integer")
    found = MediaFormat(encoding.lower(), rate, channels)
    if found not in SUPPORTED_FORMATS:
        raise ProtocolError(
            "start: unsupported mediaFormat (expected audio/x-mulaw 8000 Hz or "
            "audio/x-l16 16000 Hz, mono)"
        )
    return found


def _parse_media(message: Dict[str, Any], sequence: Optional[int]) -> Media:
    media = object_field(message, "media", "media")
    payload = media.get("payload")
    if not isinstance(payload, str):
        raise ProtocolError("media: missing 'payload'")
    try:
        audio = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("media: payload is not valid base64") from None
    return Media(
        stream_sid=required_str(message, "streamSid", "media"),
        track=required_str(media, "track", "media"),
        chunk=required_int(media, "chunk", "media"),
        timestamp=required_int(media, "timestamp", "media"),
        payload=audio,
        sequence_number=sequence,
    )


def _parse_dtmf(message: Dict[str, Any], sequence: Optional[int]) -> Dtmf:
    dtmf = object_field(message, "dtmf", "dtmf")
    digit = dtmf.get("digit")
    if not isinstance(digit, str) or digit not in DTMF_DIGITS:
        raise ProtocolError("dtmf: 'digit' must be one of 0-9, *, #, A-D")
    return Dtmf(
        stream_sid=required_str(message, "streamSid", "dtmf"),
        digit=digit,
        track=optional_str(dtmf, "track", "dtmf") or "inbound_track",
        sequence_number=sequence,
    )


def _parse_mark(message: Dict[str, Any], sequence: Optional[int]) -> Mark:
    mark = object_field(message, "mark", "mark")
    return Mark(
        stream_sid=required_str(message, "streamSid", "mark"),
        name=required_str(mark, "name", "mark"),
        sequence_number=sequence,
    )


def _parse_stop(message: Dict[str, Any], sequence: Optional[int]) -> Stop:
    stop = message.get("stop")
    if stop is not None and not isinstance(stop, dict):
        raise ProtocolError("stop: 'stop' must be an object")
    stop = stop or {}
    return Stop(
        stream_sid=required_str(message, "streamSid", "stop"),
        call_sid=optional_sid(stop, "callSid", "stop"),
        account_sid=optional_str(stop, "accountSid", "stop"),
        sequence_number=sequence,
    )


_PARSERS = {
    "connected": _parse_connected,
    "start": _parse_start,
    "media": _parse_media,
    "dtmf": _parse_dtmf,
    "mark": _parse_mark,
    "stop": _parse_stop,
}
