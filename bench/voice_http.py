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

The measures are :mod:`simulation.voice_http`'s; what is printed besides them,
:mod:`bench.voice_http_report`'s. Writes bench/results/voice_http.json and prints a
short table.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages, and simulation.stack
    sys.path.insert(0, str(ROOT))

from bench.voice_http_report import PhaseClock, machine_info, print_report  # noqa: E402
from clinic.config import clinic_config  # noqa: E402
from simulation.synthetic_audio import CALLER_VOICE, SECOND_VOICE  # noqa: E402
from simulation.voice_http.recognition_steps import (  # noqa: E402
    measure_recognition_steps, uncached_tts_ms)
from simulation.voice_http.stack_client import (  # noqa: E402
    ConversationSetup, StackClient, measure_http, registrations, warm_up,
)
from simulation.voice_http.summary import (  # noqa: E402
    summarize_by_hint, summarize_http, summarize_steps)
from simulation.voice_http.utterances import (  # noqa: E402
    LEAD_SILENCE_S, TAIL_SILENCE_S, UTTERANCES, SpokenUtterance, load_recordings, synthesize,
    training_overlap,
)

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


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
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
    return parser.parse_args(argv)


def method(voices: Sequence[str]) -> Dict[str, Any]:
    """How the figures were made, for the report."""
    return {
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
    }


def measure_on_stack(args: argparse.Namespace, voices: Sequence[str],
                     spoken_by_voice: Dict[str, List[SpokenUtterance]], phases: PhaseClock
                     ) -> Tuple[List[Dict[str, Any]], Optional[Dict[str, Any]]]:
    """The stack started with the bench's limits: the HTTP turns in every voice, then the
    recognition steps in process (unless ``--skip-ablation``); the rows and the steps."""
    from simulation.stack import clinic_config_with, credentials_with, running_stack

    spoken = spoken_by_voice[voices[0]]
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
    return rows, steps


def add_figures(report: Dict[str, Any], rows: Sequence[Dict[str, Any]],
                steps: Optional[Dict[str, Any]], voices: Sequence[str]) -> None:
    """The summary of the HTTP turns, per voice and per hint, and of the recognition steps."""
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


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (apt-get install -y espeak-ng)")
    utterances = UTTERANCES + (load_recordings(args.recordings) if args.recordings else ())
    recordings = (sum(1 for u in utterances if u.source == "recording")
                  if args.recordings else 0)
    voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    from simulation.synthetic_audio import require_caller_voice

    for voice in voices:
        if voice.startswith("mb-"):
            require_caller_voice(voice)
    spoken_by_voice = {voice: synthesize(utterances, voice) for voice in voices}
    report: Dict[str, Any] = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "method": method(voices),
        "repeats": args.repeats,
        "utterances": len(utterances),
        "real_recordings": {**REAL_RECORDINGS_SEARCH, "found": recordings},
        "training_overlap": training_overlap(utterances),
    }
    phases = PhaseClock()
    rows, steps = measure_on_stack(args, voices, spoken_by_voice, phases)
    add_figures(report, rows, steps, voices)
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
