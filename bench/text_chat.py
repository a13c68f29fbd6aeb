"""The text benchmark: how well the running assistant understands colloquial French,
and how it holds a typed conversation, on the real stack.

Usage: ``python bench/text_chat.py [--out bench/results/text_chat.json] [--rounds 3]``
(``--model PATH``: the held-out sets only, parsed by that model loaded in process, for
before/after figures) starts the stack (``simulation.stack.running_stack``, SQLite, a
fresh database), then:

* **understanding** (:mod:`simulation.understanding`): every phrase of the two held-out
  sets goes through Rasa's ``/model/parse``: ``bench/data/heldout_phrases.yml`` (written
  for this bench: it catches regressions) and ``bench/data/public_heldout.yml`` (taken
  from public corpora, never written nor tuned on here: it measures quality; sources
  and licences in ``bench/data/SOURCES.md``). Neither is in ``data/nlu/``: the bench
  refuses to run if one is. Each phrase is *right*, *unsure* (``nlu_fallback``: the
  caller is asked to rephrase) or *wrong* (another intent: the bot would act on it);
* **conversations** (:mod:`simulation.dialogue_checks`): the scripted conversations of
  :data:`~simulation.dialogue_checks.CONVERSATIONS` (those of issue #13: « autre chose ? »
  → « oui », a date too far ahead said again and again, an overseas mobile, a first name
  that sounds like a request, « il faut que je me casse », the clinic's address) over
  the staff chat, ``--rounds`` times each. For every turn: its time, whether it got an
  answer, and how many times in a row the bot asked the same question; for every
  conversation: whether it ended as it should.

Median and p95 of the turn times, per-intent accuracy and the conversations' results
go to ``bench/results/text_chat.json``. The patients the conversations give the
identity of are registered first (:func:`~simulation.dialogue_checks.patients_of`):
clinic.yml books registered patients only.
:func:`~simulation.dialogue_checks.run_conversations` is also run by
``tests/e2e/test_stack_e2e.py`` against its own stack.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.dialogue_checks import patients_of, run_conversations  # noqa: E402
from simulation.understanding import (  # noqa: E402
    HELDOUT_SETS, heldout_phrases, training_phrases, understanding_of_sets)


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
