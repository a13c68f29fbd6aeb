"""The CPU a stack spends over a run: CPU seconds per service of the stack (from
``/proc/<pid>/stat``, each process named by its command line) and the load average
sampled each second, as the phone bench (``bench/phone_calls.py``) reports them.
"""
from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> Optional[float]:
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def service_of(pid: int) -> str:
    try:
        command = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    for name, marker in (("duckling", "embedded_duckling"), ("actions", "rasa_sdk"),
                         ("rasa", "rasa run"), ("rasa", "rasa_server run"), ("honcho", "honcho"),
                         ("haproxy", "haproxy"), ("redis", "redis-server"),
                         ("postgresql", "postgres")):
        if marker in command:
            return name
    return "other"


class CpuMeter:
    """CPU seconds per service over a run, and the load average sampled each second."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self._stop = threading.Event()
        self.loads: List[float] = []

    def __enter__(self) -> "CpuMeter":
        self.before = {pid: cpu_seconds(pid) for pid in self.pids}
        self.services = {pid: service_of(pid) for pid in self.pids}
        self.wall = time.perf_counter()
        self.own = time.process_time()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            self.loads.append(os.getloadavg()[0])

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.wall = time.perf_counter() - self.wall
        self.own = time.process_time() - self.own
        self.after = {pid: cpu_seconds(pid) for pid in self.pids}

    def report(self) -> Dict[str, Any]:
        per_service: Dict[str, float] = {}
        for pid in self.pids:
            if self.before.get(pid) is None or self.after.get(pid) is None:
                continue
            name = self.services[pid]
            per_service[name] = per_service.get(name, 0.0) + self.after[pid] - self.before[pid]
        total = sum(per_service.values())
        cores = os.cpu_count() or 1
        return {
            "wall_s": round(self.wall, 1),
            "stack_cpu_s": round(total, 1),
            "stack_cpu_share_of_machine": round(total / self.wall / cores, 3) if self.wall else None,
            "per_service_cpu_s": {k: round(v, 1) for k, v in sorted(per_service.items())},
            "bench_process_cpu_s": round(self.own, 1),
            "load1_max": round(max(self.loads), 2) if self.loads else None,
            "load1_mean": round(statistics.fmean(self.loads), 2) if self.loads else None,
            "cores": cores,
        }

