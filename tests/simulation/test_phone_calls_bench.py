"""bench/phone_calls.py: its CPU meter (simulation/cpu_meter.py) names each stack process
by its command line, and every caller it places (simulation/booking_call.py) is
registered at the clinic first."""
from __future__ import annotations

import subprocess
import sys
import time

from simulation.cpu_meter import service_of


def test_the_rasa_server_counts_as_rasa_however_it_is_started():
    marker = "import time; time.sleep(30)"
    for argv, expected in ((["-c", marker, "rasa_server", "run"], "rasa"),
                           (["-c", marker, "rasa", "run"], "rasa"),
                           (["-c", marker, "rasa_sdk"], "actions"),
                           (["-c", marker], "other")):
        process = subprocess.Popen([sys.executable, *argv])
        try:  # until the child has exec'd (before, it is this very pytest)
            deadline = time.monotonic() + 10
            while service_of(process.pid) != expected and time.monotonic() < deadline:
                time.sleep(0.01)
            assert service_of(process.pid) == expected, argv
        finally:
            process.kill()
            process.wait()
    assert service_of(process.pid) == "gone"


def test_every_caller_is_registered_under_the_name_it_says_and_its_own_number():
    """clinic.yml books registered patients only, and caps bookings per calling number."""
    from simulation.booking_call import booking_steps, caller_identity, registrations

    rows = registrations([1, 2], repeats=2)  # runs 1-2: one caller, runs 3-4: two
    assert [(pid, phone) for pid, _, _, phone in rows] == [
        caller_identity(1, 0), caller_identity(2, 0), caller_identity(3, 0),
        caller_identity(3, 1), caller_identity(4, 0), caller_identity(4, 1)]
    assert len({phone for *_, phone in rows}) == len(rows)
    said = [step.what for step in booking_steps("0", "0")]
    assert all(f"Je m'appelle {last}" in said and f"Je m'appelle {first}" in said
               for _, last, first, _ in rows)
