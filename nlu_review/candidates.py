"""The user messages worth a person's review, read from Rasa's SQL tracker store.

A message is a candidate when its intent confidence was under ``threshold``, when the
NLU fell back (``nlu_fallback``) or the bot answered it with a fallback action, or when
the conversation was handed to the front desk right after it. Messages that answered a
question for personal data (names, patient ID, phone number) are left out: they are not
intent examples and they are the caller's data. So are the messages channels inject
(``/session_start``, ``/greet``).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

from sqlalchemy import MetaData, Table, create_engine, inspect, select

PERSONAL_SLOTS = frozenset({"last_name", "first_name", "patient_id", "phone_number"})
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback",
                              "utter_default", "utter_ask_rephrase"})
HANDOFF_ACTIONS = frozenset({"action_handoff"})
DEFAULT_THRESHOLD = 0.6


@dataclass(frozen=True)
class Candidate:
    text: str
    intent: str
    confidence: float
    reason: str  # "fallback", "handoff" or "low confidence"
    timestamp: float


def read_candidates(tracker_store_url: str, days: float,
                    threshold: float = DEFAULT_THRESHOLD,
                    now: Optional[float] = None) -> List[Candidate]:
    """The candidates of the last ``days`` days, oldest first (empty without a store)."""
    engine = create_engine(tracker_store_url, hide_parameters=True, future=True)
    try:
        if not inspect(engine).has_table("events"):
            return []
        events = Table("events", MetaData(), autoload_with=engine)
        since = (now if now is not None else time.time()) - days * 86400
        query = (select(events.c.sender_id, events.c.data)
                 .where(events.c.timestamp >= since)
                 .order_by(events.c.sender_id, events.c.timestamp, events.c.id))
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    finally:
        engine.dispose()
    found: List[Candidate] = []
    conversation: List[Dict] = []
    sender = None
    for row_sender, data in rows:
        if row_sender != sender:
            found.extend(_in_conversation(conversation, threshold))
            conversation, sender = [], row_sender
        try:
            conversation.append(json.loads(data))
        except (TypeError, ValueError):
            continue
    found.extend(_in_conversation(conversation, threshold))
    return sorted(found, key=lambda c: c.timestamp)


def _in_conversation(events: List[Dict], threshold: float) -> Iterator[Candidate]:
    requested: Optional[str] = None
    pending: Optional[Dict] = None  # the last user message and what we know of it
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind == "active_loop" and not event.get("name"):
            requested = None
        elif kind == "user":
            if pending is not None:
                yield from _judged(pending, threshold)
            pending = _user_message(event, requested)
        elif kind == "action" and pending is not None:
            name = event.get("name")
            if name in FALLBACK_ACTIONS:
                pending["reason"] = pending["reason"] or "fallback"
            elif name in HANDOFF_ACTIONS:
                pending["reason"] = pending["reason"] or "handoff"
    if pending is not None:
        yield from _judged(pending, threshold)


def _user_message(event: Dict, requested: Optional[str]) -> Optional[Dict]:
    text = (event.get("text") or "").strip()
    if not text or text.startswith("/") or requested in PERSONAL_SLOTS:
        return None
    parse_data = event.get("parse_data") or {}
    intent = parse_data.get("intent") or {}
    fell_back = (intent.get("name") or "nlu_fallback") == "nlu_fallback"
    # After a fallback, the intent the classifier liked best is the useful guess.
    best = next((r for r in parse_data.get("intent_ranking") or []
                 if r.get("name") and r.get("name") != "nlu_fallback"), intent)
    return {"text": text, "intent": best.get("name") or "nlu_fallback",
            "confidence": float(best.get("confidence") or 0.0),
            "timestamp": float(event.get("timestamp") or 0.0),
            "reason": "fallback" if fell_back else None}


def _judged(message: Optional[Dict], threshold: float) -> Iterator[Candidate]:
    if message is None:
        return
    reason = message["reason"] or ("low confidence" if message["confidence"] < threshold else None)
    if reason:
        yield Candidate(message["text"], message["intent"], message["confidence"], reason,
                        message["timestamp"])
