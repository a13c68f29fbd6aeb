"""bench/text_turns.py's own logic (simulation/typed_bookings.py and
simulation/stage_timings.py): the patients' slots and turns, the bookkeeping of a level,
the stage breakdown, and that its probe wraps Rasa's real methods.

The bench itself runs on the real stack in ``tests/e2e/test_stack_e2e.py``
(``test_text_turns_bench_books_concurrently_and_every_booking_is_in_the_database``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

from clinic.config import load_clinic_config
from clinic.scheduling import check_slot
from simulation.stack import PROJECT_ROOT as ROOT
from simulation.stage_probe import sitecustomize as probe
from simulation.stage_timings import PROBE, stage_summary
from simulation.typed_bookings import Patient, distinct_slots, run_level

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)  # a Monday


def test_distinct_slots_are_bookable_and_never_twice_the_same():
    clinic = load_clinic_config()
    slots = distinct_slots(120, NOW)
    assert len(set(slots)) == 120
    for slot in slots:
        check_slot(clinic, clinic.doctors[0].id, slot, NOW)  # raises if not bookable
    # Spread over the days first: the first slots are on as many different days.
    assert len({s.date() for s in slots[:40]}) == 40


def test_a_patient_types_seven_turns_with_their_own_identity_and_slot():
    clinic = load_clinic_config()
    slot = datetime(2026, 12, 15, 10, 30, tzinfo=clinic.timezone)
    turns = [text for text, _ in Patient(12, slot).turns()]
    assert turns[3:] == ["700012", "06 40 00 00 12", "mardi 15 décembre à 10h30", "oui"]
    on_the_hour = Patient(13, slot.replace(hour=11, minute=0)).turns()[5][0]
    assert on_the_hour == "mardi 15 décembre à 11h"
    assert Patient(12, slot).phone != Patient(13, slot).phone
    # registered under the names and number they type (clinic.yml: registered only)
    assert Patient(12, slot).registration == ("700012", *turns[1:3], "06 40 00 00 12")


def test_a_level_counts_turns_errors_and_stops_a_conversation_at_its_first_wrong_answer():
    clinic = load_clinic_config()
    patients = [Patient(n, datetime(2026, 12, 15, 9, 0, tzinfo=clinic.timezone)) for n in range(4)]
    expected = {text: fragment for p in patients for text, fragment in p.turns()}

    def chat(sender, text):
        if sender.endswith("-3") and text == "oui":
            return [{"text": "Ce créneau vient d'être pris."}]
        return [{"text": f"… {expected[text]}"}]

    result = run_level(chat, patients, concurrency=2)
    assert (result["conversations"], result["turns"], result["errors"]) == (4, 28, 1)
    assert "Ce créneau vient d'être pris" in result["error_samples"][0]
    assert [o.confirmed for o in result["outcomes"]] == [True, True, True, False]
    assert result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]


def test_the_stage_breakdown_separates_nested_stages(tmp_path):
    lines = {
        "rasa.jsonl": [("turn", 100), ("nlu", 30), ("duckling", 10), ("policies", 20),
                       ("action_server", 40), ("tracker_store", 5), ("tracker_store", 3)],
        "actions.jsonl": [("action_code", 25), ("database", 12)],
    }
    for name, entries in lines.items():
        (tmp_path / name).write_text("".join(json.dumps({"stage": s, "ms": ms}) + "\n"
                                             for s, ms in entries))
    summary = stage_summary(tmp_path, turns=2)
    assert summary["server_turn_ms"] == 50.0
    assert summary["ms_per_turn_by_stage"] == {
        "nlu_without_duckling": 10.0, "duckling": 5.0, "policies": 10.0,
        "action_server_http_and_sdk": 7.5, "action_code_without_sql": 6.5, "database": 6.0,
        "tracker_store": 4.0, "rest_of_rasa_turn": 1.0,
    }
    assert summary["calls"]["tracker_store"]["calls"] == 2


def test_the_probe_wraps_rasas_methods_only_where_the_bench_puts_it(tmp_path):
    code = ("import rasa.core.processor as p, rasa.core.tracker_store as t; "
            "print(hasattr(p.MessageProcessor.handle_message, '__wrapped__'), "
            "hasattr(t.SQLTrackerStore.save, '__wrapped__'))")
    env = {**os.environ, "PYTHONPATH": f"{PROBE}{os.pathsep}{ROOT}",
           "STAGE_TIMINGS_DIR": str(tmp_path)}
    probed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=300)
    assert probed.stdout.split() == ["True", "True"], probed.stderr[-2000:]
    env.pop("STAGE_TIMINGS_DIR")
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=300)
    assert plain.stdout.split() == ["False", "False"], plain.stderr[-2000:]


def test_the_probe_records_one_line_per_call(tmp_path, monkeypatch):
    monkeypatch.setattr(probe, "_DIRECTORY", str(tmp_path))
    monkeypatch.setattr(probe, "_out", None)

    class Stage:
        def work(self, x):
            return x * 2

    timed = probe.timed("policies", Stage.work)
    assert timed(Stage(), 21) == 42
    probe._out.close()
    [line] = (tmp_path / f"{os.getpid()}.jsonl").read_text().splitlines()
    assert json.loads(line)["stage"] == "policies"
