"""The review tab: what callers said that the bot was unsure of (the same candidates as
``make review``, from :mod:`nlu_review`), masked, and the queue of staff corrections.

Assigning an intent appends the masked example, under that intent, to the queue file
(``review/staff_queue.yml``, Rasa NLU YAML); ``make add-reviewed`` adds it to
``data/nlu/reviewed.yml`` with the rest of the review, and ``make train`` retrains.
Nothing is written for an intent the domain does not have.
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from nlu_review.__main__ import domain_intents
from nlu_review.candidates import DEFAULT_THRESHOLD, read_candidates
from nlu_review.masking import mask

QUEUE_HEADER = ('version: "3.1"\n# Corrections made in the staff console, added to the '
                "training data by `make add-reviewed`.\nnlu:\n")
_LOCK = threading.Lock()


class ReviewRefused(ValueError):
    """The correction cannot be queued; the message says why, in French, and ``status``
    is the HTTP status to answer with."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def _key(text: str) -> str:
    return hashlib.sha256(" ".join(text.casefold().split()).encode("utf-8")).hexdigest()[:16]


def candidates(tracker_store_url: str, days: float, queue: Path,
               threshold: float = DEFAULT_THRESHOLD, now: Optional[float] = None) -> List[Dict]:
    """The masked, de-duplicated messages to review, newest first, each with a key."""
    queued = {_key(text) for _intent, text in queued_examples(queue)}
    grouped: Dict[str, Dict] = {}
    for candidate in read_candidates(tracker_store_url, days, threshold, now=now):
        text = " ".join(mask(candidate.text).split())
        key = _key(text)
        entry = grouped.setdefault(key, {"key": key, "text": text, "count": 0})
        entry.update(intent=candidate.intent, confidence=round(candidate.confidence, 2),
                     reason=candidate.reason, at=candidate.timestamp, queued=key in queued)
        entry["count"] += 1
    return sorted(grouped.values(), key=lambda e: e["at"], reverse=True)


def queued_examples(queue: Path) -> List[tuple]:
    if not queue.is_file():
        return []
    data = yaml.safe_load(queue.read_text(encoding="utf-8")) or {}
    found = []
    for entry in data.get("nlu") or []:
        for line in str(entry.get("examples") or "").splitlines():
            text = line.strip()[1:].strip() if line.strip().startswith("-") else ""
            if text:
                found.append((entry.get("intent"), text))
    return found


def queue_correction(queue: Path, tracker_store_url: str, days: float, key: str,
                     intent: str, now: Optional[float] = None) -> Dict:
    """Queue the candidate ``key`` under ``intent``; what was queued."""
    if intent not in domain_intents():
        raise ReviewRefused("Intention inconnue du domaine de l'assistant.")
    found = next((c for c in candidates(tracker_store_url, days, queue, now=now)
                  if c["key"] == key), None)
    if found is None:
        raise ReviewRefused("Message introuvable (purgé, ou hors de la période affichée).", 404)
    if found["queued"]:
        raise ReviewRefused("Ce message est déjà dans la file de réentraînement.", 409)
    text = found["text"].replace("\n", " ")
    block = f"- intent: {intent}\n  examples: |\n    - {text}\n"
    with _LOCK:
        queue.parent.mkdir(parents=True, exist_ok=True)
        if not queue.exists():
            queue.write_text(QUEUE_HEADER, encoding="utf-8")
        with queue.open("a", encoding="utf-8") as out:
            out.write(block)
    return {"key": key, "intent": intent, "text": text}
