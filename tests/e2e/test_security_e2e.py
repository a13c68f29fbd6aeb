"""The stack's defaults are safe, checked on the real stack started from the Procfile.

* Rasa's HTTP API answers only with its token; every service listens on 127.0.0.1;
  Rasa's telemetry is off.
* A media stream must prove where it comes from (the ticket of the TwiML, for its call
  SID and caller, unexpired, unused) and send ``start`` in time, or it is closed 1008.
* 20 abusive streams (no ticket, replayed tickets, garbage, silence, audio far faster
  than real time) do not starve a real caller: every turn of the call is answered.
* When the action server hangs, a caller hears an apology and the offer of the front
  desk (the channel's deadline, not Rasa's 300 s), by text and by phone.

How fast the line answers, with or without abuse, is measured by the benches
(bench/phone_calls.py, simulation/abuse/round_two.py), not here.
"""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from contextlib import closing
from pathlib import Path
from typing import List, Optional

import pytest
import requests
import websockets

from clinic.config import load_clinic_config

from simulation.synthetic_audio import CALLER_RATE, require_caller_voice
from simulation.patient_call import PATIENT_SAYS, patient_call
from simulation.phone_caller import SimulatedCaller
from simulation.stack import Stack, free_port, running_stack

pytestmark = pytest.mark.e2e

QUESTION_TIMEOUT = 60


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("secure-stack"), sqlite=True) as running:
        yield running


def stream_url(stack: Stack) -> str:
    return f"ws://127.0.0.1:{stack.env['RASA_PORT']}/webhooks/voice/stream"


# -- the API, the addresses, telemetry ---------------------------------------------------

@pytest.mark.parametrize("method, path, body", [
    ("GET", "/status", None),
    ("GET", "/conversations/phone:anyone/tracker", None),
    ("POST", "/conversations/phone:anyone/tracker/events",
     {"event": "slot", "name": "cancel_confirmed", "value": True}),
    ("POST", "/conversations/phone:anyone/messages", {"text": "oui", "sender": "user"}),
    ("PUT", "/conversations/phone:anyone/tracker/events", []),
    ("POST", "/model/parse", {"text": "bonjour"}),
    ("POST", "/model/train", {}),
    ("PUT", "/model", {"model_file": "/tmp/other.tar.gz"}),
    ("DELETE", "/model", None),
])
def test_rasa_api_answers_only_with_its_token(stack, method, path, body):
    url = f"{stack.rasa_url}{path}"
    for token in (None, "wrong-token", "jéton"):
        params = {"token": token} if token else None
        answer = requests.request(method, url, params=params, json=body, timeout=30)
        assert answer.status_code == 401, (method, path, token, answer.status_code)
    assert requests.get(stack.api("/conversations/phone:anyone/tracker"), timeout=30).ok


def listening_addresses(port: int) -> List[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def test_every_service_listens_on_loopback_only(stack):
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
    for port in stack.ports:
        addresses = listening_addresses(port)
        assert addresses and set(addresses) <= loopback, (port, addresses)


def test_rasa_telemetry_is_off(stack):
    for pid in stack.process_tree():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        # `python -m rasa_server run …` (scripts/serve_rasa.sh), or a plain `rasa run …`
        if any(part.endswith(b"rasa") or part == b"rasa_server" for part in command) \
                and b"run" in command:
            assert b"RASA_TELEMETRY_ENABLED=false" in environment
            return
    pytest.fail("no Rasa server (`python -m rasa_server run`) in the stack")


def test_no_command_line_shows_a_token(stack):
    """`ps` shows every process's command line to every user of the machine: Rasa's
    admin token, the staff chat's and the channel's secret are never on one. Rasa still
    has its admin token (its API answers with it and refuses without it)."""
    secrets = [stack.api_token, stack.staff_token, stack.env["VOICE_CHANNEL_SECRET"]]
    for pid in stack.process_tree():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        for secret in secrets:
            assert secret.encode() not in command, command.split(b"\0")[:3]
    assert requests.get(stack.api("/status"), timeout=10).ok
    assert requests.get(f"{stack.rasa_url}/status", timeout=10).status_code == 401
    assert requests.get(f"{stack.rasa_url}/status", params={"token": stack.staff_token},
                        timeout=10).status_code == 401


# -- streams must prove their origin ------------------------------------------------------------

async def incoming_call(stack: Stack, caller: str = "+33612345678"):
    """POST the TwiML webhook as Twilio does: (call SID, the TwiML's parameters)."""
    from xml.etree import ElementTree

    call_sid = "CA" + uuid.uuid4().hex
    path, form = "/webhooks/voice/twilio/incoming", {"From": caller, "CallSid": call_sid}
    answer = await asyncio.to_thread(
        requests.post, f"{stack.rasa_url}{path}", data=form,
        headers=stack.signed_by_twilio(path, form), timeout=30)
    return call_sid, {p.get("name"): p.get("value")
                      for p in ElementTree.fromstring(answer.text).iter("Parameter")}


def start_frame(call_sid: str, parameters: dict, stream_sid: Optional[str] = None) -> str:
    return json.dumps({"event": "start", "streamSid": stream_sid, "start": {
        "streamSid": stream_sid or "MZ" + uuid.uuid4().hex, "callSid": call_sid,
        "customParameters": parameters,
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})


def start_then_stop(call_sid: str, parameters: dict) -> tuple:
    """A genuine call that hangs up at once: its ``start`` and ``stop`` frames."""
    stream_sid = "MZ" + uuid.uuid4().hex
    return (start_frame(call_sid, parameters, stream_sid),
            json.dumps({"event": "stop", "streamSid": stream_sid, "stop": {"callSid": call_sid}}))


async def close_code_of(url: str, *frames: str, wait: float = 20) -> Optional[int]:
    """The code the server closed the stream with (None: still open after ``wait``)."""
    try:
        async with websockets.connect(url) as ws:
            for frame in frames:
                await ws.send(frame)
            while True:
                await asyncio.wait_for(ws.recv(), wait)
    except websockets.ConnectionClosed as closed:  # while sending or receiving
        return closed.rcvd.code if closed.rcvd is not None else closed.code
    except asyncio.TimeoutError:
        return None


def test_a_stream_without_a_valid_ticket_is_closed_1008(stack):
    async def attempts():
        url = stream_url(stack)
        call_sid, parameters = await incoming_call(stack)
        codes = {
            "no ticket": await close_code_of(url, start_frame(call_sid, {"caller": "+33612345678"})),
            "forged caller": await close_code_of(url, start_frame(
                call_sid, {**parameters, "caller": "+33699999999"})),
            "other call": await close_code_of(url, start_frame("CA" + uuid.uuid4().hex, parameters)),
            "no start": await close_code_of(url, '{"event": "connected"}'),
        }
        async with SimulatedCaller.connect(url, caller=None, parameters=parameters,
                                           call_sid=call_sid) as call:
            greeting = await call.wait_bot_done(timeout=QUESTION_TIMEOUT)
        codes["replayed"] = await close_code_of(url, start_frame(call_sid, parameters))
        return codes, greeting

    codes, greeting = asyncio.run(attempts())
    assert "Que puis-je faire pour vous" in greeting.text  # the genuine call, once
    assert codes == {"no ticket": 1008, "forged caller": 1008, "other call": 1008,
                     "no start": 1008, "replayed": 1008}, codes


# -- abuse does not starve a real caller ---------------------------------------------------------

async def abusive_stream(stack: Stack, kind: str, stop: asyncio.Event,
                         ready: asyncio.Event) -> List[Optional[int]]:
    """One abuser, again and again until ``stop``: the close codes it got. A replayer
    first makes one genuine call with its ticket (before the patient calls), then
    replays it; a flooder takes a new ticket from the TwiML webhook each time (signed:
    as if it had Twilio's token, the worst case) and pushes 10 s of audio at once.
    ``ready`` is set once the abuser is at it (a replayer: its genuine call is over)."""
    url, codes = stream_url(stack), []
    if kind == "replay":
        call_sid, parameters = await incoming_call(stack, "+33611111111")
        await close_code_of(url, *start_then_stop(call_sid, parameters))
    ready.set()
    while not stop.is_set():
        try:
            if kind == "no_ticket":
                codes.append(await close_code_of(url, start_frame("CA" + uuid.uuid4().hex, {})))
            elif kind == "garbage":
                codes.append(await close_code_of(url, "not json", "[1]", '{"event": "start"}', wait=10))
            elif kind == "silent":
                codes.append(await close_code_of(url, wait=15))
            elif kind == "replay":
                codes.append(await close_code_of(url, start_frame(call_sid, parameters)))
            elif kind == "flood":
                flood_sid, flood_parameters = await incoming_call(stack, "+33622222222")
                stream_sid = "MZ" + uuid.uuid4().hex
                media = [json.dumps({"event": "media", "streamSid": stream_sid, "media": {
                    "track": "inbound", "chunk": str(n), "timestamp": str(20 * n),
                    "payload": "/" * 212 + "/w=="}}) for n in range(1, 501)]
                frames = [start_frame(flood_sid, flood_parameters, stream_sid), *media]
                codes.append(await close_code_of(url, *frames, wait=10))
        except (OSError, websockets.WebSocketException) as error:
            codes.append(type(error).__name__)
        await asyncio.sleep(0.2)
    return codes


def test_twenty_abusive_streams_do_not_starve_a_real_caller(stack):
    """20 abusers at once (5 without ticket, 5 replaying theirs, 5 sending garbage, 2
    silent, 3 flooding audio far faster than real time) while one patient calls.

    "Not starved": every turn of the patient's call is answered (``patient_call`` fails
    on a turn left unanswered), while each abuser is refused. How much slower the turns
    are under abuse is measured by simulation/abuse/round_two.py (its speech flood compares a call
    made alone with one made beside the flood), not asserted here: a bound on time
    measures the machine."""
    kinds = ["no_ticket"] * 5 + ["replay"] * 5 + ["garbage"] * 5 + ["silent"] * 2 + ["flood"] * 3

    async def scenario():
        stop = asyncio.Event()
        ready = [asyncio.Event() for _ in kinds]
        abusers = [asyncio.create_task(abusive_stream(stack, kind, stop, at_it))
                   for kind, at_it in zip(kinds, ready)]
        try:
            # every abuser at it (the replayers' genuine calls are over), then the patient
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), QUESTION_TIMEOUT)
            abused = await patient_call(stack, "+33600000077")
        finally:
            stop.set()
            codes = await asyncio.gather(*abusers)
        return abused, codes

    abused, codes = asyncio.run(scenario())
    assert len(abused) == len(PATIENT_SAYS), abused  # every spoken turn answered
    by_kind = {}
    for kind, got in zip(kinds, codes):
        by_kind.setdefault(kind, []).extend(got)
    for kind in ("no_ticket", "replay", "silent"):
        assert by_kind[kind] and set(by_kind[kind]) == {1008}, (kind, by_kind[kind])
    # A flood that finds every line taken hears "busy" (1013); the others are cut (1008).
    assert by_kind["flood"] and set(by_kind["flood"]) <= {1008, 1013}, by_kind["flood"]
    assert 1008 in by_kind["flood"]
    assert by_kind["garbage"] and set(by_kind["garbage"]) <= {1008}, by_kind["garbage"]
    assert requests.get(stack.api("/status"), timeout=10).ok  # still serving


# -- 200 hostile requests (bench/abuse.py), last: its brute force locks this machine out --

def test_two_hundred_hostile_requests_are_all_refused_and_change_nothing(stack):
    from simulation.abuse.run import run_abuse

    summary = run_abuse(stack)
    assert summary["requests"] >= 200
    assert summary["server_errors_5xx"] == 0, summary["unexpected"]
    assert summary["as_expected"] == summary["requests"], summary["unexpected"]
    assert summary["still_serving"] and summary["bookings_unchanged"]
    assert summary["victim_appointments"] == 1
    # The stack's clinic.yml (the shipped one unless CLINIC_CONFIG says otherwise): after
    # identity_max_failures (5) wrong phones, the next check is refused, the 6th.
    limit = load_clinic_config(stack.env.get("CLINIC_CONFIG")).security.identity_max_failures
    assert summary["lockout"]["locked_after"] == limit + 1, summary["lockout"]
    assert summary["lockout"]["right_phone_refused_while_locked"]
    # Security round 2: forged calls get no ticket, made-up IDs book nothing, 20 guesses
    # at once verify at most identity_max_failures, a flooding address hears 429, and a
    # speech flood beside a live call leaves every turn of the call answered.
    round_two = summary["round_two"]
    assert round_two["forged_calls"]["tickets_given"] == 0
    assert summary["made_up_ids_in_the_database"] == []
    assert round_two["parallel_guesses"]["verified_wrong_guesses"] <= 5
    assert round_two["turn_flood"]["refused_429"] >= 10
    assert round_two["turn_flood"]["retry_after"] == ["60"]
    assert round_two["speech_flood"]["every_turn_answered"]


# -- a hanging action server ------------------------------------------------------------------------

class HangingServer:
    """A TCP server that accepts connections and never answers (an action server stuck
    on its database)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", self.port))
        self._socket.listen(64)
        self._held: List[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self._held.append(connection)

    def close(self) -> None:
        with closing(self._socket):
            pass
        for connection in self._held:
            connection.close()


@pytest.fixture(scope="module")
def stuck_stack(tmp_path_factory):
    hanging = HangingServer()
    try:
        with running_stack(tmp_path_factory.mktemp("stuck-stack"), sqlite=True,
                           extra_env={"ACTION_ENDPOINT_URL":
                                      f"http://127.0.0.1:{hanging.port}/webhook"}) as running:
            yield running
    finally:
        hanging.close()


def test_a_hanging_action_server_gets_an_apology_by_text(stuck_stack):
    # Waits 30 s at most for the answer (Rasa alone would take its 300 s).
    reply = stuck_stack.staff_say("e2e-stuck", "je voudrais prendre rendez-vous", timeout=30)
    assert reply.status_code == 200, reply.text
    texts = [m.get("text") or "" for m in reply.json()]
    assert any(t.startswith("Excusez-moi, notre système met trop de temps à répondre.")
               and "l'accueil du cabinet" in t for t in texts), texts


def test_a_hanging_action_server_gets_an_apology_and_a_transfer_offer_by_phone(stuck_stack):
    async def call():
        async with SimulatedCaller.dial(stuck_stack.rasa_url, caller="+33600000088",
                                        twilio_auth_token=stuck_stack.twilio_auth_token,
                                        voice=require_caller_voice(), rate=CALLER_RATE) as line:
            greeting = await line.wait_bot_done(timeout=QUESTION_TIMEOUT)
            await line.say("je voudrais prendre rendez-vous")
            apology = await line.wait_bot_done(timeout=QUESTION_TIMEOUT)
            return greeting, apology

    greeting, apology = asyncio.run(call())
    assert "Que puis-je faire pour vous" in greeting.text
    # Rasa never answers: the apology is the call's own deadline (phone.dialogue_timeout).
    assert "trop de temps" in apology.text and "accueil" in apology.text, apology.texts
