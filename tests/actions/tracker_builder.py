"""Real ``rasa_sdk.Tracker`` objects, the real domain, and actions run as Rasa runs them.

Like RasaHQ/financial-demo's ``Tracker.from_dict`` fixtures and covidflow's
form_test_helper, but for this project's domain:

* :func:`make_tracker` builds the tracker the action server receives. For a form's
  validation, Rasa (``FormAction.validate_slots``) sends a tracker whose events end
  with one ``SlotSet`` per slot the latest message filled, after the user event,
  and whose ``slots`` already hold those candidate values; rasa_sdk validates
  exactly those (``Tracker.slots_to_validate()``). Pass them as ``filled``.
* :func:`run_form_validation` runs a ``FormValidationAction`` through its public
  ``run`` (extraction, validation, next requested slot) and returns the ``SlotSet``
  events as a ``{slot: value}`` dict.
* :func:`time_entity` and :func:`interval_entity` build Duckling ``time`` entities
  in the shape Rasa's ``DucklingEntityExtractor`` puts in ``latest_message``.

The fixtures that go with them (``domain``, ``dispatcher``, ``duckling_server``,
``duckling`` / ``duckling_down``, ``operations``) are in ``tests/conftest.py``.
"""
from __future__ import annotations

import copy
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions import slots as slot_names
from clinic.operations import PatientDetails

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SENDER_ID = "test-caller"
# A port nothing listens on: requests to it are refused at once.
CLOSED_URL = "http://127.0.0.1:9"

_DOMAIN_CACHE: Dict[str, Any] = {}


# ----------------------------------------------------------------------- domain


def load_domain() -> Dict[str, Any]:
    """The real domain as the action server receives it (``Domain.as_dict()``).

    Loaded once per process; each call returns a copy that tests may change.
    """
    if "domain" not in _DOMAIN_CACHE:
        from rasa.shared.core.domain import Domain

        with warnings.catch_warnings():
            # Rasa 3's generic notice that slot auto-fill is gone, given for any domain.
            warnings.filterwarnings("ignore", message="Slot auto-fill has been removed")
            _DOMAIN_CACHE["domain"] = Domain.load(str(PROJECT_ROOT / "domain.yml")).as_dict()
    return copy.deepcopy(_DOMAIN_CACHE["domain"])


def domain_slot_names() -> List[str]:
    return list(load_domain()["slots"])


def new_dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


# ----------------------------------------------------------------------- events


def user_event(
    text: str,
    intent: str = "inform",
    entities: Optional[List[Dict[str, Any]]] = None,
    confidence: float = 1.0,
    metadata: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """A ``user`` event as Rasa sends it (``parse_data`` holds the NLU result).

    ``metadata`` is the channel's message metadata (e.g. ``caller_key``): Rasa keeps
    it on the event and in its ``parse_data`` (see :func:`make_tracker`).
    """
    event = UserUttered(text, parse_data=parse_data(text, intent, entities, confidence, metadata))
    if metadata is not None:
        event["metadata"] = dict(metadata)
    return event


def bot_event(text: str) -> Dict[str, Any]:
    return BotUttered(text)


def action_event(name: str) -> Dict[str, Any]:
    return ActionExecuted(name)


def parse_data(
    text: str,
    intent: str = "inform",
    entities: Optional[List[Dict[str, Any]]] = None,
    confidence: float = 1.0,
    metadata: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    data = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": list(entities or []),
    }
    if metadata is not None:
        data["metadata"] = dict(metadata)
    return data


# ----------------------------------------------------------------------- tracker


def make_tracker(
    slots: Optional[Dict[str, Any]] = None,
    text: str = "",
    intent: str = "inform",
    entities: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    requested_slot: Optional[str] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    filled: Optional[Dict[str, Any]] = None,
    confidence: float = 1.0,
    metadata: Optional[Dict[str, Any]] = None,
    sender_id: str = SENDER_ID,
) -> Tracker:
    """A real ``rasa_sdk.Tracker`` for the latest message ``text``.

    * ``slots``: values already in the conversation (every domain slot is present,
      None unless given; ``handoff_offered`` starts False as in the domain).
    * ``filled``: the slots the latest message filled (candidates to validate); they
      are set in ``slots`` too and appended as ``SlotSet`` events after ``events``.
    * ``events``: the conversation up to and including the latest user event; by
      default the form's activation, ``action_listen`` and the user event for
      ``text``/``intent``/``entities``.
    * ``metadata``: the channel's metadata of the latest message (``caller_key``...),
      on the user event and in ``latest_message``, as Rasa 3 sends both
      (``UserUttered.parse_data`` includes the event's metadata).
    * ``sender_id``: the conversation id.
    """
    values: Dict[str, Any] = {name: None for name in domain_slot_names()}
    values[slot_names.HANDOFF_OFFERED] = False
    values[slot_names.REQUESTED_SLOT] = requested_slot
    values.update(slots or {})
    values.update(filled or {})
    entities = list(entities or [])
    if events is None:
        events = []
        if active_loop:
            events.append(ActiveLoop(active_loop))
        if requested_slot:
            events.append(SlotSet(slot_names.REQUESTED_SLOT, requested_slot))
        events += [
            action_event("action_listen"),
            user_event(text, intent, entities, confidence, metadata),
        ]
    events = list(events) + [SlotSet(name, value) for name, value in (filled or {}).items()]
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": values,
            "latest_message": {
                **parse_data(text, intent, entities, confidence, metadata),
                "message_id": "m1",
            },
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


async def run_action(
    action: Action,
    tracker: Tracker,
    dispatcher: Optional[CollectingDispatcher] = None,
    domain: Optional[Dict[str, Any]] = None,
) -> List[Dict[str, Any]]:
    """The events ``action.run`` returns, exactly as the action server would send them."""
    return await action.run(dispatcher or new_dispatcher(), tracker, domain or load_domain())


async def run_form_validation(
    action: FormValidationAction,
    tracker: Tracker,
    dispatcher: Optional[CollectingDispatcher] = None,
    domain: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Run a form's validation action like Rasa does; its ``SlotSet`` events as a dict.

    Fails if the action returns anything but ``SlotSet`` events, or sets a slot twice.
    """
    events = await run_action(action, tracker, dispatcher, domain)
    result: Dict[str, Any] = {}
    for event in events:
        assert event["event"] == "slot", f"unexpected event {event}"
        assert event["name"] not in result, f"slot {event['name']} set twice: {events}"
        result[event["name"]] = event["value"]
    return result


def texts(dispatcher: CollectingDispatcher) -> List[Optional[str]]:
    """What the bot said: the text of each message, or the response's name."""
    return [m.get("text") or m.get("response") for m in dispatcher.messages]


# ----------------------------------------------------------------------- Duckling entities


def time_entity(text: str, iso: str, grain: str = "minute", start: int = 0) -> Dict[str, Any]:
    """A Duckling point in time as Rasa gives it ("jeudi à 10h30", grain minute)."""
    return {
        "entity": "time",
        "start": start,
        "end": start + len(text),
        "text": text,
        "value": iso,
        "confidence": 1.0,
        "additional_info": {
            "values": [{"value": iso, "grain": grain, "type": "value"}],
            "value": iso,
            "grain": grain,
            "type": "value",
        },
        "extractor": "DucklingEntityExtractor",
    }


def interval_entity(
    text: str, from_iso: Optional[str], to_iso: Optional[str], grain: str = "hour", start: int = 0
) -> Dict[str, Any]:
    """A Duckling interval as Rasa gives it ("demain matin": 04:00 to 12:00, grain hour)."""
    info: Dict[str, Any] = {"type": "interval"}
    value: Dict[str, Any] = {"to": to_iso, "from": from_iso}
    if to_iso:
        info["to"] = {"grain": grain, "value": to_iso}
    if from_iso:
        info["from"] = {"grain": grain, "value": from_iso}
    info["values"] = [dict(info)]
    return {
        "entity": "time",
        "start": start,
        "end": start + len(text),
        "text": text,
        "value": value,
        "confidence": 1.0,
        "additional_info": info,
        "extractor": "DucklingEntityExtractor",
    }


def paris(text: str) -> datetime:
    """A Paris wall-clock time in November/December 2026 (UTC+1)."""
    return datetime.fromisoformat(text + "+01:00")


def slot_value(start: str, doctor_id: str, minutes: int = 30) -> Dict[str, str]:
    """The ``chosen_slot`` / ``offered_slots`` value of a slot starting at ``start``."""
    begin = paris(start)
    return {
        "start": begin.isoformat(),
        "end": (begin + timedelta(minutes=minutes)).isoformat(),
        "doctor_id": doctor_id,
    }


# Two patients the form tests share.
MARIE = PatientDetails("482913", "Marie", "Dupont", "+33612345678")
BOB = PatientDetails("105577", "Bob", "Nguyen", "+33698765432")
