"""Malformed or hostile requests across every route of the running stack.

Usage: ``python bench/abuse.py [--out bench/results/abuse.json]`` starts the stack
(``simulation.stack.running_stack``, SQLite, a fresh database, the shipped settings),
registers the victim and books one appointment for them through the staff chat, then
sends, in rounds: garbage JSON, huge bodies, wrong tokens, bad frames on the media
stream, replayed tickets and signatures, hijack attempts on the victim's conversation
and appointment, an identity brute force, and the attacks of security round 2
(:mod:`bench.abuse_round2`: forged incoming calls, anonymous bookings, parallel guesses,
a turn flood, an HTTP speech flood beside a live call). Each round on the open page
comes from loopback addresses of its own (as from several machines), so that the
per-address turn limit does not hide what is behind it. For each request it records
what came back (HTTP status or WebSocket close code) and whether that is the expected
refusal; at the end it checks that the server still serves, that the victim's
appointment is unchanged and that no unregistered ID booked anything. Figures go to
``bench/results/abuse.json``.

:func:`run_abuse` is also run by ``tests/test_security_e2e.py`` against its own stack.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional
from xml.etree import ElementTree

import httpx
import requests
import websockets

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VICTIM = ("314159", "Lefebvre", "Martine", "06 31 41 59 26")
VICTIM_ID = VICTIM[0]
VICTIM_PHONE = "06 31 41 59 26"
VICTIM_E164 = "+33631415926"
STREAM = "/webhooks/voice/stream"
ATTEMPTS = 7  # 15 turns: within one address's 20 turns a minute


@dataclass
class Outcome:
    category: str
    target: str
    got: Any  # HTTP status, WebSocket close code, or an exception's name
    expected: bool


@dataclass
class Report:
    outcomes: List[Outcome] = field(default_factory=list)

    def add(self, category: str, target: str, got: Any, expected: Callable[[Any], bool]) -> None:
        self.outcomes.append(Outcome(category, target, got, bool(expected(got))))

    def summary(self) -> Dict[str, Any]:
        categories: Dict[str, Dict[str, Any]] = defaultdict(lambda: {"requests": 0, "answers": Counter(),
                                                                      "as_expected": 0})
        for outcome in self.outcomes:
            entry = categories[outcome.category]
            entry["requests"] += 1
            entry["answers"][str(outcome.got)] += 1
            entry["as_expected"] += outcome.expected
        server_errors = sum(1 for o in self.outcomes
                            if isinstance(o.got, int) and 500 <= o.got < 600)
        return {
            "requests": len(self.outcomes),
            "as_expected": sum(o.expected for o in self.outcomes),
            "server_errors_5xx": server_errors,
            "categories": {name: {**entry, "answers": dict(entry["answers"])}
                           for name, entry in categories.items()},
            "unexpected": [o.__dict__ for o in self.outcomes if not o.expected],
        }


def refused(got: Any) -> bool:
    return isinstance(got, int) and 400 <= got < 500


def closed_1008(got: Any) -> bool:
    return got == 1008


# -- HTTP ------------------------------------------------------------------------------------

def http(method: str, url: str, source: int = 0, **options) -> int:
    """The status of one request, from the loopback address of attacker ``source``."""
    from bench.abuse_round2 import client

    try:
        with client(source, timeout=30) as session:
            return session.request(method, url, **options).status_code
    except httpx.HTTPError as error:  # a connection reset is a refusal too
        return -1 if isinstance(error, (httpx.ConnectError, httpx.ReadError,
                                        httpx.RemoteProtocolError, httpx.WriteError)) \
            else type(error).__name__
    except requests.RequestException as error:  # a connection reset is a refusal too
        return -1 if "Connection" in type(error).__name__ else type(error).__name__


def raw_http(port: int, head: str, body: bytes = b"") -> Any:
    """A request written by hand (declared sizes without the body): the status code."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + body)
        try:
            answer = sock.recv(64)
        except OSError as error:
            return type(error).__name__
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return "no answer"


def garbage_json(report: Report, base: str, token: str) -> None:
    bodies = [b"{", b"[]", b"null", b'"texte"', b"{\"sender\": 1, \"message\": \"x\"}",
              b"{\"sender\": \"a\", \"message\": 5}", b"{\"sender\": \"\", \"message\": \"x\"}",
              b"\xff\xfe\x00garbage", json.dumps({"sender": "a" * 5000, "message": "x"}).encode(),
              json.dumps({"sender": "a", "message": "x" * 5000}).encode(),
              b"{\"sender\": [\"a\"], \"message\": \"x\"}", b"{\"sender\": \"a\"}",
              b"{\"message\": \"bonjour\"}", b"sender=a&message=b", b"\x00" * 64]
    for body in bodies:
        report.add("garbage JSON", "voice /webhook",
                   http("POST", f"{base}/webhooks/voice/webhook", source=2, content=body,
                        headers={"Content-Type": "application/json"}), refused)
        report.add("garbage JSON", "staff /webhook",
                   http("POST", f"{base}/webhooks/staff/webhook", content=body,
                        headers={"Content-Type": "application/json",
                                 "Authorization": f"Bearer {token}"}), refused)


def huge_bodies(report: Report, base: str, port: int, staff_token: str,
                admin_token: str) -> None:
    for path, headers in (("/webhooks/voice/audio", ""), ("/webhooks/voice/webhook", ""),
                          ("/webhooks/voice/twilio/incoming", ""),
                          ("/webhooks/staff/webhook", f"Authorization: Bearer {staff_token}\r\n"),
                          (f"/model/parse?token={admin_token}", "")):
        report.add("huge bodies", f"{path.split('?')[0]} (declared 500 MB)", raw_http(port, (
            f"POST {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Type: application/json\r\n"
            "Content-Length: 500000000\r\n\r\n")), refused)
    big = b"0" * (12 * 1024 * 1024)
    report.add("huge bodies", "/webhooks/voice/audio (12 MB sent)",
               http("POST", f"{base}/webhooks/voice/audio", data={"sender": "abus"},
                    files={"audio": ("x.wav", big, "audio/wav")}), lambda g: refused(g) or g == -1)
    report.add("huge bodies", "/webhooks/voice/webhook (12 MB sent)",
               http("POST", f"{base}/webhooks/voice/webhook", content=big,
                    headers={"Content-Type": "application/json"}), lambda g: refused(g) or g == -1)
    for rate in (4000, 6000):
        report.add("huge bodies", f"/webhooks/voice/audio ({rate} Hz WAV)",
                   http("POST", f"{base}/webhooks/voice/audio", data={"sender": "abus"},
                        files={"audio": ("x.wav", low_rate_wav(rate), "audio/wav")}), refused)


def low_rate_wav(rate: int) -> bytes:
    import numpy as np

    from voice_channel.audio.wav import encode_wav

    return encode_wav(np.zeros(rate, dtype=np.float32), rate)


def wrong_tokens(report: Report, base: str, victim_conversation: str, staff_token: str,
                 admin_token: str) -> None:
    """No token, wrong ones, and each of the real tokens where it does not belong: the
    staff chat's token on Rasa's API, Rasa's admin token on the staff chat."""
    routes = [("GET", f"/conversations/{victim_conversation}/tracker", None),
              ("POST", f"/conversations/{victim_conversation}/tracker/events",
               {"event": "slot", "name": "cancel_confirmed", "value": True}),
              ("POST", f"/conversations/{victim_conversation}/messages", {"text": "oui", "sender": "user"}),
              ("POST", "/model/train", {}), ("PUT", "/model", {"model_file": "/tmp/x.tar.gz"}),
              ("DELETE", "/model", None), ("GET", "/status", None), ("POST", "/model/parse", {"text": "oui"}),
              ("GET", f"/conversations/{victim_conversation}/story", None),
              ("POST", f"/conversations/{victim_conversation}/predict", None),
              ("POST", f"/conversations/{victim_conversation}/execute", {"name": "action_restart"}),
              ("POST", f"/conversations/{victim_conversation}/trigger_intent", {"name": "affirm"}),
              ("GET", "/domain", None), ("POST", "/model/test/intents", {})]
    for method, path, body in routes:
        for token in (None, "wrong", "jéton-é", staff_token):
            params = {"token": token} if token else None
            report.add("wrong tokens", f"Rasa API {method} {path.split('/')[1]}",
                       http(method, base + path, params=params, json=body), refused)
    for header in (None, "Bearer wrong", "Basic d3Jvbmc6d3Jvbmc=", f"Bearer {admin_token}"):
        headers = {"Authorization": header} if header else {}
        report.add("wrong tokens", "staff /webhook",
                   http("POST", f"{base}/webhooks/staff/webhook", headers=headers,
                        json={"sender": "x", "message": "bonjour"}), refused)
    report.add("wrong tokens", "staff /webhook (non-ASCII)",
               http("POST", f"{base}/webhooks/staff/webhook",
                    headers={"Authorization": "Bearer jéton".encode("utf-8")},
                    json={"sender": "x", "message": "bonjour"}), refused)


# -- the media stream -------------------------------------------------------------------------

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


# -- hijack and brute force --------------------------------------------------------------------------

def twiml_garbage(report: Report, base: str) -> None:
    for form in ({}, {"From": "+33612345678"}, {"CallSid": ""}):
        report.add("bad TwiML requests", "incoming call without a CallSid",
                   http("POST", f"{base}/webhooks/voice/twilio/incoming", data=form), refused)
    for body in (b"\xff\xfe", b"CallSid=" + b"A" * 5000):
        report.add("bad TwiML requests", "incoming call, garbage form",
                   http("POST", f"{base}/webhooks/voice/twilio/incoming", content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"}),
                   lambda g: refused(g) or g == 200)


def hijacks(report: Report, base: str, phone_conversation: str) -> None:
    messages = ["oui", "je confirme l'annulation", "oui je confirme", "annuler"]
    for sender in (VICTIM_E164, "0631415926", "+33 6 31 41 59 26", phone_conversation, VICTIM_ID):
        for message in messages:
            turn = {"sender": sender, "message": message}
            report.add("hijack attempts", "Rasa's REST channel (absent)",
                       http("POST", f"{base}/webhooks/rest/webhook", json=turn), refused)
            report.add("hijack attempts", "Rasa API, no token",
                       http("POST", f"{base}/conversations/{sender}/messages",
                            json={"text": message, "sender": "user"}), refused)
    # The open voice channel answers, but in a conversation of its own (web:<sender>):
    # what proves the isolation is the booking, checked at the end.
    for sender in (VICTIM_E164, phone_conversation):
        for message in messages[:2]:
            got = http("POST", f"{base}/webhooks/voice/webhook",
                       json={"sender": sender, "message": message})
            report.add("hijack attempts", "voice /webhook (isolated, 200)", got, lambda g: g == 200)


def brute_force(report: Report, base: str) -> Dict[str, Any]:
    """Wrong phone numbers for the victim's ID until the lockout, over the open channel."""
    from bench.abuse_round2 import client

    sender = "brute-" + uuid.uuid4().hex[:8]
    attacker = client(3)
    say = lambda text: attacker.post(f"{base}/webhooks/voice/webhook",  # noqa: E731
                                     json={"sender": sender, "message": text})
    say("je voudrais annuler mon rendez-vous")
    locked_after = None
    for attempt in range(1, ATTEMPTS + 1):
        say(VICTIM_ID)
        reply = say(f"06 00 00 00 {attempt:02d}")
        texts = " ".join(m.get("text") or "" for m in reply.json()) \
            if reply.status_code == 200 else ""
        report.add("identity brute force", "wrong phone for the victim's ID", reply.status_code,
                   lambda g: g == 200)
        if locked_after is None and "pour votre sécurité" in texts.lower():
            locked_after = attempt
    # Even the right phone is refused now.
    say(VICTIM_ID)
    right = " ".join(m.get("text") or "" for m in say(VICTIM_PHONE).json())
    attacker.close()
    return {"attempts": ATTEMPTS, "locked_after": locked_after,
            "right_phone_refused_while_locked": "Votre rendez-vous est le" not in right}


# -- the run ---------------------------------------------------------------------------------------

def appointments(database_url: str) -> List[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(map(str, row)) for row in connection.execute(text(
                "SELECT id, patient_id, doctor_id, start_at, status FROM appointments ORDER BY id"))]
    finally:
        engine.dispose()


def a_weekday_said() -> str:
    """An open weekday three days or more from now, as a patient says it."""
    from datetime import datetime, timedelta

    from actions.clinic_config import load_clinic_config
    from spoken_french.say import say_date

    clinic = load_clinic_config()
    day = datetime.now(clinic.timezone).date() + timedelta(days=3)
    while day.weekday() > 4 or day in clinic.closed_days:
        day += timedelta(days=1)
    return say_date(day)


def book_the_victim(stack) -> None:
    """The victim is a registered patient (the shipped clinic books no one else), who
    books at the front desk's chat."""
    stack.register_patients([VICTIM])
    for text in ("je voudrais prendre un rendez-vous", VICTIM[1], VICTIM[2], VICTIM_ID,
                 VICTIM_PHONE, f"{a_weekday_said()} à 10h30", "oui"):
        stack.staff_say("victim", text).raise_for_status()


def patients(database_url: str) -> List[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text(
                "SELECT clinic_patient_id FROM patients ORDER BY id"))]
    finally:
        engine.dispose()


def run_abuse(stack) -> Dict[str, Any]:
    """Every category against ``stack`` (a ``simulation.stack.Stack``); the report's summary."""
    from bench.abuse_round2 import run_round_two

    base, port = stack.rasa_url, int(stack.env["RASA_PORT"])
    ws_url = base.replace("http", "ws", 1) + STREAM
    book_the_victim(stack)
    before = appointments(stack.env["DATABASE_URL"])
    registered = patients(stack.env["DATABASE_URL"])
    report = Report()
    started = time.perf_counter()
    garbage_json(report, base, stack.staff_token)
    huge_bodies(report, base, port, stack.staff_token, stack.api_token)
    wrong_tokens(report, base, "staff:victim", stack.staff_token, stack.api_token)
    twiml_garbage(report, base)
    asyncio.run(bad_frames(report, ws_url))
    asyncio.run(replays(report, stack, ws_url))
    hijacks(report, base, "phone:" + "0" * 24)
    lockout = brute_force(report, base)
    round_two = run_round_two(report, stack, a_weekday_said())
    summary = report.summary()
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["still_serving"] = (requests.get(stack.api("/status"), timeout=10).ok
                                and requests.get(f"{base}/webhooks/voice/", timeout=10).ok
                                and stack.staff_say("after-abuse", "bonjour").ok)
    after = appointments(stack.env["DATABASE_URL"])
    summary["bookings_unchanged"] = after == before
    summary["victim_appointments"] = len(before)
    made_up = set(round_two["anonymous_bookings"]["ids"])
    summary["made_up_ids_in_the_database"] = sorted(
        made_up & set(patients(stack.env["DATABASE_URL"])))
    summary["patients_before"] = len(registered)
    summary["lockout"] = lockout
    summary["round_two"] = round_two
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "abuse.json")
    args = parser.parse_args()
    from simulation.stack import running_stack

    with tempfile.TemporaryDirectory(prefix="bench-abuse-") as tmp:
        with running_stack(Path(tmp), sqlite=True) as stack:
            summary = run_abuse(stack)
    summary["machine"] = {"cpus": __import__("os").cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k not in ("categories", "unexpected")},
                     indent=2, ensure_ascii=False))
    for name, entry in summary["categories"].items():
        print(f"  {name:22} {entry['requests']:4} requests, {entry['as_expected']:4} as expected, "
              f"answers {entry['answers']}")


if __name__ == "__main__":
    main()
