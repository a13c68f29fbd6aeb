"""The attacks of security round 2 (issue 19), for ``bench/abuse.py``.

Each runs against the started stack from loopback addresses of its own (127.0.0.x: the
whole 127/8 is this machine), as a script on several machines would:

* **forged incoming calls**: the Twilio webhook without a signature, with a wrong one,
  with one made for another address: all refused (403), no stream ticket given;
* **anonymous bookings**: scripts booking over the open page with made-up patient IDs
  and numbers, each from its own address: no appointment is written;
* **parallel guesses**: 20 wrong phone numbers for one registered patient ID, sent at
  once from 20 addresses: at most ``identity_max_failures`` are verified (the failures
  stored for that ID, each one a verified wrong guess);
* **turn flood**: one address sending turns as fast as it can: 429 with Retry-After
  past ``http_turns_per_minute``;
* **HTTP speech flood beside a live call**: a patient's call made alone, then again
  while 6 addresses post spoken turns to ``/audio`` without pause: every turn of the
  call answered, its median within 1.5 times the call made alone; the uploads get
  answers, 503 with Retry-After (no recognition slot left for them) or 429, never a
  server error.
"""
from __future__ import annotations

import asyncio
import statistics
import threading
import time
import uuid
from typing import Any, Dict, List

import httpx

from simulation.abuse.attackers import client
from simulation.patient_call import patient_call

SECOND_VICTIM = ("271828", "Moreau", "Hélène", "06 27 18 28 18")
FLOOD_CLIENTS = 6
BUSY = "503+Retry-After"  # a refusal with a time to come back: not a server error


def status(answer: httpx.Response) -> Any:
    if answer.status_code == 503 and answer.headers.get("Retry-After"):
        return BUSY
    return answer.status_code


def forged_calls(report, stack) -> Dict[str, Any]:
    from voice_channel.telephony.twilio_signature import compute_twilio_signature

    path = "/webhooks/voice/twilio/incoming"
    tickets_given = 0
    with client(1) as http:
        for i in range(20):
            form = {"From": f"+3361234{i:04d}", "CallSid": "CA" + uuid.uuid4().hex}
            headers = [{}, {"X-Twilio-Signature": "Zm9yZ2Vk"},
                       {"X-Twilio-Signature": compute_twilio_signature(
                           stack.twilio_auth_token, "https://evil.example" + path, form)},
                       {"X-Twilio-Signature": compute_twilio_signature("not-the-token",
                                                                       stack.rasa_url + path, form)}
                       ][i % 4]
            answer = http.post(stack.rasa_url + path, data=form, headers=headers)
            tickets_given += "ticket" in answer.text
            report.add("forged incoming calls", ["unsigned", "garbage signature",
                                                 "signed for another address",
                                                 "signed with another token"][i % 4],
                       answer.status_code, lambda g: g == 403)
    return {"requests": 20, "tickets_given": tickets_given}


def anonymous_bookings(report, stack, day_said: str) -> Dict[str, Any]:
    """Three scripts, each from its own address, each with a new ID and number."""
    booked_ids = []
    for n in range(3):
        patient_id, phone = f"9{n}{uuid.uuid4().int % 10**4:04d}", f"06 9{n} 00 00 0{n}"
        sender = "script-" + uuid.uuid4().hex[:8]
        with client(100 + n) as http:
            for text in ("je voudrais prendre un rendez-vous", "Durand", "Paul", patient_id,
                         phone, f"{day_said} à 9h", "oui"):
                answer = http.post(f"{stack.rasa_url}/webhooks/voice/webhook",
                                   json={"sender": sender, "message": text})
                report.add("anonymous bookings", "a booking turn with a made-up ID",
                           answer.status_code, lambda g: g == 200)
        booked_ids.append(patient_id)
    return {"scripts": 3, "ids": booked_ids}


def parallel_guesses(report, stack) -> Dict[str, Any]:
    """20 wrong phones for one registered ID at once, from 20 addresses."""
    victim_id = SECOND_VICTIM[0]

    def guess(n: int) -> List[int]:
        sender = "guess-" + uuid.uuid4().hex[:8]
        codes = []
        with client(200 + n) as http:
            for text in ("je voudrais annuler mon rendez-vous", victim_id,
                         f"06 11 22 33 {n:02d}"):
                codes.append(http.post(f"{stack.rasa_url}/webhooks/voice/webhook",
                                       json={"sender": sender, "message": text}).status_code)
        return codes

    async def burst() -> List[List[int]]:
        return await asyncio.gather(*(asyncio.to_thread(guess, n) for n in range(20)))

    for codes in asyncio.run(burst()):
        for code in codes:
            report.add("parallel guesses", "a wrong phone for one ID, 20 at once", code,
                       lambda g: g == 200)
    verified = stored_failures(stack, victim_id)
    return {"guesses": 20, "verified_wrong_guesses": verified}


def stored_failures(stack, patient_id: str) -> int:
    """The failed checks stored for ``patient_id`` (keyed hashes, the stack's secret)."""
    from sqlalchemy import create_engine, text

    from clinic.identity_failures import subject_key

    key = subject_key(patient_id, secret=stack.env["VOICE_CHANNEL_SECRET"])
    engine = create_engine(stack.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM identity_failures WHERE subject_kind = 'patient' "
                "AND subject_key = :key"), {"key": key}).scalar()
    finally:
        engine.dispose()


def turn_flood(report, stack, turns: int = 30) -> Dict[str, Any]:
    codes, retry_after = [], set()
    with client(300) as http:
        for _ in range(turns):
            answer = http.post(f"{stack.rasa_url}/webhooks/voice/webhook",
                               json={"sender": "flood", "message": "bonjour"})
            codes.append(answer.status_code)
            if answer.status_code == 429:
                retry_after.add(answer.headers.get("Retry-After"))
    for code in codes:
        report.add("turn flood", "one address, as fast as it can", code,
                   lambda g: g in (200, 429))
    return {"turns": turns, "answered": codes.count(200), "refused_429": codes.count(429),
            "retry_after": sorted(r for r in retry_after if r)}


def speech_flood_beside_a_call(report, stack, speech_wav: bytes) -> Dict[str, Any]:
    """The same call alone, then beside 6 addresses posting spoken turns non-stop."""

    def upload_until(stop: threading.Event, n: int) -> List[Any]:
        got = []
        with client(400 + n, timeout=120) as http:
            while not stop.is_set():
                answer = http.post(f"{stack.rasa_url}/webhooks/voice/audio",
                                   data={"sender": f"flood-{n}"},
                                   files={"audio": ("turn.wav", speech_wav, "audio/wav")})
                got.append(status(answer))
                if answer.status_code in (429, 503):
                    time.sleep(0.2)  # a script retries at once, Retry-After or not
        return got

    async def scenario():
        alone = await patient_call(stack, "+33600000091")
        stop = threading.Event()
        floods = [asyncio.create_task(asyncio.to_thread(upload_until, stop, n))
                  for n in range(FLOOD_CLIENTS)]
        await asyncio.sleep(3)
        try:
            flooded = await patient_call(stack, "+33600000092")
        finally:
            stop.set()
            uploads = await asyncio.gather(*floods)
        return alone, flooded, [code for codes in uploads for code in codes]

    alone, flooded, uploads = asyncio.run(scenario())
    for code in uploads:
        report.add("HTTP speech flood", "/audio beside a live call", code,
                   lambda g: g in (200, 429, BUSY))
    return {
        "uploads": len(uploads),
        "answers": {code: list(map(str, uploads)).count(code)
                    for code in sorted(set(map(str, uploads)))},
        "call_alone_s": [round(x, 3) for x in alone],
        "call_flooded_s": [round(x, 3) for x in flooded],
        "median_ratio": round(statistics.median(flooded) / statistics.median(alone), 2),
        "every_turn_answered": len(flooded) == len(alone),
    }


def run_round_two(report, stack, day_said: str) -> Dict[str, Any]:
    from simulation.synthetic_audio import CALLER_RATE, espeak_wav, require_caller_voice

    stack.register_patients([SECOND_VICTIM])
    speech = espeak_wav("je voudrais prendre un rendez-vous avec le docteur Martin",
                        require_caller_voice(), CALLER_RATE)
    return {
        "forged_calls": forged_calls(report, stack),
        "anonymous_bookings": anonymous_bookings(report, stack, day_said),
        "parallel_guesses": parallel_guesses(report, stack),
        "turn_flood": turn_flood(report, stack),
        "speech_flood": speech_flood_beside_a_call(report, stack, speech),
    }
