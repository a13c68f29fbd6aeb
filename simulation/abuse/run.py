"""Every category of hostile requests against a running stack, and what they changed:
the summary ``bench/abuse.py`` writes and ``tests/e2e/test_security_e2e.py`` checks."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Dict

import requests

from conversation_names import PHONE, conversation_id
from simulation.abuse.http_attacks import (
    brute_force, garbage_json, hijacks, huge_bodies, twiml_garbage, wrong_tokens)
from simulation.abuse.report import Report
from simulation.abuse.round_two import run_round_two
from simulation.abuse.stream_attacks import STREAM, bad_frames, replays
from simulation.abuse.victim import a_weekday_said, appointments, book_the_victim, patients


def run_abuse(stack) -> Dict[str, Any]:
    """Every category against ``stack`` (a ``simulation.stack.Stack``); the report's summary."""
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
    hijacks(report, base, conversation_id(PHONE, "0" * 24))
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
