"""The Twilio Media Streams protocol as data (voice_channel.telephony.media_streams),
from the example messages of twilio.com/docs/voice/media-streams/websocket-messages."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from voice_channel.telephony.media_streams import (
    L16_16K,
    MULAW_8K,
    Connected,
    Dtmf,
    Mark,
    Media,
    MediaFormat,
    ProtocolError,
    Start,
    Stop,
    parse_message,
)
from voice_channel.telephony.outbound_frames import (
    audio_frames,
    clear_message,
    mark_message,
    media_message,
)
from voice_channel.telephony.mulaw import mulaw_encode
from voice_channel.telephony.stream_audio import InboundAudio, encode_for_stream

STREAM = "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
CALL = "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
ACCOUNT = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
CALLER = "+33612345678"
DOC_PAYLOAD = (
    "no+JhoaJjpzSHxAKBgYJDhtEopGKh4aIjZm7JhILBwYIDRY1qZaMh4aHi5SlSBwPCAYHCxIqtZ2Oh4aHio+bzCQTCwcG"
    "CQ0XOKeWjIeGh4uSoUMcDwgGBwsRKbSdjoeGh4qPm8ojEwsHBgkNGDmnlYuHhoiMlKZJHA8IBgcLEiq1nY6Hhg=="
)


def start_message(**media_format) -> dict:
    return {
        "event": "start",
        "sequenceNumber": "1",
        "start": {
            "accountSid": ACCOUNT,
            "streamSid": STREAM,
            "callSid": CALL,
            "tracks": ["inbound"],
            "mediaFormat": media_format or {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {"caller": CALLER},
        },
        "streamSid": STREAM,
    }


def media(payload: str = DOC_PAYLOAD, **fields) -> dict:
    body = {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": payload}
    body.update(fields)
    return {"event": "media", "sequenceNumber": "3", "media": body, "streamSid": STREAM}


def parse(message) -> object:
    return parse_message(json.dumps(message))


def test_connected():
    assert parse({"event": "connected", "protocol": "Call", "version": "1.0.0"}) == Connected("Call", "1.0.0")


def test_start_from_twilio():
    start = parse(start_message())
    assert start == Start(
        stream_sid=STREAM, call_sid=CALL, account_sid=ACCOUNT, media_format=MULAW_8K,
        tracks=("inbound",), custom_parameters={"caller": CALLER}, sequence_number=1,
    )
    assert CALLER not in repr(start)  # the caller's number never reaches a log through repr


def test_start_from_our_own_l16_client():
    message = start_message(encoding="audio/x-l16", sampleRate=16000, channels=1)
    del message["start"]["accountSid"], message["start"]["customParameters"], message["sequenceNumber"]
    start = parse(message)
    assert start.media_format == L16_16K and start.account_sid == "" and start.custom_parameters == {}
    assert start.sequence_number is None


def test_media_decodes_its_payload():
    event = parse(media())
    assert isinstance(event, Media)
    assert (event.stream_sid, event.track, event.chunk, event.timestamp, event.sequence_number) == (
        STREAM, "inbound", 1, 5, 3)
    assert event.payload == base64.b64decode(DOC_PAYLOAD)
    assert "payload" not in repr(event)


def test_dtmf_mark_and_stop():
    dtmf = parse({"event": "dtmf", "streamSid": STREAM, "sequenceNumber": "5",
                  "dtmf": {"track": "inbound_track", "digit": "1"}})
    assert dtmf == Dtmf(STREAM, "1", "inbound_track", 5)
    assert "1'" not in repr(dtmf)
    mark = parse({"event": "mark", "sequenceNumber": "4", "streamSid": STREAM, "mark": {"name": "my label"}})
    assert mark == Mark(STREAM, "my label", 4)
    stop = parse({"event": "stop", "sequenceNumber": "5", "streamSid": STREAM,
                  "stop": {"accountSid": ACCOUNT, "callSid": CALL}})
    assert stop == Stop(STREAM, CALL, ACCOUNT, 5)


def test_bytes_frames_are_accepted():
    assert isinstance(parse_message(json.dumps(media()).encode()), Media)


def without(message: dict, *path: str) -> dict:
    copy = json.loads(json.dumps(message))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


def replaced(message: dict, value, *path: str) -> dict:
    copy = json.loads(json.dumps(message))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


BAD_MESSAGES = [
    ("{not json", "invalid JSON"),
    ("[1, 2]", "not a JSON object"),
    ('"media"', "not a JSON object"),
    ("{}", "missing 'event'"),
    ({"event": "closed"}, "unknown event 'closed'"),
    ({"event": "<script>"}, "unknown event"),
    (without(start_message(), "start", "streamSid"), "start: missing 'streamSid'"),
    (without(start_message(), "start", "callSid"), "start: missing 'callSid'"),
    (without(start_message(), "start", "mediaFormat"), "start: missing object 'mediaFormat'"),
    (start_message(encoding="audio/x-mulaw", sampleRate=16000, channels=1), "unsupported mediaFormat"),
    (start_message(encoding="audio/x-l16", sampleRate=8000, channels=1), "unsupported mediaFormat"),
    (start_message(encoding="audio/ogg", sampleRate=8000, channels=1), "unsupported mediaFormat"),
    (start_message(encoding="audio/x-mulaw", sampleRate=8000, channels=2), "unsupported mediaFormat"),
    (start_message(encoding="audio/x-mulaw", sampleRate="8000", channels=1), "sampleRate must be an integer"),
    (start_message(encoding="audio/x-mulaw", sampleRate=8000, channels=True), "channels must be an integer"),
    (replaced(start_message(), {"caller": 33612345678}, "start", "customParameters"), "customParameters"),
    (replaced(start_message(), [], "start", "tracks"), "tracks"),
    (replaced(start_message(), "MZother", "streamSid"), "streamSid differs"),
    (without(media(), "streamSid"), "media: missing 'streamSid'"),
    (without(media(), "media", "payload"), "media: missing 'payload'"),
    (without(media(), "media", "track"), "media: missing 'track'"),
    (without(media(), "media", "timestamp"), "media: missing 'timestamp'"),
    (media(payload="no+JhoaJ!!"), "payload is not valid base64"),
    (media(payload="abc"), "payload is not valid base64"),
    (media(chunk="-1"), "'chunk' must be a non-negative integer"),
    (media(timestamp="5.5"), "'timestamp' must be a non-negative integer"),
    (replaced(media(), "x", "sequenceNumber"), "'sequenceNumber' must be"),
    ({"event": "media", "streamSid": STREAM, "media": "AAAA"}, "media: missing object 'media'"),
    ({"event": "dtmf", "streamSid": STREAM, "dtmf": {"digit": "12"}}, "dtmf: 'digit'"),
    ({"event": "dtmf", "streamSid": STREAM}, "dtmf: missing object 'dtmf'"),
    ({"event": "mark", "streamSid": STREAM, "mark": {"name": ""}}, "mark: missing 'name'"),
    ({"event": "stop"}, "stop: missing 'streamSid'"),
    ({"event": "stop", "streamSid": STREAM, "stop": "now"}, "stop: 'stop' must be an object"),
]


@pytest.mark.parametrize("message, reason", BAD_MESSAGES)
def test_malformed_messages_raise_one_clear_error(message, reason):
    frame = message if isinstance(message, str) else json.dumps(message)
    with pytest.raises(ProtocolError) as error:
        parse_message(frame)
    assert reason in str(error.value)
    # the reason is safe to log: never the payload nor the caller's number
    assert CALLER not in str(error.value) and "33612345678" not in str(error.value)
    assert "no+JhoaJ" not in str(error.value)


def test_oversized_and_non_text_frames_are_refused():
    with pytest.raises(ProtocolError, match="too large"):
        parse_message(json.dumps(media(payload="A" * 70000)))
    with pytest.raises(ProtocolError, match="UTF-8"):
        parse_message(b"\xff\xfe{}")
    with pytest.raises(ProtocolError, match="not text"):
        parse_message(42)  # type: ignore[arg-type]


def test_outbound_frames_are_the_documented_json():
    audio = bytes([0xFF, 0x7F, 0x00])
    assert json.loads(media_message(STREAM, audio)) == {
        "event": "media", "streamSid": STREAM, "media": {"payload": base64.b64encode(audio).decode()}}
    assert json.loads(mark_message(STREAM, "reply-3")) == {
        "event": "mark", "streamSid": STREAM, "mark": {"name": "reply-3"}}
    assert json.loads(clear_message(STREAM)) == {"event": "clear", "streamSid": STREAM}
    with pytest.raises(ValueError):
        media_message("", audio)
    with pytest.raises(ValueError):
        mark_message(STREAM, "")


def test_outbound_media_parses_back_as_the_same_audio():
    audio = mulaw_encode(np.arange(-800, 800, 10, dtype=np.int16))
    frame = json.loads(media_message(STREAM, audio))
    frame["media"].update(track="outbound", chunk="1", timestamp="0")
    assert parse(frame).payload == audio


def test_audio_is_cut_into_20_ms_frames():
    mulaw = bytes(range(200)) * 2  # 400 bytes = 50 ms at 8 kHz
    frames = list(audio_frames(mulaw, MULAW_8K))
    assert [len(f) for f in frames] == [160, 160, 160]
    assert b"".join(frames)[:400] == mulaw and frames[-1][80:] == b"\xff" * 80
    assert [len(f) for f in audio_frames(mulaw, MULAW_8K, pad_last=False)] == [160, 160, 80]
    l16 = bytes(1000)  # 500 samples at 16 kHz
    assert [len(f) for f in audio_frames(l16, L16_16K)] == [640, 640]
    with pytest.raises(ValueError):
        list(audio_frames(b"\x00", L16_16K))
    assert MediaFormat("audio/x-mulaw", 8000).frame_bytes(40) == 320


def test_inbound_audio_becomes_16khz_pcm_without_clicks():
    tone = np.round(9000 * np.sin(2 * np.pi * 400 * np.arange(1600) / 8000)).astype(np.int16)
    encoded = mulaw_encode(tone)
    inbound = InboundAudio(MULAW_8K)
    pcm = np.concatenate([inbound.to_pcm16k(encoded[i:i + 160]) for i in range(0, 1600, 160)])
    whole = InboundAudio(MULAW_8K).to_pcm16k(encoded)
    assert pcm.dtype == np.int16 and len(pcm) == 3200 and np.array_equal(pcm, whole)
    l16 = np.array([1, -2, 300], dtype="<i2").tobytes()
    assert InboundAudio(L16_16K).to_pcm16k(l16).tolist() == [1, -2, 300]
    with pytest.raises(ProtocolError, match="odd number"):
        InboundAudio(L16_16K).to_pcm16k(b"\x00\x01\x02")


def test_a_reply_is_encoded_in_the_streams_format():
    reply = np.round(8000 * np.sin(2 * np.pi * 300 * np.arange(22050) / 22050)).astype(np.int16)
    assert len(encode_for_stream(reply, 22050, MULAW_8K)) == 8000
    assert len(encode_for_stream(reply, 22050, L16_16K)) == 32000
    assert encode_for_stream(np.zeros(160, np.int16), 8000, MULAW_8K) == b"\xff" * 160
