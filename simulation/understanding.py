"""How well the assistant understands what it was never trained on: the held-out
phrase sets of the text benchmark (``bench/text_chat.py``), each phrase parsed and
judged *right*, *unsure* (``nlu_fallback``: the caller is asked to rephrase) or *wrong*
(another intent: the bot would act on it), per intent and overall.

``bench/data/heldout_phrases.yml`` was written for the bench (it catches regressions);
``bench/data/public_heldout.yml`` and ``public_blind.yml`` come from public corpora
(they measure quality; sources and licences in ``bench/data/SOURCES.md``). None of them
may share a phrase with ``data/nlu/`` (:func:`heldout_phrases` refuses it).
"""
from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Set

import yaml

from simulation.latency import latency

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "bench" / "data" / "heldout_phrases.yml"
# Phrases from public corpora, never written nor tuned on by this project (sources and
# licences: bench/data/SOURCES.md). The measure of quality; ours catch regressions.
PUBLIC_HELDOUT = ROOT / "bench" / "data" / "public_heldout.yml"
# Public phrases gathered and scored without being read here: a blind test (SOURCES.md).
PUBLIC_BLIND = ROOT / "bench" / "data" / "public_blind.yml"
HELDOUT_SETS = {"own": HELDOUT, "public": PUBLIC_HELDOUT, "blind": PUBLIC_BLIND}
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)|\[([^\]]+)\]\{[^}]+\}")
# Book, move and cancel; the rest is what a conversation is made of.
APPOINTMENT_INTENTS = {"book_appointment", "reschedule_appointment", "cancel_appointment"}


def normalized(text: str) -> str:
    return re.sub(r"[\s?!.,;:]+", " ", text.lower()).strip()


def training_phrases(nlu_dir: Path = ROOT / "data" / "nlu") -> Set[str]:
    phrases: Set[str] = set()
    for path in sorted(nlu_dir.glob("*.yml")):
        for entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str((entry or {}).get("examples") or "").splitlines():
                text = line.strip()
                if text.startswith("- "):
                    plain = ANNOTATION.sub(lambda m: m.group(1) or m.group(2), text[2:])
                    phrases.add(normalized(plain))
    return phrases


def heldout_phrases(path: Path = HELDOUT, training: Iterable[str] = ()) -> Dict[str, List[str]]:
    """intent → phrases; a phrase the training data also has is an error (it would
    measure memory, not understanding)."""
    phrases = yaml.safe_load(path.read_text(encoding="utf-8"))
    known = set(training)
    seen = [f"{intent}: {p}" for intent, ps in phrases.items() for p in ps if normalized(p) in known]
    if seen:
        raise ValueError(f"held-out phrases also in data/nlu/: {seen}")
    return phrases


def understanding(parse: Callable[[str], Dict[str, Any]],
                  phrases: Dict[str, List[str]]) -> Dict[str, Any]:
    """Each phrase parsed: right, unsure (nlu_fallback) or wrong, per intent and overall."""
    per_intent: Dict[str, Counter] = {}
    wrong: List[Dict[str, str]] = []
    times: List[float] = []
    for intent, texts in phrases.items():
        counts = per_intent.setdefault(intent, Counter())
        for text in texts:
            began = time.perf_counter()
            predicted = parse(text)["intent"]["name"]
            times.append(time.perf_counter() - began)
            verdict = ("right" if predicted == intent else
                       "unsure" if predicted == "nlu_fallback" else "wrong")
            counts[verdict] += 1
            if verdict == "wrong":
                wrong.append({"text": text, "expected": intent, "predicted": predicted})

    def share(intents: Iterable[str]) -> Dict[str, Any]:
        total = Counter()
        for name in intents:
            total.update(per_intent[name])
        n = sum(total.values())
        return {"phrases": n, **{k: round(total[k] / n, 3) if n else None
                                 for k in ("right", "unsure", "wrong")}}

    return {
        "overall": share(per_intent),
        "book_move_cancel": share(i for i in per_intent if i in APPOINTMENT_INTENTS),
        "everything_else": share(i for i in per_intent if i not in APPOINTMENT_INTENTS),
        "per_intent": {name: share([name]) for name in sorted(per_intent)},
        "wrong": wrong,
        "parse_ms": latency(times),
    }


def understanding_of_sets(parse: Callable[[str], Dict[str, Any]],
                          sets: Dict[str, Dict[str, List[str]]]) -> Dict[str, Any]:
    """``understanding`` (our own set) and ``understanding_<name>`` for the others."""
    return {("understanding" if name == "own" else f"understanding_{name}"):
            understanding(parse, phrases) for name, phrases in sets.items()}

