"""Calls and chats as staff see them, read from Rasa's SQL tracker store (``events``).

A conversation is one ``sender_id``: ``phone:`` (a call), ``web:`` (the patients' page),
``staff:`` (the staff chat). It is named here by the id of its first event, so that no
sender id (which a web client chooses) ever goes into a URL. Its outcome comes from its
events: the ``outcome`` slot the forms set (``booked``, ``moved``, ``cancelled``), the
``action_handoff`` action (transferred), the ``utter_emergency`` response (emergency);
a form started without any of these is abandoned, a conversation without a form is
« information ». Conversations older than the retention period (clinic.yml ``privacy``)
are not shown, as the purge will delete them. Every text is masked (:mod:`.masking`).

The audit journal names a conversation by :func:`conversation_ref`: its channel and a
keyed hash of its sender id, stable for as long as the conversation lives and after,
and never a number (a ``web:`` sender id is whatever the client chose).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, inspect, select
from sqlalchemy.engine import Engine

from clinic.identity_failures import subject_key
from conversation_names import channel_of
from staff_console.masking import mask_text

EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
OUTCOMES = ("emergency", "transferred", "booked", "moved", "cancelled", "abandoned", "information")
HANDOFF_ACTION = "action_handoff"
EMERGENCY_ACTION = "utter_emergency"
# Messages channels send by themselves (start of a call, end of a call), not the caller's.
INJECTED_PREFIXES = ("/session_start", "/greet")
DAY_S = 86400
REF_PREFIX, REF_CHARS = "staff-conversation\n", 20  # 80 bits of HMAC-SHA-256


class ConversationNotFound(LookupError):
    """No such conversation, or it is past the retention period."""


def conversation_ref(sender_id: str) -> str:
    """How the audit names a conversation: ``<channel>:<keyed hash>`` (no sender id)."""
    return f"{channel_of(sender_id)}:{subject_key(REF_PREFIX + sender_id)[:REF_CHARS]}"


@dataclass
class Summary:
    handle: int
    channel: str
    start: float
    end: float
    outcomes: List[str]
    user_turns: int
    ref: str

    @property
    def outcome(self) -> str:
        return self.outcomes[0]

    def as_dict(self) -> Dict:
        return {"id": self.handle, "channel": self.channel, "start": self.start,
                "duration_s": round(self.end - self.start, 1), "outcome": self.outcome,
                "outcomes": self.outcomes, "user_turns": self.user_turns, "ref": self.ref}


def _has_events(engine: Engine) -> bool:
    return inspect(engine).has_table("events")


def summaries(engine: Engine, retention_days: int, since: Optional[float] = None,
              until: Optional[float] = None, channel: Optional[str] = None,
              outcome: Optional[str] = None, now: Optional[float] = None,
              limit: int = 500) -> List[Summary]:
    """Conversations that started in ``[since, until)`` (default: the retention period),
    newest first, filtered by channel and outcome."""
    now = time.time() if now is None else now
    floor = now - retention_days * DAY_S
    since = max(since or floor, floor)
    if not _has_events(engine):
        return []
    spans = (select(EVENTS.c.sender_id, func.min(EVENTS.c.id).label("first"),
                    func.min(EVENTS.c.timestamp).label("start"),
                    func.max(EVENTS.c.timestamp).label("end"))
             .group_by(EVENTS.c.sender_id)
             .having(func.max(EVENTS.c.timestamp) >= floor)
             .having(func.min(EVENTS.c.timestamp) >= since))
    if until is not None:
        spans = spans.having(func.min(EVENTS.c.timestamp) < until)
    with engine.connect() as connection:
        found = {row.sender_id: row for row in connection.execute(spans)}
        if channel:
            found = {s: r for s, r in found.items() if channel_of(s) == channel}
        events = connection.execute(
            select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.action_name, EVENTS.c.data)
            .where(EVENTS.c.sender_id.in_(list(found)),
                   EVENTS.c.type_name.in_(("slot", "action", "user", "active_loop")))
            .order_by(EVENTS.c.id)).all() if found else []
    marks: Dict[str, Dict] = {s: {"outcomes": [], "form": False, "turns": 0} for s in found}
    for sender, kind, action, data in events:
        _mark(marks[sender], kind, action, data)
    result = []
    for sender, row in found.items():
        mark = marks[sender]
        outcomes = [o for o in OUTCOMES if o in mark["outcomes"]]
        if not outcomes:
            outcomes = ["abandoned" if mark["form"] else "information"]
        summary = Summary(row.first, channel_of(sender), row.start, row.end, outcomes,
                          mark["turns"], conversation_ref(sender))
        if outcome and outcome not in summary.outcomes:
            continue
        result.append(summary)
    result.sort(key=lambda s: s.start, reverse=True)
    return result[:limit]


def _mark(mark: Dict, kind: str, action: Optional[str], data: Optional[str]) -> None:
    if kind == "action":
        if action == HANDOFF_ACTION:
            mark["outcomes"].append("transferred")
        elif action == EMERGENCY_ACTION:
            mark["outcomes"].append("emergency")
        return
    event = _json(data)
    if kind == "user":
        if not (event.get("text") or "").startswith(INJECTED_PREFIXES):
            mark["turns"] += 1
    elif kind == "active_loop" and event.get("name"):
        mark["form"] = True
    elif kind == "slot" and event.get("name") == "outcome" and isinstance(event.get("value"), dict):
        mark["outcomes"].extend(k for k in ("booked", "moved", "cancelled") if event["value"].get(k))


def _json(data: Optional[str]) -> Dict:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def of_appointment(engine: Engine, appointment_id: int, retention_days: int,
                   now: Optional[float] = None) -> List[int]:
    """The conversations (handles) in which the assistant booked, moved or cancelled
    appointment ``appointment_id``, oldest first."""
    now = time.time() if now is None else now
    if not _has_events(engine):
        return []
    with engine.connect() as connection:
        rows = connection.execute(
            select(EVENTS.c.sender_id, EVENTS.c.data)
            .where(EVENTS.c.type_name == "slot", EVENTS.c.timestamp >= now - retention_days * DAY_S,
                   EVENTS.c.data.like(f"%{int(appointment_id)}%"))).all()
        senders = [sender for sender, data in rows if _names_appointment(_json(data), appointment_id)]
        if not senders:
            return []
        firsts = connection.execute(
            select(func.min(EVENTS.c.id)).where(EVENTS.c.sender_id.in_(set(senders)))
            .group_by(EVENTS.c.sender_id)).scalars().all()
    return sorted(firsts)


def _names_appointment(event: Dict, appointment_id: int) -> bool:
    value = event.get("value")
    return (event.get("name") == "outcome" and isinstance(value, dict)
            and any(value.get(k) == appointment_id for k in ("booked", "moved", "cancelled")))


def transcript(engine: Engine, handle: int, retention_days: int,
               now: Optional[float] = None) -> Dict:
    """The conversation named ``handle``, turn by turn, masked."""
    now = time.time() if now is None else now
    if not _has_events(engine):
        raise ConversationNotFound(handle)
    with engine.connect() as connection:
        sender = connection.execute(
            select(EVENTS.c.sender_id).where(EVENTS.c.id == handle)).scalar()
        if sender is None:
            raise ConversationNotFound(handle)
        rows = connection.execute(
            select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.action_name, EVENTS.c.timestamp,
                   EVENTS.c.data)
            .where(EVENTS.c.sender_id == sender).order_by(EVENTS.c.id)).all()
    if rows[0].id != handle or rows[-1].timestamp < now - retention_days * DAY_S:
        raise ConversationNotFound(handle)
    channel = channel_of(sender)
    turns = [turn for row in rows for turn in _turns(row)]
    return {"id": handle, "channel": channel, "conversation": mask_text(sender),
            "ref": conversation_ref(sender), "start": rows[0].timestamp, "turns": turns}


def _turns(row) -> Iterable[Dict]:
    at = row.timestamp
    if row.type_name == "session_started":
        yield {"who": "system", "at": at, "text": "Nouvelle session"}
    elif row.type_name == "action" and row.action_name == HANDOFF_ACTION:
        yield {"who": "system", "at": at, "text": "Transfert vers l'accueil"}
    elif row.type_name == "action" and row.action_name == EMERGENCY_ACTION:
        yield {"who": "system", "at": at, "text": "Urgence signalée (15 / 112)"}
    elif row.type_name == "bot":
        text = _json(row.data).get("text")
        if text:
            yield {"who": "bot", "at": at, "text": mask_text(text)}
    elif row.type_name == "user":
        yield from _user_turn(_json(row.data), at)


def _user_turn(event: Dict, at: float) -> Iterable[Dict]:
    text = event.get("text") or ""
    if text.startswith(INJECTED_PREFIXES):
        return
    metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
    intent = (event.get("parse_data") or {}).get("intent") or {}
    keypad = metadata.get("input") == "keypad"  # set by the phone call on typed digits
    turn = {"who": "user", "at": at, "text": mask_text(text), "keypad": keypad,
            "intent": intent.get("name"), "confidence": intent.get("confidence")}
    barge_in = metadata.get("barge_in")
    if isinstance(barge_in, dict):
        turn["barge_in"] = [
            {"text": mask_text(str(r.get("text") or "")),
             "heard_seconds": r.get("heard_seconds"), "seconds": r.get("seconds")}
            for r in barge_in.get("replies") or [] if isinstance(r, dict)]
    yield turn
