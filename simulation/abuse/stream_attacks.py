"""The hostile requests on the media stream: bad frames, starts without a ticket,
replayed tickets and upgrade signatures. Each answer is the code the stream was closed
with."""
from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Dict, List, Optional
from xml.etree import ElementTree

import requests
import websockets

from simulation.abuse.report import Report, closed_1008

STREAM = "/webhooks/voice/stream"


async def close_code(url: str, frames: List[str], headers: Optional[Dict[str, str]] = None,
                     wait: float = 15) -> Any:
    try:
        async with websockets.connect(url, extra_headers=headers or {}, max_size=2 ** 22) as ws:
            for frame in frames:
                await ws.send(frame)
            while True:
                await asyncio.wait_for(ws.recv(), wait)
    except websockets.ConnectionClosed as closed:  # while sending or receiving
        return closed.rcvd.code if closed.rcvd is not None else closed.code
    except asyncio.TimeoutError:
        return "still open"
    except (OSError, websockets.WebSocketException) as error:
        return type(error).__name__


def start(call_sid: str, parameters: Dict[str, str], rate: int = 8000,
          stream_sid: Optional[str] = None) -> str:
    return json.dumps({"event": "start", "streamSid": stream_sid, "start": {
        "streamSid": stream_sid or "MZ" + uuid.uuid4().hex, "callSid": call_sid,
        "customParameters": parameters,
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": rate, "channels": 1}}})


def ticket_for(stack, caller: str) -> tuple:
    """A genuine incoming call, signed as Twilio signs it: its SID and stream parameters."""
    call_sid = "CA" + uuid.uuid4().hex
    path, form = "/webhooks/voice/twilio/incoming", {"From": caller, "CallSid": call_sid}
    answer = requests.post(stack.rasa_url + path, data=form,
                           headers=stack.signed_by_twilio(path, form), timeout=30)
    return call_sid, {p.get("name"): p.get("value")
                      for p in ElementTree.fromstring(answer.text).iter("Parameter")}


async def bad_frames(report: Report, ws_url: str) -> None:
    cases = {
        "not JSON": ["not json at all"], "a JSON array": ["[1, 2, 3]"],
        "unknown event": ['{"event": "nonsense"}'], "media before start":
            ['{"event": "media", "media": {"payload": "AAAA"}}'] * 3,
        "start without fields": ['{"event": "start"}'],
        "start at 44.1 kHz": [start("CAbad", {}, rate=44100)],
        "start at 4 kHz": [start("CAbad", {}, rate=4000)],
        "a 100 KB frame": ["{" + "x" * 100_000 + "}"],
        "binary frames": [b"\x00\x01\x02" * 100],
        "nothing at all": [],
    }
    for name, frames in cases.items():
        got = await close_code(ws_url, frames, wait=15)
        report.add("bad frames", name, got, lambda g: g in (1008, 1009))
    for _ in range(15):
        got = await close_code(ws_url, ['{"event": "connected"}', start("CA" + uuid.uuid4().hex, {})])
        report.add("bad frames", "start without a ticket", got, closed_1008)


async def replays(report: Report, stack, ws_url: str) -> None:
    call_sid, parameters = await asyncio.to_thread(ticket_for, stack, "+33612345678")
    stream_sid = "MZ" + uuid.uuid4().hex
    first = await close_code(ws_url, [start(call_sid, parameters, stream_sid=stream_sid), json.dumps(
        {"event": "stop", "streamSid": stream_sid, "stop": {"callSid": call_sid}})])
    report.add("replayed tickets", "the genuine call, once", first, lambda g: g in (1000, 1005))
    for _ in range(15):
        got = await close_code(ws_url, [start(call_sid, parameters)])
        report.add("replayed tickets", "the same ticket again", got, closed_1008)
    for caller in ("+33699999999", ""):
        call_sid, parameters = await asyncio.to_thread(ticket_for, stack, "+33612345678")
        got = await close_code(ws_url, [start(call_sid, {**parameters, "caller": caller})])
        report.add("replayed tickets", "the ticket with another caller", got, closed_1008)
    for _ in range(3):
        call_sid, parameters = await asyncio.to_thread(ticket_for, stack, "+33612345678")
        got = await close_code(ws_url, [start("CA" + uuid.uuid4().hex, parameters)])
        report.add("replayed tickets", "the ticket on another call", got, closed_1008)
    signature = {"X-Twilio-Signature": "bm90IGEgcmVhbCBzaWduYXR1cmU="}
    for _ in range(10):
        got = await close_code(ws_url, [start("CA" + uuid.uuid4().hex, {})], headers=signature)
        report.add("replayed tickets", "a replayed upgrade signature", got, closed_1008)
