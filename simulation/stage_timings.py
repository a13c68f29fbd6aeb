"""The stage breakdown of a typed turn: what ``simulation/stage_probe`` records in each
process of a stack started with it, summed up per stage.

A stack started with :data:`PROBE` first on its ``PYTHONPATH`` and ``STAGE_TIMINGS_DIR``
set loads the probe's ``sitecustomize`` in every process: it times Rasa's NLU, Duckling,
policies, action server calls and tracker store, and the action server's own code and
SQL, one JSON line per call (see its docstring). :func:`stage_summary` turns the lines
into milliseconds per turn and per call.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

from simulation.latency import latency

PROBE = Path(__file__).resolve().parent / "stage_probe"
# Stages in the order a turn meets them; "other" is the rest of Rasa's turn (events,
# responses, locks, the channel's own work is outside the server turn).
STAGES = ("nlu", "duckling", "policies", "action_server", "action_code", "database",
          "tracker_store")


def stage_summary(directory: Path, turns: int) -> Dict[str, Any]:
    """The probe's JSON lines → per stage: calls, ms per turn, per call p50/p95.

    ``nlu`` includes Duckling and ``action_server`` includes the action code and its SQL
    (they are nested); ``*_own`` give each without what it contains."""
    calls: Dict[str, List[float]] = {}
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                calls.setdefault(entry["stage"], []).append(entry["ms"])
    per_turn = {stage: sum(ms) / turns for stage, ms in calls.items()} if turns else {}
    stages = {
        stage: {"calls": len(ms), "ms_per_turn": round(per_turn[stage], 1),
                **{k: v for k, v in latency([m / 1000 for m in ms]).items()
                   if k in ("p50_ms", "p95_ms")}}
        for stage, ms in sorted(calls.items())
    }
    get = lambda stage: per_turn.get(stage, 0.0)  # noqa: E731
    server_turn = get("turn")
    own = {
        "nlu_without_duckling": get("nlu") - get("duckling"),
        "duckling": get("duckling"),
        "policies": get("policies"),
        "action_server_http_and_sdk": get("action_server") - get("action_code"),
        "action_code_without_sql": get("action_code") - get("database"),
        "database": get("database"),
        "tracker_store": get("tracker_store"),
    }
    own["rest_of_rasa_turn"] = server_turn - sum(
        own[k] for k in ("nlu_without_duckling", "duckling", "policies", "tracker_store")
    ) - get("action_server")
    return {
        "turns": turns,
        "server_turn_ms": round(server_turn, 1),
        "ms_per_turn_by_stage": {k: round(v, 1) for k, v in own.items()},
        "calls": stages,
    }
