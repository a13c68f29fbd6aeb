"""Recognition hints, measured: does each hint lower the word error rate, and cut nothing?

Usage: python bench/hint_wer.py [--voices mb-fr1,mb-fr4] [--out bench/results/hint_wer.json]
                                [--data bench/data/spoken_answers.yml] [--groups date,phone]
                                [--limit N]

For every group of bench/data/spoken_answers.yml (one per hint the channel builds: the
kind of answer the bot's question expects, and the question itself, turned into a
:class:`RecognitionHint` by ``voice_channel.dialogue.hint.hint_from_reply`` exactly as
in a call), each sentence is said in each voice (espeak-ng/MBROLA at the callers' rate,
``simulation.synthetic_audio.speech_16k``) and heard by the stack's Whisper model,
loaded once, under these conditions (:data:`CONDITIONS`):

* ``hint``: the hint's candidate prompting (``candidate_prompting(hint)``:
  ``initial_prompt`` and ``hotwords``), which the channel uses for the kinds it kept
  (``voice_channel.stt.hints.PROMPTED_KINDS``);
* ``prompt_only``: the same ``initial_prompt`` without the hotwords (only for hints that
  have hotwords);
* ``no_hint``: no ``initial_prompt``, no ``hotwords``.

Only the prompting changes between conditions: the VAD, the guard, the lone-first-name
rescue and the snapping (``postprocess``) get the same hint in all of them. The WER is
scored on what was heard before snapping (``bench.speech_scoring.word_error_rate``), so
that « Oui, tout à fait » snapped to « oui » does not count against any condition; the
WER after snapping is reported too (``wer_channel``).

A sentence is *cut* by a condition (:func:`cut_sides`) when the answer was accepted and,
at its start or at its end, the transcript lacks at least :data:`EDGE_WORDS` more
reference words than the no-hint transcript does (see :func:`dropped_words`): what
Whisper does when it goes on after a hotword and drops what came before (« je souhaite
annuler mon rendez-vous de demain » heard as « de demain. »).

Verdict (:func:`is_kept`): a condition is *kept* only if its mean WER is lower than the
no-hint mean WER in every voice and it cuts no sentence. Per group and per kind (a kind
used by several groups — the date hint answers both « quel jour ? » and the offer of
slots — is kept only if kept in each), with a recommendation: keep, keep the prompt but
drop the hotwords, or drop.

Writes bench/results/hint_wer.json and prints a short table. To measure from another
bench (the recognizer loaded there): :func:`load_spoken_answers`, :func:`measure_hint_wer`
(or :func:`measure_sentence` on audio already made) and :func:`verdicts`.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from bench.speech_scoring import wer_words, word_error_rate  # noqa: E402
from spoken_french.normalize import normalize_words  # noqa: E402
from simulation.synthetic_audio import CALLER_VOICE, SECOND_VOICE  # noqa: E402
from voice_channel.stt.hints import (  # noqa: E402
    EXPECTED_KINDS, Prompting, RecognitionHint, candidate_prompting, postprocess,
)

SPOKEN_ANSWERS = ROOT / "bench" / "data" / "spoken_answers.yml"
DEFAULT_OUT = ROOT / "bench" / "results" / "hint_wer.json"
DEFAULT_VOICES = (CALLER_VOICE, SECOND_VOICE)  # MBROLA fr1 and fr4
MIN_SENTENCES = 40  # per group: fewer, and a hint's effect is lost in the noise

HINT, PROMPT_ONLY, NO_HINT = "hint", "prompt_only", "no_hint"
CONDITIONS = (HINT, PROMPT_ONLY, NO_HINT)
BASELINE = NO_HINT
# A cut: at least this many more reference words missing at the start (or the end) than
# without any hint. One word is within what a synthetic voice loses anyway (« Oui, »).
EDGE_WORDS = 2
MIN_CUT_WORDS = 3  # shorter references (« le premier ») can be wrong, not cut

KEEP = "keep"
KEEP_PROMPT_DROP_HOTWORDS = "keep the prompt, drop the hotwords"
DROP = "drop (no prompt, no hotwords)"


# --- the sentences ------------------------------------------------------------------------

@dataclass(frozen=True)
class HintGroup:
    """Sentences said in answer to one question, and the hint the channel builds for it."""

    name: str
    hint: RecognitionHint
    sentences: Tuple[str, ...]

    @property
    def kind(self) -> str:
        return self.hint.expected


def hint_for_question(kind: str, question: str) -> RecognitionHint:
    """The hint a call builds from the bot's question (``hint_from_reply`` on the reply
    Rasa sends: the text, and ``metadata: {expect: kind}`` unless the answer is free)."""
    from voice_channel.dialogue.hint import EXPECT_KEY, hint_from_reply

    message: Dict[str, Any] = {"text": question}
    if kind != "free":
        message["metadata"] = {EXPECT_KEY: kind}
    hint = hint_from_reply([message])
    if hint.expected != kind:
        raise ValueError(f"hint_from_reply made a {hint.expected!r} hint for {kind!r}")
    return hint


def _sentence_key(sentence: str) -> str:
    """The words said: « Zéro six, douze » and « zéro six douze » are one sentence,
    « zéro six, douze » and « zéro, six, un, deux » two ways of saying the same digits."""
    return normalize_words(unicodedata.normalize("NFC", sentence).lower().replace("’", "'"))


def load_spoken_answers(path: Path = SPOKEN_ANSWERS,
                        min_sentences: int = MIN_SENTENCES) -> List[HintGroup]:
    """The groups of ``path`` (see bench/data/spoken_answers.yml), checked: a known
    kind, a question, at least ``min_sentences`` sentences, none said twice (the same
    words, punctuation and case aside: :func:`_sentence_key`)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    groups = []
    for name, group in data.items():
        kind, question = group.get("kind"), (group.get("question") or "").strip()
        sentences = tuple(str(s).strip() for s in group.get("sentences") or ())
        if kind not in EXPECTED_KINDS:
            raise ValueError(f"{name}: kind must be one of {EXPECTED_KINDS}, not {kind!r}")
        if not question:
            raise ValueError(f"{name}: no question")
        if len(sentences) < min_sentences:
            raise ValueError(f"{name}: {len(sentences)} sentences, at least {min_sentences} needed")
        seen: Dict[str, str] = {}
        for sentence in sentences:
            key = _sentence_key(sentence)
            if not key:
                raise ValueError(f"{name}: a sentence with no words: {sentence!r}")
            if key in seen:
                raise ValueError(f"{name}: said twice: {seen[key]!r} and {sentence!r}")
            seen[key] = sentence
        groups.append(HintGroup(name, hint_for_question(kind, question), sentences))
    return groups


# --- conditions and hearing ---------------------------------------------------------------

def conditions_for(hint: RecognitionHint) -> Dict[str, Prompting]:
    """Each condition's prompting for ``hint`` (``prompt_only`` only when the hint has
    hotwords: otherwise it is the hint itself)."""
    prompting = candidate_prompting(hint)
    conditions = {HINT: prompting}
    if prompting.hotwords:
        conditions[PROMPT_ONLY] = Prompting(initial_prompt=prompting.initial_prompt)
    conditions[NO_HINT] = Prompting()
    return conditions


_PATCHING = threading.Lock()  # the patches below are process-wide


def hear(recognizer: Any, samples: np.ndarray, hint: RecognitionHint,
         prompting: Prompting) -> Dict[str, Any]:
    """``recognizer.transcribe(samples, hint)`` (a ``WhisperRecognizer``) with
    ``prompting`` instead of the hint's own, and the text heard before snapping."""
    import voice_channel.stt.whisper as whisper_module

    def unsnapped(text: str, _hint: Any) -> Tuple[str, None]:
        return text.strip(), None

    with _PATCHING, \
            mock.patch.object(whisper_module, "prompting_for", lambda _hint: prompting), \
            mock.patch.object(whisper_module, "postprocess", unsnapped):
        transcript = recognizer.transcribe(samples, hint)
    heard = transcript.text
    return {"heard": heard, "channel": postprocess(heard, hint)[0],
            "raw_text": transcript.raw_text, "rejected": transcript.rejected_reason,
            "stt_ms": round(transcript.processing_seconds * 1000, 1)}


# --- cuts -----------------------------------------------------------------------------------

def dropped_words(reference: str, transcript: str) -> Tuple[int, int]:
    """(reference words missing at the start, at the end) of ``transcript``.

    Words as for the WER (``wer_words``). At the start: the fewest, over the words found
    in both (reference index i, transcript index j), of i - j, i.e. how many more words
    the reference has before a shared word than the transcript has; at the end, the same
    counted from the end; never below 0. An empty transcript lacks every word; one
    sharing no word with the reference is wrong, not cut: (0, 0).
    """
    ref, hyp = wer_words(reference), wer_words(transcript or "")
    if not hyp:
        return len(ref), len(ref)
    pairs = [(i, j) for i, r in enumerate(ref) for j, h in enumerate(hyp) if r == h]
    if not pairs:
        return 0, 0
    start = min(i - j for i, j in pairs)
    end = min((len(ref) - 1 - i) - (len(hyp) - 1 - j) for i, j in pairs)
    return max(0, start), max(0, end)


def cut_sides(reference: str, transcript: str, baseline: str,
              edge_words: int = EDGE_WORDS) -> List[str]:
    """Where ``transcript`` cut ``reference`` compared with the no-hint ``baseline``:
    "start" and/or "end" when it lacks at least ``edge_words`` more reference words there
    than the baseline does. References under ``MIN_CUT_WORDS`` words are never cut."""
    if len(wer_words(reference)) < MIN_CUT_WORDS:
        return []
    heard, base = dropped_words(reference, transcript), dropped_words(reference, baseline)
    return [side for side, h, b in zip(("start", "end"), heard, base) if h - b >= edge_words]


# --- measuring ------------------------------------------------------------------------------

def measure_sentence(recognizer: Any, samples: np.ndarray, reference: str,
                     hint: RecognitionHint) -> Dict[str, Any]:
    """One sentence's audio heard under each condition of ``hint``: per condition the
    text heard (before and after snapping), WER, rejection, STT time, and the sides it
    cut (compared with no hint)."""
    heard = {name: hear(recognizer, samples, hint, prompting)
             for name, prompting in conditions_for(hint).items()}
    baseline = heard[BASELINE]["heard"]
    for result in heard.values():
        result["wer"] = round(word_error_rate(reference, result["heard"]), 4)
        result["wer_channel"] = round(word_error_rate(reference, result["channel"]), 4)
        result["dropped"] = list(dropped_words(reference, result["heard"]))
        # A refused answer is re-asked, not cut: no word is silently lost (its WER counts
        # it as nothing heard, and it is counted among the rejections).
        result["cut"] = [] if result["rejected"] else cut_sides(reference, result["heard"],
                                                                 baseline)
    return heard


def speech_for(voice: str, rate: Optional[int] = None) -> Callable[[str], np.ndarray]:
    """``text → 16 kHz float32 speech`` in ``voice`` at the callers' rate."""
    from simulation.synthetic_audio import CALLER_RATE, speech_16k

    return lambda text: speech_16k(text, voice=voice, rate=rate or CALLER_RATE)


def measure_hint_wer(recognizer: Any, groups: Sequence[HintGroup], voices: Sequence[str],
                     *, synthesize: Optional[Callable[[str, str], np.ndarray]] = None,
                     progress: Optional[Callable[[str], None]] = None) -> Dict[str, Any]:
    """Every sentence of ``groups`` said in each of ``voices`` and heard by ``recognizer``
    (a loaded ``WhisperRecognizer``) under each condition.

    ``synthesize(text, voice)`` makes the audio (default: ``speech_16k`` at the callers'
    rate). Returns ``{"rows", "results", "verdicts"}``: a row per sentence and voice,
    :func:`summarize` of the rows, and :func:`verdicts` of that.
    """
    if synthesize is None:
        def synthesize(text: str, voice: str) -> np.ndarray:
            return speech_for(voice)(text)
    rows = []
    for group in groups:
        for voice in voices:
            started = time.perf_counter()
            for sentence in group.sentences:
                samples = synthesize(sentence, voice)
                rows.append({"group": group.name, "kind": group.kind, "voice": voice,
                             "sentence": sentence,
                             "audio_seconds": round(len(samples) / 16000, 2),
                             "conditions": measure_sentence(recognizer, samples, sentence,
                                                            group.hint)})
            if progress:
                progress(f"{group.name} {voice}: {len(group.sentences)} sentences in "
                         f"{time.perf_counter() - started:.0f} s")
    results = summarize(rows)
    return {"rows": rows, "results": results,
            "verdicts": verdicts(results, {g.name: g.kind for g in groups})}


def summarize(rows: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Per group, voice and condition: n, mean and median WER, mean WER after snapping,
    rejected transcripts, and the sentences cut (with what the no-hint condition heard)."""
    cells: Dict[str, Dict[str, Dict[str, List[Dict[str, Any]]]]] = {}
    for row in rows:
        for condition, result in row["conditions"].items():
            cells.setdefault(row["group"], {}).setdefault(row["voice"], {}) \
                .setdefault(condition, []).append({"row": row, "result": result})
    summary: Dict[str, Any] = {}
    for group, by_voice in cells.items():
        for voice, by_condition in by_voice.items():
            for condition in CONDITIONS:
                items = by_condition.get(condition)
                if not items:
                    continue
                wers = [i["result"]["wer"] for i in items]
                summary.setdefault(group, {}).setdefault(voice, {})[condition] = {
                    "n": len(items),
                    "wer_mean": round(statistics.fmean(wers), 4),
                    "wer_median": round(statistics.median(wers), 4),
                    "wer_channel_mean": round(statistics.fmean(
                        i["result"]["wer_channel"] for i in items), 4),
                    "rejected": sum(1 for i in items if i["result"]["rejected"]),
                    "cut": [{"sentence": i["row"]["sentence"], "sides": i["result"]["cut"],
                             "heard": i["result"]["heard"],
                             "no_hint_heard": i["row"]["conditions"][BASELINE]["heard"]}
                            for i in items if i["result"]["cut"]],
                }
    return summary


# --- verdicts -------------------------------------------------------------------------------

def is_kept(means: Mapping[str, float], baseline_means: Mapping[str, float], cuts: int) -> bool:
    """The rule: kept only if the mean WER is lower than the baseline's in every voice
    (the same voices, at least one) and no sentence was cut."""
    if not means or set(means) != set(baseline_means):
        return False
    return cuts == 0 and all(means[v] < baseline_means[v] for v in means)


def _condition_verdict(by_voice: Mapping[str, Mapping[str, Any]], condition: str,
                       baseline: str = BASELINE) -> Optional[Dict[str, Any]]:
    if not all(condition in c for c in by_voice.values()):
        return None
    means = {v: c[condition]["wer_mean"] for v, c in by_voice.items()}
    base = {v: c[baseline]["wer_mean"] for v, c in by_voice.items()}
    cuts = sum(len(c[condition]["cut"]) for c in by_voice.values())
    return {"wer_mean": means, f"{baseline}_wer_mean": base, "cuts": cuts,
            "lower_in_every_voice": bool(means) and all(means[v] < base[v] for v in means),
            "kept": is_kept(means, base, cuts)}


def recommend(hint: Optional[Mapping[str, Any]], prompt_only: Optional[Mapping[str, Any]],
              hotwords_help: bool) -> str:
    """keep / keep the prompt but drop the hotwords / drop, from the condition verdicts
    (``hotwords_help``: the hint's mean WER is lower than the prompt alone's in every
    voice)."""
    hint_kept = bool(hint and hint["kept"])
    if prompt_only is None:  # no hotwords: the hint is its prompt
        return KEEP if hint_kept else DROP
    if hint_kept and hotwords_help:
        return KEEP
    if prompt_only["kept"]:
        return KEEP_PROMPT_DROP_HOTWORDS
    return KEEP if hint_kept else DROP


def group_verdict(by_voice: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """The verdict of each condition against no hint, and the recommendation."""
    hint = _condition_verdict(by_voice, HINT)
    prompt_only = _condition_verdict(by_voice, PROMPT_ONLY)
    hotwords_help = False
    if prompt_only is not None:
        hotwords = _condition_verdict(by_voice, HINT, baseline=PROMPT_ONLY)
        hotwords_help = bool(hotwords and hotwords["lower_in_every_voice"])
    verdict = {HINT: hint, "recommendation": recommend(hint, prompt_only, hotwords_help)}
    if prompt_only is not None:
        verdict[PROMPT_ONLY] = prompt_only
        verdict["hotwords_lower_wer_than_prompt_alone"] = hotwords_help
    return verdict


def verdicts(results: Mapping[str, Any], kinds: Mapping[str, str]) -> Dict[str, Any]:
    """Per group (:func:`group_verdict`) and per kind: a kind's condition is kept only if
    kept in each of its groups, and so is its recommendation."""
    by_group = {group: group_verdict(by_voice) for group, by_voice in results.items()}
    by_kind: Dict[str, Any] = {}
    for kind in sorted(set(kinds[g] for g in by_group)):
        names = [g for g in by_group if kinds[g] == kind]
        entry: Dict[str, Any] = {"groups": names}
        for condition in (HINT, PROMPT_ONLY):
            found = [by_group[g].get(condition) for g in names]
            if all(found):
                entry[f"{condition}_kept"] = all(f["kept"] for f in found)
        recommendations = {by_group[g]["recommendation"] for g in names}
        if len(recommendations) == 1:
            entry["recommendation"] = recommendations.pop()
        elif entry.get(f"{PROMPT_ONLY}_kept"):
            entry["recommendation"] = KEEP_PROMPT_DROP_HOTWORDS
        elif entry.get(f"{HINT}_kept"):
            entry["recommendation"] = KEEP
        else:
            entry["recommendation"] = (
                "differs by question: " + "; ".join(
                    f"{g}: {by_group[g]['recommendation']}" for g in names))
        by_kind[kind] = entry
    return {"by_group": by_group, "by_kind": by_kind}


# --- report ---------------------------------------------------------------------------------

def _version(dist: str) -> Optional[str]:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _run(command: Sequence[str]) -> Optional[str]:
    if shutil.which(command[0]) is None:
        return None
    result = subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=ROOT)
    return (result.stdout or result.stderr).strip() if result.returncode == 0 else None


def environment(recognizer: Any, voices: Sequence[str]) -> Dict[str, Any]:
    """Commit, packages, model and voices: what the figures depend on."""
    from simulation.synthetic_audio import CALLER_RATE, MBROLA_VOICES

    status = _run(["git", "status", "--porcelain", "--", "voice_channel/stt",
                   "voice_channel/dialogue/hint.py", "bench/hint_wer.py",
                   "bench/data/spoken_answers.yml", "bench/speech_scoring.py"])
    espeak = _run(["espeak-ng", "--version"])
    return {
        "commit": _run(["git", "rev-parse", "HEAD"]),
        "uncommitted": [line[3:] for line in (status or "").splitlines()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "packages": {name: _version(name) for name in
                     ("faster-whisper", "ctranslate2", "onnxruntime", "numpy", "text2num",
                      "rasa", "av")},
        "espeak_ng": espeak.splitlines()[0] if espeak else None,
        "voices": {voice: {"mbrola": voice.startswith("mb-"),
                           "installed": voice_installed(voice)} for voice in voices},
        "speech_rate_wpm": CALLER_RATE,
        "mbrola_dir": str(MBROLA_VOICES),
        "whisper": {"model": getattr(recognizer, "model", None),
                    "beam_size": getattr(recognizer, "beam_size", None),
                    "cpu_threads": getattr(recognizer, "cpu_threads", None),
                    "compute_type": getattr(recognizer, "compute_type", None),
                    "vad_filter": getattr(recognizer, "vad_filter", None),
                    "encoder_window_s": getattr(recognizer, "encoder_window_s", None)},
    }


def voice_installed(voice: str) -> bool:
    """espeak-ng is there, and for an MBROLA voice (``mb-…``) mbrola and its voice file."""
    from simulation.synthetic_audio import MBROLA_VOICES

    if shutil.which("espeak-ng") is None:
        return False
    if not voice.startswith("mb-"):
        return True
    name = voice.removeprefix("mb-")
    return shutil.which("mbrola") is not None and (MBROLA_VOICES / name / name).is_file()


def print_table(report: Mapping[str, Any]) -> None:
    results, by_group = report["results"], report["verdicts"]["by_group"]
    print(f"{'group':<11} {'voice':<7} {'n':>3} {'no hint':>8} {'hint':>7} {'prompt':>7} "
          f"{'cut':>4} {'rej h/0':>8}")
    for group, by_voice in results.items():
        for voice, cells in by_voice.items():
            prompt = cells.get(PROMPT_ONLY)
            print(f"{group:<11} {voice:<7} {cells[NO_HINT]['n']:>3} "
                  f"{cells[NO_HINT]['wer_mean']:>8.3f} {cells[HINT]['wer_mean']:>7.3f} "
                  f"{(format(prompt['wer_mean'], '.3f') if prompt else '-'):>7} "
                  f"{len(cells[HINT]['cut']) + (len(prompt['cut']) if prompt else 0):>4} "
                  f"{cells[HINT]['rejected']:>4}/{cells[NO_HINT]['rejected']:<3}")
        print(f"{'':<11} verdict: {by_group[group]['recommendation']}")
        for cell in by_voice.values():
            for condition in (HINT, PROMPT_ONLY):
                for cut in (cell.get(condition) or {}).get("cut", []):
                    print(f"{'':<13}cut ({condition}, {'/'.join(cut['sides'])}): "
                          f"{cut['sentence']!r} heard {cut['heard']!r} "
                          f"(no hint: {cut['no_hint_heard']!r})")
    print("per kind:", ", ".join(f"{k}: {v['recommendation']}"
                                 for k, v in report["verdicts"]["by_kind"].items()))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(DEFAULT_VOICES),
                        help="espeak-ng voices, comma-separated (default "
                             f"{','.join(DEFAULT_VOICES)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="result JSON path")
    parser.add_argument("--data", type=Path, default=SPOKEN_ANSWERS, help="the sentences (YAML)")
    parser.add_argument("--groups", help="only these groups, comma-separated")
    parser.add_argument("--limit", type=int,
                        help="only the first N sentences of each group (a trial run)")
    args = parser.parse_args(argv)
    voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    missing = [v for v in voices if not voice_installed(v)]
    if missing:
        raise SystemExit(f"voices not installed: {', '.join(missing)} (apt-get install "
                         "espeak-ng; MBROLA voices: sudo scripts/install_caller_voice.sh)")
    groups = load_spoken_answers(args.data, min_sentences=0 if args.limit else MIN_SENTENCES)
    if args.groups:
        wanted = [g.strip() for g in args.groups.split(",") if g.strip()]
        unknown = set(wanted) - {g.name for g in groups}
        if unknown:
            raise SystemExit(f"unknown groups: {', '.join(sorted(unknown))}")
        groups = [g for g in groups if g.name in wanted]
    if args.limit:
        groups = [HintGroup(g.name, g.hint, g.sentences[:args.limit]) for g in groups]

    from voice_channel.stt.whisper import WhisperRecognizer

    started = time.perf_counter()
    recognizer = WhisperRecognizer()
    recognizer.load()
    load_seconds = time.perf_counter() - started
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    measured = measure_hint_wer(recognizer, groups, voices,
                                progress=lambda line: print(line, file=sys.stderr, flush=True))
    report = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": {**environment(recognizer, voices),
                        "model_load_seconds": round(load_seconds, 1),
                        "run_seconds": round(time.perf_counter() - started, 1),
                        "load_average_1m": {"start": round(load_before, 2),
                                            "end": round(os.getloadavg()[0], 2)}},
        "method": {
            "data": str(args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT)
                        else args.data),
            "speech": "simulation.synthetic_audio.speech_16k (espeak-ng/MBROLA, 0.3 s of "
                      "silence before, 0.5 s after), in each voice",
            "conditions": {HINT: "prompting_for(hint): initial_prompt and hotwords, as the "
                                 "channel in a call",
                           PROMPT_ONLY: "the hint's initial_prompt, no hotwords (hints with "
                                        "hotwords only)",
                           NO_HINT: "no initial_prompt, no hotwords"},
            "same_in_every_condition": "Silero VAD, the guard, the lone-first-name rescue and "
                                       "postprocess get the same hint: only the prompting "
                                       "differs",
            "wer": "bench.speech_scoring.word_error_rate on the text heard before snapping "
                   "(wer_channel: after postprocess); rejected transcripts count as empty",
            "cut": f"at the start or the end, at least {EDGE_WORDS} more reference words "
                   "missing than in the no-hint transcript (bench.hint_wer.dropped_words: "
                   "reference words before the first shared word, minus transcript words "
                   f"before it; the same from the end); references of {MIN_CUT_WORDS}+ "
                   "words only",
            "verdict": "a condition is kept only if its mean WER is lower than no hint's in "
                       "every voice and it cuts no sentence; a kind, only if kept in each of "
                       "its groups",
        },
        "groups": {g.name: {"kind": g.kind, "question": g.hint.question, "sentences":
                            len(g.sentences),
                            "prompting": {name: {"initial_prompt": p.initial_prompt,
                                                 "hotwords": p.hotwords}
                                          for name, p in conditions_for(g.hint).items()}}
                   for g in groups},
        "voices": voices,
        "results": measured["results"],
        "verdicts": measured["verdicts"],
        "rows": measured["rows"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(report)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
