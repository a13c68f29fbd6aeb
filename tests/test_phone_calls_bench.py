"""bench/phone_calls.py's CPU meter names each stack process by its command line."""
from __future__ import annotations

import subprocess
import sys
import time

from bench.phone_calls import service_of


def test_the_rasa_server_counts_as_rasa_however_it_is_started():
    marker = "import time; time.sleep(30)"
    for argv, expected in ((["-c", marker, "rasa_server", "run"], "rasa"),
                           (["-c", marker, "rasa", "run"], "rasa"),
                           (["-c", marker, "rasa_sdk"], "actions"),
                           (["-c", marker], "other")):
        process = subprocess.Popen([sys.executable, *argv])
        try:
            time.sleep(0.1)
            assert service_of(process.pid) == expected, argv
        finally:
            process.kill()
            process.wait()
    assert service_of(process.pid) == "gone"
