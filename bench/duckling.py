"""Latency benchmark of the embedded Duckling server on French date phrases.

Usage: python bench/duckling.py [--url http://127.0.0.1:8000] [--rounds 10] [--clients 8]

Without ``--url`` it starts ``python -m embedded_duckling`` on a free port.
Latencies are measured client-side (HTTP round trip, keep-alive sessions).
Writes bench/results/duckling.json and prints a short table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages
    sys.path.insert(0, str(ROOT))

from bench.machine import package_version  # noqa: E402
from simulation.latency import percentile  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "duckling.json"
# Wednesday 12 March 2025, 10:00 Europe/Paris: fixed so results are comparable.
REFTIME_MS = 1_741_770_000_000

PHRASES: Tuple[str, ...] = (
    "après-demain à 15h",
    "demain matin",
    "la semaine prochaine",
    "euh jeudi prochain vers quatorze heures",
    "le trois décembre à neuf heures et quart",
    "dans deux semaines",
    "lundi à 10h30",
    "mardi prochain dans l'après-midi",
    "le 3 décembre à 9h",
    "ce soir vers 18 heures",
    "demain à midi",
    "le 14 juillet",
    "vendredi matin de préférence",
    "dans une heure",
    "le premier avril à huit heures",
    "d'ici la fin de la semaine",
    "la semaine du 12 mai",
    "entre 14h et 16h",
    "mercredi 5 mars à 11 heures moins le quart",
    "heu non plutôt samedi matin",
    "le 21/03 à 17h",
    "aujourd'hui en fin de journée",
    "dans trois jours",
    "le mois prochain",
    "à quinze heures trente",
    "pas avant le 2 janvier",
    "bonjour je voudrais un rendez-vous avec le docteur Martin mardi à 9h si possible",
    "ben je sais pas euh peut-être lundi ou mardi en début d'après-midi",
    "oui c'est ça, le vingt-deux à quatorze heures",
    "je suis disponible tous les jours sauf le mercredi",
    "rappelez-moi demain au 06 12 34 56 78",
    "dans 10 minutes",
)

# Run in a child interpreter: from this directory ``import duckling`` would find this file.
_GIL_PROBE = r"""
import json, threading, time
import duckling as d
tzdb = d.load_time_zones("/usr/share/zoneinfo")
ctx = d.Context(d.parse_ref_time(tzdb, "Europe/Paris", 1741770000),
                d.default_locale_lang(d.parse_lang("FR")))
dims = d.parse_dimensions(["time"])
text = " ".join(["euh jeudi prochain vers quatorze heures ou le 3 décembre à 9h"] * 20)
d.parse_text(text, ctx, dims, False)

spins, stop = [0], threading.Event()

def spin():
    while not stop.is_set():
        spins[0] += 1

def spins_during(action):
    before, started = spins[0], time.perf_counter()
    action()
    return spins[0] - before, time.perf_counter() - started

spinner = threading.Thread(target=spin)
spinner.start()
time.sleep(0.05)
parse_count, parse_s = spins_during(lambda: d.parse_text(text, ctx, dims, False))
sleep_count, _ = spins_during(lambda: time.sleep(parse_s))
stop.set()
spinner.join()
print(json.dumps({"parse_seconds": parse_s, "spins_during_parse": parse_count,
                  "spins_during_sleep": sleep_count}))
"""


def summarize(latencies_s: List[float], wall_s: float, errors: int) -> Dict[str, Any]:
    """count/mean/p50/p95/p99/max in milliseconds, plus throughput."""
    ms = sorted(x * 1000 for x in latencies_s)
    return {
        "count": len(ms),
        "errors": errors,
        "mean_ms": round(statistics.fmean(ms), 3),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(ms[-1], 3),
        "wall_s": round(wall_s, 3),
        "throughput_rps": round(len(ms) / wall_s, 1),
    }


def form(text: str, dims: str) -> Dict[str, Any]:
    return {"text": text, "locale": "fr_FR", "tz": "Europe/Paris", "reftime": REFTIME_MS,
            "dims": dims}


def run_client(url: str, phrases: Sequence[str], dims: str) -> Tuple[List[float], int]:
    """Send each phrase once, sequentially, on one keep-alive session."""
    latencies, errors = [], 0
    with requests.Session() as session:
        for text in phrases:
            started = time.perf_counter()
            response = session.post(f"{url}/parse", data=form(text, dims), timeout=30)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200
    return latencies, errors


def single_client(url: str, rounds: int, dims: str) -> Dict[str, Any]:
    started = time.perf_counter()
    latencies, errors = run_client(url, PHRASES * rounds, dims)
    return summarize(latencies, time.perf_counter() - started, errors)


def concurrent_clients(url: str, rounds: int, clients: int, dims: str) -> Dict[str, Any]:
    """``clients`` threads, each sending every phrase ``rounds`` times (rotated order)."""
    workloads = [(PHRASES[i:] + PHRASES[:i]) * rounds for i in range(clients)]
    barrier = threading.Barrier(clients)

    def client(phrases: Sequence[str]) -> Tuple[List[float], int]:
        barrier.wait()
        return run_client(url, phrases, dims)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(client, workloads))
    wall = time.perf_counter() - started
    latencies = [x for lat, _ in results for x in lat]
    return {"clients": clients, **summarize(latencies, wall, sum(e for _, e in results))}


def unmatched_phrases(url: str, dims: str) -> List[str]:
    """Phrases for which Duckling found no entity at all."""
    return [p for p in PHRASES
            if not requests.post(f"{url}/parse", data=form(p, dims), timeout=30).json()]


def gil_probe() -> Optional[Dict[str, Any]]:
    """Does a native parse let another Python thread run? (child interpreter)"""
    result = subprocess.run([sys.executable, "-c", _GIL_PROBE], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        return None
    data = json.loads(result.stdout)
    ratio = data["spins_during_parse"] / max(1, data["spins_during_sleep"])
    return {**data, "other_thread_progress_ratio": round(ratio, 4),
            "gil_released": ratio > 0.5}


def rss_mib(pid: int) -> Optional[float]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def start_server() -> Tuple["subprocess.Popen[bytes]", str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUCKLING_")}
    process = subprocess.Popen([sys.executable, "-m", "embedded_duckling", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(url + "/", timeout=1).text == "quack!":
                return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the embedded Duckling server did not start")


def machine_info() -> Dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),  # others sharing the CPUs
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "pyduckling_native_phihos": package_version("pyduckling-native-phihos"),
        "aiohttp": package_version("aiohttp"),
    }


def print_table(report: Dict[str, Any]) -> None:
    rows = [("single client", report["single_client"]),
            (f"{report['concurrent']['clients']} clients", report["concurrent"])]
    print(f"{'mode':<14} {'requests':>8} {'errors':>6} {'mean ms':>8} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'p99 ms':>7} {'req/s':>7}")
    for name, r in rows:
        print(f"{name:<14} {r['count']:>8} {r['errors']:>6} {r['mean_ms']:>8.2f} "
              f"{r['p50_ms']:>7.2f} {r['p95_ms']:>7.2f} {r['p99_ms']:>7.2f} "
              f"{r['throughput_rps']:>7.0f}")
    gil = report.get("gil_probe")
    if gil:
        print(f"GIL released during a native parse: {gil['gil_released']} "
              f"(other thread progress ratio {gil['other_thread_progress_ratio']})")
    memory = report.get("server_rss_mib")
    if memory:
        print(f"server RSS: {memory['after_warmup']} MiB after warm-up, "
              f"{memory['after_bench']} MiB after {memory['requests']} requests")
    if report["unmatched_phrases"]:
        print("no entity for:", "; ".join(report["unmatched_phrases"]))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="benchmark a running server instead of starting one")
    parser.add_argument("--rounds", type=int, default=10, help="passes over the phrase set")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--dims", default='["time"]', help="dims form field (JSON list)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="result JSON path")
    args = parser.parse_args(argv)

    process, url = (None, args.url.rstrip("/")) if args.url else start_server()
    try:
        single_client(url, 1, args.dims)  # warm-up: loads the locale, fills caches
        rss_before = rss_mib(process.pid) if process else None
        report: Dict[str, Any] = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "server": {"url": url, "started_by_bench": process is not None},
            "request": {"locale": "fr_FR", "tz": "Europe/Paris", "reftime_ms": REFTIME_MS,
                        "dims": json.loads(args.dims)},
            "phrases": len(PHRASES),
            "rounds": args.rounds,
            "latency": "client-side HTTP round trip, keep-alive, localhost",
            "single_client": single_client(url, args.rounds, args.dims),
            "concurrent": concurrent_clients(url, args.rounds, args.clients, args.dims),
            "unmatched_phrases": unmatched_phrases(url, args.dims),
        }
        if process:
            requests_sent = len(PHRASES) * args.rounds * (1 + args.clients)
            report["server_rss_mib"] = {"after_warmup": rss_before,
                                        "after_bench": rss_mib(process.pid),
                                        "requests": requests_sent}
        report["gil_probe"] = gil_probe()
    finally:
        if process:
            process.terminate()
            process.wait(timeout=10)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(report)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
