"""The review file a person corrects, and adding what they corrected to the training data.

:func:`write_review` writes the candidates, masked and de-duplicated (case and spacing
aside), as Rasa NLU YAML: one entry per message, under the intent the bot predicted,
with a comment saying how sure it was, why it is there and how often it was said. The
reviewer changes ``intent:`` where the bot was wrong and deletes what is not worth
learning. :func:`add_reviewed` appends the entries to ``data/nlu/reviewed.yml``, after
checking each intent exists in the domain, masking them again (a reviewer may have typed
or pasted one) and skipping examples the training data already has; ``make train`` then
retrains.
"""
from __future__ import annotations

import datetime
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

import yaml

from nlu_review.candidates import Candidate
from nlu_review.masking import mask

HEADER = """\
# Messages the assistant was unsure about, from real conversations ({days} days up to {date}).
# Personal data is masked (digits are zeros, spoken numbers « zéro », names replaced). For each entry, set the
# right intent on the `- intent:` line, or delete the entry; then `make add-reviewed`.
# Intents: {intents}
version: "3.1"
nlu:
"""


class ReviewError(ValueError):
    """The review file cannot be added as it is (the message says what to fix)."""


def write_review(candidates: Iterable[Candidate], path: Path, days: float,
                 intents: List[str]) -> int:
    """Write the review file; the number of distinct messages in it."""
    grouped: "OrderedDict[str, Dict]" = OrderedDict()
    for candidate in candidates:
        text = " ".join(mask(candidate.text).split())
        key = text.casefold()
        entry = grouped.setdefault(key, {"text": text, "count": 0, "candidate": candidate})
        entry["count"] += 1
        entry["candidate"] = candidate  # the latest prediction
    lines = [HEADER.format(days=f"{days:g}", date=datetime.date.today().isoformat(),
                           intents=", ".join(intents))]
    for entry in grouped.values():
        candidate = entry["candidate"]
        lines.append(f"# predicted {candidate.intent} ({candidate.confidence:.2f}), "
                     f"{candidate.reason}, said {entry['count']} time(s)\n")
        lines.append(f"- intent: {candidate.intent}\n  examples: |\n"
                     f"    - {_one_line(entry['text'])}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")
    return len(grouped)


def add_reviewed(review: Path, target: Path, intents: Iterable[str],
                 training_files: Iterable[Path]) -> Tuple[int, int]:
    """Append the review's examples to ``target``: (added, already known)."""
    data = yaml.safe_load(review.read_text(encoding="utf-8")) or {}
    known_intents = set(intents)
    entries = data.get("nlu") or []
    wanted: List[Tuple[str, str]] = []
    for number, entry in enumerate(entries, 1):
        intent = (entry or {}).get("intent")
        if intent not in known_intents:
            raise ReviewError(f"entry {number}: intent {intent!r} is not in domain.yml")
        for example in _examples(entry.get("examples")):
            wanted.append((intent, _one_line(mask(example))))  # again: it may be edited by hand
    known = _known_examples(training_files)
    new: "OrderedDict[str, List[str]]" = OrderedDict()
    skipped = 0
    for intent, example in wanted:
        if example.casefold() in known:
            skipped += 1
            continue
        known.add(example.casefold())
        new.setdefault(intent, []).append(example)
    if new:
        _append(target, new)
    return sum(len(v) for v in new.values()), skipped


def _append(target: Path, new: Dict[str, List[str]]) -> None:
    if not target.exists():
        target.write_text('version: "3.1"\n\n# Phrases from real conversations, reviewed by a '
                          "person (make review, make add-reviewed).\nnlu:\n", encoding="utf-8")
    with target.open("a", encoding="utf-8") as out:
        for intent, examples in new.items():
            out.write(f"- intent: {intent}\n  examples: |\n")
            out.writelines(f"    - {_one_line(e)}\n" for e in examples)


def _examples(block) -> List[str]:
    lines = str(block or "").splitlines()
    return [line.strip()[1:].strip() for line in lines
            if line.strip().startswith("-") and line.strip()[1:].strip()]


def _known_examples(files: Iterable[Path]) -> Set[str]:
    known: Set[str] = set()
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in data.get("nlu") or []:
            if isinstance(entry, dict) and "intent" in entry:
                known.update(e.casefold() for e in _examples(entry.get("examples")))
    return known


def _one_line(text: str) -> str:
    return " ".join(text.split())
