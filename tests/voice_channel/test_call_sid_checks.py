"""A stream's ``callSid`` is checked before it is logged or used: Twilio's call SIDs
("CA" + 32 hex) and our web calls' ("WB" + 32 hex) are accepted, anything else (a
newline that forges a log line, 10 kB, a phone number) is a bad start: the call ends
with 1008 and the logs never hold the value. Same harness as test_phone_call.
"""
from __future__ import annotations

import json
import logging
import secrets

import pytest

from tests.voice_channel.test_phone_call import (
    Line, ScriptedDialogue, fast, run_call,
)
from voice_channel.call.clock import FastClock
from voice_channel.telephony.admission import CLOSE_POLICY_VIOLATION
from voice_channel.telephony.media_streams import ProtocolError, Start, Stop, parse_message
from voice_channel.telephony.phone_call import PhoneCall

FORGED = "CA1\ncall CA2: stream started for +33612345678"
HUGE = "CA" + "a" * 10240
BAD_SIDS = {
    "newline": FORGED,
    "10 kB": HUGE,
    "phone number": "+33612345678",
    "digits only": "0612345678",
    "spaces": "CA 12 34",
    "too short": "C",
    "non-ASCII": "CA１２３",
}
SIGNATURES = ("+33612345678", "0612345678", "stream started for", "a" * 64, "１２３", "CA 12")


def start_frame(call_sid: str) -> dict:
    return {"event": "start", "sequenceNumber": "1", "streamSid": "MZ1", "start": {
        "streamSid": "MZ1", "callSid": call_sid, "accountSid": "AC1", "tracks": ["inbound"],
        "customParameters": {},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}


@pytest.mark.parametrize("call_sid", ["CA" + secrets.token_hex(16), "WB" + secrets.token_hex(16),
                                      "CA" + "F" * 32, "CA1"])
def test_twilio_and_web_call_sids_are_accepted(call_sid):
    start = parse_message(json.dumps(start_frame(call_sid)))
    assert isinstance(start, Start) and start.call_sid == call_sid
    stop = parse_message(json.dumps({"event": "stop", "streamSid": "MZ1",
                                     "stop": {"callSid": call_sid}}))
    assert isinstance(stop, Stop) and stop.call_sid == call_sid


@pytest.mark.parametrize("call_sid", BAD_SIDS.values(), ids=BAD_SIDS.keys())
def test_any_other_call_sid_is_a_protocol_error_that_does_not_quote_it(call_sid):
    for frame in (start_frame(call_sid),
                  {"event": "stop", "streamSid": "MZ1", "stop": {"callSid": call_sid}}):
        with pytest.raises(ProtocolError) as error:
            parse_message(json.dumps(frame))
        assert "'callSid' is not a valid identifier" in str(error.value)
        assert call_sid not in str(error.value)


@pytest.mark.asyncio
@pytest.mark.parametrize("call_sid", [FORGED, HUGE, "+33612345678"],
                         ids=["newline", "10 kB", "phone number"])
async def test_a_start_with_a_bad_call_sid_is_refused_and_not_logged(
        whisper, espeak, caplog, call_sid):
    caplog.set_level(logging.DEBUG)
    dialogue = ScriptedDialogue()
    call = PhoneCall(whisper, espeak, dialogue, fast(), clock=FastClock(5))
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.put({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        line.put(start_frame(call_sid))
        await line.until(lambda: call.ended)

    await run_call(call, line, script)
    assert call.end_reason == "bad_start"
    assert call.close_code == CLOSE_POLICY_VIOLATION
    assert not call.accepted and not dialogue.sessions and not line.received
    assert "refused start (start: 'callSid' is not a valid identifier)" in caplog.text
    for signature in SIGNATURES:
        assert signature not in caplog.text


@pytest.mark.asyncio
async def test_a_stop_with_a_bad_call_sid_is_a_counted_protocol_error(whisper, espeak, caplog):
    caplog.set_level(logging.DEBUG)
    call = PhoneCall(whisper, espeak, ScriptedDialogue(), fast(), clock=FastClock(5))
    line = Line(call.clock)

    async def script(line: Line) -> None:
        line.start()
        await line.until(lambda: call.accepted)
        line.put({"event": "stop", "streamSid": "MZ1", "stop": {"callSid": FORGED}})
        await line.until(lambda: call.protocol_errors)
        line.stop()
        await line.until(lambda: call.ended)

    await run_call(call, line, script)
    assert call.protocol_errors == {"stop: 'callSid' is not a valid identifier": 1}
    assert call.end_reason == "stop"
    assert "stream started for" not in caplog.text
