"""The text benchmark: how well the running assistant understands colloquial French,
and how it holds a typed conversation, on the real stack.

Usage: ``python bench/text_chat.py [--out bench/results/text_chat.json] [--rounds 3]``
(``--model PATH``: the held-out sets only, parsed by that model loaded in process, for
before/after figures) starts the stack (``simulation.stack.running_stack``, SQLite, a fresh database), then:

* **understanding**: every phrase of the two held-out sets goes through Rasa's
  ``/model/parse``: ``bench/data/heldout_phrases.yml`` (written for this bench: it
  catches regressions) and ``bench/data/public_heldout.yml`` (taken from public corpora,
  never written nor tuned on here: it measures quality; sources and licences in
  ``bench/data/SOURCES.md``). Neither is in ``data/nlu/``: the bench refuses to run if
  one is. Each phrase is *right*, *unsure* (``nlu_fallback``: the caller is asked to
  rephrase) or *wrong* (another intent: the bot would act on it);
* **conversations**: the scripted conversations of :data:`CONVERSATIONS` (those of issue
  #13: « autre chose ? » → « oui », a date too far ahead said again and again, an overseas
  mobile, a first name that sounds like a request, « il faut que je me casse », the
  clinic's address) over the staff chat, ``--rounds`` times each. For every turn: its
  time, whether it got an answer, and how many times in a row the bot asked the same
  question; for every conversation: whether it ended as it should.

Median and p95 of the turn times, per-intent accuracy and the conversations' results
go to ``bench/results/text_chat.json``. The patients the conversations give the
identity of are registered first (:func:`patients_of`): clinic.yml books registered
patients only. :func:`run_conversations` is also run by ``tests/test_stack_e2e.py``
against its own stack.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Sequence, Set, Tuple

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.duckling import percentile  # noqa: E402

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


def latency(seconds: Sequence[float]) -> Dict[str, Any]:
    ms = sorted(s * 1000 for s in seconds)
    return {"count": len(ms), "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1), "max_ms": round(ms[-1], 1)}


# A patient as the clinic registers them: (patient ID, last name, first name, phone).
Registration = Tuple[str, str, str, str]


def _no_patient(n: int) -> List[Registration]:
    return []


@dataclass
class Conversation:
    """A scripted conversation and what its end must look like."""
    name: str
    turns: Callable[[int], List[str]]  # n (a new identity each run) → what the user types
    ends_well: Callable[[List[List[str]]], bool]  # every turn's bot texts → as it should
    # n → the patients the conversation identifies as, to register before it is run
    patients: Callable[[int], List[Registration]] = _no_patient


def _contains(fragment: str) -> Callable[[List[List[str]]], bool]:
    return lambda replies: any(fragment in text for text in replies[-1])


def _patient(n: int, phone: str | None = None) -> Registration:
    """The identity conversation ``n`` books with (one patient ID per conversation)."""
    return (f"{810000 + n}", "Lefebvre", "Camille",
            phone or f"06 12 {n // 100 % 100:02d} {n % 100:02d} 33")


def _booking_until_time(n: int, phone: str | None = None) -> List[str]:
    patient_id, last_name, first_name, phone = _patient(n, phone)
    return ["je voudrais prendre rendez-vous", last_name, first_name, patient_id, phone]


def _far_day() -> str:
    from actions.clinic_config import load_clinic_config
    from spoken_french.say import say_date

    clinic = load_clinic_config()
    day = datetime.now(clinic.timezone).date() + clinic.booking_horizon + timedelta(days=20)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return f"{say_date(day)} à 10h"


CONVERSATIONS = [
    Conversation("« autre chose ? » → « oui » asks what else",
                 lambda n: ["bonjour", "merci beaucoup", "oui"],
                 _contains("Que puis-je faire pour vous")),
    Conversation("a first message that is a name gets an answer",
                 lambda n: ["je m'appelle Martine Lefebvre"], lambda r: bool(r[-1])),
    Conversation("a date too far ahead, said four times: explained, then an offer",
                 lambda n: _booking_until_time(n) + [_far_day()] * 4,
                 lambda r: "jusqu'au" in " ".join(r[-4]) and _contains("accueil")(r),
                 lambda n: [_patient(n)]),
    Conversation("an overseas mobile (La Réunion) is accepted",
                 lambda n: _booking_until_time(n, phone="06 93 88 93 30"),
                 _contains("Quel jour"), lambda n: [_patient(n, phone="06 93 88 93 30")]),
    Conversation("« Claire » after « Durand » is a first name, not a request",
                 lambda n: ["je voudrais prendre rendez-vous", "Durand", "Claire"],
                 lambda r: not any("accueil" in t for t in r[-1]) and bool(r[-1])),
    Conversation("« il faut que je me casse » is not an emergency",
                 lambda n: ["bonjour", "il faut que je me casse"],
                 lambda r: not any("15" in t or "112" in t for t in r[-1]) and bool(r[-1])),
    Conversation("« où se trouve le cabinet ? » gets the address",
                 lambda n: ["où se trouve le cabinet ?"], _contains("Le cabinet se trouve")),
    Conversation("the address asked inside a booking, then the form goes on",
                 lambda n: ["je voudrais prendre rendez-vous", "c'est où votre cabinet ?"],
                 lambda r: any("Le cabinet se trouve" in t for t in r[-1])
                 and any("nom" in t for t in r[-1])),
]


def _numbered(rounds: int, conversations: Sequence[Conversation]):
    """(round, n, conversation) in the order they are run; n: a new identity each run."""
    for round_ in range(rounds):
        for index, conversation in enumerate(conversations):
            yield round_, round_ * len(conversations) + index, conversation


def patients_of(rounds: int = 1,
                conversations: Sequence[Conversation] = CONVERSATIONS) -> List[Registration]:
    """The patients :func:`run_conversations` gives the identity of, over ``rounds``: the
    stack must have them registered (``Stack.register_patients``)."""
    return [patient for _, n, conversation in _numbered(rounds, conversations)
            for patient in conversation.patients(n)]


def run_conversations(say: Callable[[str, str], List[Dict[str, Any]]], rounds: int = 1,
                      conversations: Sequence[Conversation] = CONVERSATIONS) -> Dict[str, Any]:
    """Each conversation ``rounds`` times over ``say(sender, text)`` (the staff chat);
    its patients (:func:`patients_of`) must be registered."""
    times: List[float] = []
    results, silent, most_repeats = [], 0, 0
    for round_, n, conversation in _numbered(rounds, conversations):
        sender, replies, previous, repeats = f"bench-text-{time.time_ns()}-{n}", [], None, 0
        for text in conversation.turns(n):
            began = time.perf_counter()
            answer = say(sender, text)
            times.append(time.perf_counter() - began)
            texts = [m["text"] for m in answer if m.get("text")]
            silent += not texts and not any(m.get("custom") for m in answer)
            question = texts[-1] if texts else None
            repeats = repeats + 1 if question and question == previous else 1
            most_repeats = max(most_repeats, repeats)
            previous = question
            replies.append(texts)
        results.append({"conversation": conversation.name, "round": round_,
                        "ends_well": bool(conversation.ends_well(replies)),
                        "last_reply": replies[-1]})
    return {
        "conversations": len(results),
        "ended_well": sum(r["ends_well"] for r in results),
        "silent_turns": silent,
        "most_times_the_same_question_in_a_row": most_repeats,
        "turn_ms": latency(times),
        "results": results,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "text_chat.json")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", type=Path,
                        help="score the held-out sets only, with this model loaded in "
                             "process (e.g. the model of an earlier commit, for before/after)")
    args = parser.parse_args(argv)
    training = training_phrases()
    sets = {name: heldout_phrases(path, training) for name, path in HELDOUT_SETS.items()
            if path.is_file()}
    if args.model is not None:
        report = {"date": datetime.now().isoformat(timespec="seconds"),
                  "model": str(args.model),
                  **understanding_of_sets(in_process_parser(args.model), sets)}
        return write_report(report, args.out)
    from simulation.stack import running_stack

    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp), sqlite=True) as stack:
        stack.register_patients(patients_of(args.rounds))

        def parse(text: str) -> Dict[str, Any]:
            reply = requests.post(stack.api("/model/parse"), json={"text": text}, timeout=30)
            reply.raise_for_status()
            return reply.json()

        def say(sender: str, text: str) -> List[Dict[str, Any]]:
            reply = stack.staff_say(sender, text)
            reply.raise_for_status()
            return reply.json()

        report = {"date": datetime.now().isoformat(timespec="seconds"),
                  **understanding_of_sets(parse, sets),
                  "dialogue": run_conversations(say, args.rounds)}
    return write_report(report, args.out)


def understanding_of_sets(parse: Callable[[str], Dict[str, Any]],
                          sets: Dict[str, Dict[str, List[str]]]) -> Dict[str, Any]:
    """``understanding`` (our own set) and ``understanding_<name>`` for the others."""
    return {("understanding" if name == "own" else f"understanding_{name}"):
            understanding(parse, phrases) for name, phrases in sets.items()}


def in_process_parser(model: Path) -> Callable[[str], Dict[str, Any]]:
    """``/model/parse`` of ``model`` loaded here (intents: no Duckling needed)."""
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return lambda text: asyncio.run(agent.parse_message(text))


def write_report(report: Dict[str, Any], out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for key, u in report.items():
        if key.startswith("understanding"):
            print(f"{key}: {u['overall']['phrases']} phrases, {u['overall']['right']:.1%} right "
                  f"(book/move/cancel {u['book_move_cancel']['right']:.1%}, others "
                  f"{u['everything_else']['right']:.1%}), {u['overall']['unsure']:.1%} unsure, "
                  f"{u['overall']['wrong']:.1%} wrong")
    d = report.get("dialogue")
    if d:
        print(f"conversations: {d['ended_well']}/{d['conversations']} as they should, "
              f"{d['silent_turns']} silent turns, turn p50 {d['turn_ms']['p50_ms']} ms, p95 "
              f"{d['turn_ms']['p95_ms']} ms")
    print(f"→ {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
