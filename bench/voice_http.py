"""Voice channel benchmark: French speech through ``POST /webhooks/voice/audio`` of the real stack.

Usage: python bench/voice_http.py [--repeats 2] [--skip-ablation] [--recordings DIR]

Starts the whole stack (Duckling, action server, Rasa with models/current.tar.gz) with
``simulation.stack.running_stack`` on free ports and SQLite in a temporary folder (with
the per-address turn and daily booking limits raised, see ``BENCH_TURNS_PER_MINUTE``,
and the bench's patients registered), then for each caller utterance (espeak-ng
French, made at run time):

1. brings a fresh conversation to the point where the utterance is said, by text over
   the voice channel's ``/webhook`` (a date is said after "Quel jour ?", "oui" after
   "Je confirme ?"), so that the channel builds the same slot-aware recognition hint as
   in a real call;
2. posts the audio to the voice channel and keeps its ``timings_ms`` (decode, stt,
   rasa, tts) and the client-side time until the reply audio is received;
3. scores the transcript: word error rate against the text said (lower case, no
   punctuation, numbers as digits on both sides) and the intent Rasa's
   ``POST /model/parse`` gives it, against the intended one.

Then, in this process with the same Whisper model, it measures what each recognition
step brings (``--skip-ablation`` leaves this out): Silero VAD alone (the channel reports
it inside ``stt``), and transcripts without the slot-aware hint, without any prompt, and
without the VAD, plus the VAD on non-speech clips.

Writes bench/results/voice_http.json and prints a short table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages, and simulation.stack
    sys.path.insert(0, str(ROOT))


from actions.clinic_config import clinic_config  # noqa: E402
from bench.recognition_steps import measure_recognition_steps, uncached_tts_ms  # noqa: E402
from bench.voice_http_stack import (  # noqa: E402
    ConversationSetup, StackClient, measure_http, registrations, warm_up,
)
from bench.voice_http_summary import (  # noqa: E402
    INTENT_SHARE_TARGET, REPLY_READY_TARGET_MS, summarize_by_hint, summarize_http,
    summarize_steps,
)
from bench.voice_http_utterances import (  # noqa: E402
    LEAD_SILENCE_S, TAIL_SILENCE_S, UTTERANCES, load_recordings, synthesize, training_overlap,
)
from simulation.synthetic_audio import CALLER_VOICE, SECOND_VOICE  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "voice_http.json"
# The callers' voice of the tests (MBROLA fr1, male) and a second one (fr4, female):
# what is heard is measured in both.
DEFAULT_VOICES = (CALLER_VOICE, SECOND_VOICE)  # MBROLA fr1 and fr4
# Every turn of the bench comes from one address (127.0.0.1), as from one web page, at
# the pace of a machine: far past the channel's http_turns_per_minute (20, a person's
# pace), and each "yes" to a read-back books, past clinic.yml's
# max_bookings_per_caller_per_day (3). The bench measures what a turn costs, not these
# limits, so its stack runs with limits it never reaches (checking them costs the same).
BENCH_TURNS_PER_MINUTE = 100_000
BENCH_BOOKINGS_PER_DAY = 1000  # clinic.yml's largest allowed value

# What was searched for real French recordings with a known transcript and a free licence.
REAL_RECORDINGS_SEARCH = {
    "found": 0,
    "searched": [
        "this machine: every *.wav/*.flac/*.ogg/*.opus/*.mp3/*.aiff file (only test tones "
        "of the CPython and SciPy test suites, and an English gsutil sample)",
        "PyPI: SpeechRecognition 3.17.0 and 3.10.0 source distributions (the upstream "
        "project tests with tests/french.aiff, but does not ship it in these packages)",
    ],
    "note": "no real French speech was available offline: every figure below is on "
            "espeak-ng synthetic speech, which is cleaner and more regular than a phone "
            "caller. Use --recordings DIR to add real ones.",
}


# --- report -------------------------------------------------------------------------------

def tool_version(command: Sequence[str]) -> Optional[str]:
    if shutil.which(command[0]) is None:
        return None
    result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else None


def machine_info() -> Dict[str, Any]:
    def version(dist: str) -> Optional[str]:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    cpu_model = None
    try:
        cpu_model = next((line.split(":", 1)[1].strip()
                          for line in Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), None)
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: version(name) for name in
                     ("rasa", "faster-whisper", "ctranslate2", "onnxruntime", "text2num")},
        "espeak_ng": tool_version(["espeak-ng", "--version"]),
    }


class PhaseClock:
    """Wall time of each phase, and the 1-minute load average at its end: other work on
    the same CPUs slows every stage, so the report says how busy the machine was."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.phases: List[Dict[str, Any]] = [
            {"phase": "start", "seconds": 0.0, "load_average_1m": round(os.getloadavg()[0], 2)}]

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases.append({"phase": phase, "seconds": round(now - self.started, 1),
                            "load_average_1m": round(os.getloadavg()[0], 2)})
        self.started = now

    def report(self) -> List[Dict[str, Any]]:
        return self.phases


def print_report(report: Dict[str, Any]) -> None:
    http = report["summary"]
    print(f"{'stage':<30} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}")
    for name, stats in http["stages_ms"].items():
        if stats.get("count"):
            print(f"{name:<30} {stats['count']:>4} {stats['p50_ms']:>8.0f} {stats['p95_ms']:>8.0f}")
    three = http["three_second_class"]
    ready = three["reply_ready_ms"]
    if ready.get("count"):
        verdict = "met" if three["target_met"] else "NOT met"
        print(f"~3 s utterances ({ready['count']} turns reaching Rasa): reply audio ready p50 "
              f"{ready['p50_ms']:.0f} ms, target {REPLY_READY_TARGET_MS:.0f} ms {verdict}")
    intent = http["intent_share"]
    print(f"WER (transcript sent to Rasa) {http['wer_mean_transcript']:.3f}; intended intent "
          f"{intent:.0%} (target {INTENT_SHARE_TARGET:.0%}: "
          f"{'met' if http['intent_target_met'] else 'NOT met'}); {http['rejected_turns']} "
          f"turns rejected (re-prompt), {http['accepted_wrong_intent_turns']} acted on with "
          f"a wrong intent")
    for text, transcript, predicted in http["intent_misses"]:
        print(f"  miss: {text!r} heard {transcript!r} -> {predicted}")
    print(f"\n{'voice':<8} {'hint':<12} {'turns':>5} {'WER':>6} {'intent':>7} {'cut':>4}")
    for voice, summary in report.get("per_voice", {}).items():
        for hint, row in summary["by_hint"].items():
            intent = "-" if row["intent_share"] is None else f"{row['intent_share']:.0%}"
            print(f"{voice:<8} {hint:<12} {row['turns']:>5} {row['wer_mean']:>6.3f} "
                  f"{intent:>7} {len(row['cut']):>4}")
        print(f"{voice:<8} {'(all)':<12} {summary['turns']:>5} "
              f"{summary['wer_mean_transcript']:>6.3f} {summary['intent_share']:>7.0%}")
    steps = report.get("recognition_steps")
    if steps:
        print(f"\n{'recognition (in process)':<26} {'WER':>6} {'intent':>7} {'in form':>8} "
              f"{'rejected':>8} {'wrong':>6} {'stt p50':>8}")
        for name, c in steps["configs"].items():
            if "wer_mean" not in c:
                print(f"{name:<26} {'':>6} {c['intent_share']:>7.0%} {'':>8} {'':>8} "
                      f"{c['accepted_wrong_intent']:>6}")
                continue
            print(f"{name:<26} {c['wer_mean']:>6.3f} {c['intent_share']:>7.0%} "
                  f"{c['intent_share_in_form_answers']:>8.0%} {c['rejected']:>8} "
                  f"{c['accepted_wrong_intent']:>6} {c['stt_ms']['p50_ms']:>8.0f}")
        for clip in report["recognition_steps_detail"]["non_speech"]:
            print(f"  {clip['clip']:<16} vad={'on ' if clip['vad'] else 'off'} "
                  f"rejected={clip['rejected']} text={clip['text']!r} {clip['stt_ms']:.0f} ms")
    loads = ", ".join(f"{p['phase']} {p['load_average_1m']}" for p in report["phases"])
    print(f"load average (1 min) on {report['machine']['cpu_count']} CPUs: {loads}")
    if report["training_overlap"]:
        print("utterances that are training sentences:", report["training_overlap"])
    if report["real_recordings"]["found"] == 0:
        print("no real French recording: synthetic espeak-ng speech only")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2,
                        help="passes over the utterances through HTTP (default 2)")
    parser.add_argument("--skip-ablation", action="store_true",
                        help="leave out the in-process comparison of recognition steps")
    parser.add_argument("--recordings", type=Path,
                        help="a folder of real recordings with a manifest.json (see "
                             "load_recordings)")
    parser.add_argument("--voices", default=",".join(DEFAULT_VOICES),
                        help="espeak-ng voices the utterances are said in, comma-separated "
                             f"(default {','.join(DEFAULT_VOICES)}: MBROLA fr1 and fr4)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="result JSON path")
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (apt-get install -y espeak-ng)")

    from simulation.stack import clinic_config_with, credentials_with, running_stack

    utterances = UTTERANCES + (load_recordings(args.recordings) if args.recordings else ())
    recordings = (sum(1 for u in utterances if u.source == "recording")
                  if args.recordings else 0)
    voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    from simulation.synthetic_audio import require_caller_voice

    for voice in voices:
        if voice.startswith("mb-"):
            require_caller_voice(voice)
    spoken_by_voice = {voice: synthesize(utterances, voice) for voice in voices}
    spoken = spoken_by_voice[voices[0]]
    report: Dict[str, Any] = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "method": {
            "endpoint": "POST /webhooks/voice/audio (multipart WAV, 16 kHz mono 16-bit)",
            "speech": f"espeak-ng voices {', '.join(voices)} at the rate of "
                      f"simulation/synthetic_audio.py, {LEAD_SILENCE_S} s of silence before "
                      f"and {TAIL_SILENCE_S} s after; the in-process recognition steps on "
                      f"the first voice",
            "conversation": "each turn in a new conversation, first brought by typed turns "
                            "(REST channel) to the question it answers, so the channel "
                            "builds its slot-aware hint from the tracker as in a call",
            "reply_audio_ready": "client-side time from sending the audio to receiving the "
                                 "reply with its speech (WAV in base64), localhost",
            "stages": "the channel's timings_ms; the VAD runs inside stt and is timed here "
                      "in process (speech_seconds) on the same audio",
            "wer": "per utterance, then averaged; lower case, no punctuation, number words "
                   "as digits, one word per digit, '10h30' = 10 heures 30",
            "intent": "POST /model/parse of the transcript, compared with the intended intent",
            "tts_cache": "the channel caches synthesized replies: repeated prompts cost ~0 "
                         "after the first time (see tts_uncached for the engine alone)",
        },
        "repeats": args.repeats,
        "utterances": len(utterances),
        "real_recordings": {**REAL_RECORDINGS_SEARCH, "found": recordings},
        "training_overlap": training_overlap(utterances),
    }
    phases = PhaseClock()
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
        limits = {  # see BENCH_TURNS_PER_MINUTE
            "RASA_CREDENTIALS": str(credentials_with(
                Path(tmp), http_turns_per_minute=BENCH_TURNS_PER_MINUTE)),
            "CLINIC_CONFIG": str(clinic_config_with(
                Path(tmp), max_bookings_per_caller_per_day=BENCH_BOOKINGS_PER_DAY)),
        }
        with running_stack(Path(tmp), extra_env=limits) as stack:
            phases.done("stack start")
            # One identity per conversation at most, registered before anything is timed.
            stack.register_patients(registrations(len(spoken) * args.repeats))
            client = StackClient(stack.rasa_url, stack.api_token)
            warm_up(client, spoken)
            phases.done("warm-up")
            setup = ConversationSetup(client, clinic_config())
            rows, hints = [], {}
            for voice in voices:
                voice_rows, voice_hints = measure_http(client, spoken_by_voice[voice],
                                                       args.repeats, setup)
                for row in voice_rows:
                    row["voice"] = voice
                rows += voice_rows
                if voice == voices[0]:
                    hints = voice_hints
                phases.done(f"http turns ({voice})")
            steps = None
            if not args.skip_ablation:
                steps = measure_recognition_steps(client, spoken, hints, vad_runs=args.repeats)
                phases.done("recognition steps")
    vad_ms = [v for r in (steps or {}).get("rows", []) for v in r["vad_ms"]]
    report["summary"] = summarize_http(rows, vad_ms)
    report["per_voice"] = {
        voice: {**{k: v for k, v in summarize_http([r for r in rows if r["voice"] == voice],
                                                   ()).items() if k != "stages_ms"},
                "by_hint": summarize_by_hint([r for r in rows if r["voice"] == voice])}
        for voice in voices}
    if steps:
        report["recognition_steps"] = summarize_steps(steps, rows)
        report["recognition_steps_detail"] = steps
    report["tts_uncached"] = uncached_tts_ms(sorted({t for r in rows for t in r["replies"] if t}))
    phases.done("uncached tts")
    report["phases"] = phases.report()
    report["rows"] = rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_report(report)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
