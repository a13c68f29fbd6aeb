"""Reading a time answer inside a form: Duckling's entity, offers, the doctor.

Shared by booking (``booking_time``) and moving (``new_time``): both accept an
exact time, a day, a part of a day, or a pick among the slots just offered.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import slots
from clinic.operations import ClinicOperations
from actions.clinic_service import run_blocking
from actions.duckling_client import DucklingUnavailable, first_time_entity, parse_times
from actions.time_entities import wished_time_from_entity
from actions.time_wishes import TimeWishes, read_wishes
from actions.time_wish import (
    Resolution,
    nearest_offers,
    resolve_time_wish,
    slot_from_value,
    slot_to_value,
)

logger = logging.getLogger(__name__)

DATES_UNAVAILABLE = (
    "Je suis désolé, je ne parviens pas à lire les dates pour le moment. "
    "Vous pouvez rappeler un peu plus tard, ou demander à parler à quelqu'un."
)
CALENDAR_UNAVAILABLE = (
    "Je suis désolé, l'agenda du cabinet ne répond pas pour le moment. "
    "Rien n'a été modifié. Vous pouvez réessayer dans un instant, "
    "ou demander à parler à quelqu'un."
)
NOT_UNDERSTOOD = "Je n'ai pas compris le jour et l'heure."


class ServiceDown(Exception):
    """Duckling or the database failed; ``message`` is what the caller hears."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def offered_slots(tracker: Tracker) -> List:
    return [slot_from_value(v) for v in tracker.get_slot(slots.OFFERED_SLOTS) or []]


async def resolve_time_answer(
    operations: ClinicOperations,
    tracker: Tracker,
    doctor_id: Optional[str],
    exclude=None,
) -> Resolution:
    """Resolve the latest message as a time answer; :class:`ServiceDown` on outage."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    now = operations.now()
    timezone = str(operations.config.timezone)
    offered = offered_slots(tracker)
    entity = first_time_entity(_without_number_spans(message.get("entities") or []))
    duckling_down = False
    if entity is None and text.strip() and not _has_number_entity(message):
        try:
            entity = first_time_entity(await run_blocking(parse_times, text, now, timezone))
        except DucklingUnavailable:
            logger.error("Duckling is unreachable")
            duckling_down = True
    wish = wished_time_from_entity(entity, timezone, now=now) if entity else None
    before = TimeWishes.from_slot(tracker.get_slot(slots.TIME_WISHES))
    wishes = read_wishes(before, text, _all_wished_times(message, entity, timezone, now))
    try:
        resolution = await run_blocking(
            resolve_time_wish, operations, text, wish, offered, doctor_id, exclude,
            wishes if wishes != before or wish is not None else None,
        )
    except SQLAlchemyError:
        logger.exception("calendar query failed")
        raise ServiceDown(CALENDAR_UNAVAILABLE) from None
    if duckling_down and resolution.chosen is None:
        raise ServiceDown(DATES_UNAVAILABLE)  # a pick among offers still works without it
    resolution.wishes = wishes.to_slot()
    return resolution


def _all_wished_times(message: Dict[str, Any], parsed: Optional[Dict[str, Any]], timezone: str,
                      now) -> List:
    """Every usable time entity of the message (not the digits of a number), or the one
    Duckling read from its text."""
    entities = [e for e in _without_number_spans(message.get("entities") or [])
                if e.get("entity") == "time"] or ([parsed] if parsed else [])
    wished = (wished_time_from_entity(e, timezone, now=now) for e in entities)
    return [w for w in wished if w is not None]


_NUMBER_ENTITIES = ("phone_number", "patient_id")


def _has_number_entity(message: Dict[str, Any]) -> bool:
    return any(e.get("entity") in _NUMBER_ENTITIES for e in message.get("entities") or [])


def _without_number_spans(entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Drop time entities that are really a phone number or an ID read as a date
    (Duckling reads "06 12 34" as 6 December 2034)."""
    numbers = [e for e in entities if e.get("entity") in _NUMBER_ENTITIES]
    return [
        e
        for e in entities
        if not any(e.get("start", 0) < n.get("end", 0) and n.get("start", 0) < e.get("end", 0) for n in numbers)
    ]


def time_answer_events(
    resolution: Resolution, slot: str, dispatcher: CollectingDispatcher
) -> Optional[Dict[Text, Any]]:
    """Slot values for a resolution that chose, offered or explained; None when not
    understood (the caller counts that as a failure)."""
    if resolution.chosen is not None:
        return {
            slot: resolution.chosen.start.isoformat(),
            slots.CHOSEN_SLOT: slot_to_value(resolution.chosen),
            slots.OFFERED_SLOTS: [],
        }
    if not resolution.understood or not (resolution.offers or resolution.explanation):
        return None
    if resolution.explanation:
        dispatcher.utter_message(text=resolution.explanation)
    return {
        slot: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: [slot_to_value(s) for s in resolution.offers],
    }


async def offers_after_conflict(
    operations: ClinicOperations, wished, doctor_id: Optional[str], exclude=None
) -> List[Dict[str, Any]]:
    """The nearest free slots to offer when a chosen time was lost at writing time."""
    try:
        nearest = await run_blocking(
            nearest_offers, operations, max(wished, operations.now()), doctor_id, exclude
        )
    except SQLAlchemyError:
        logger.exception("calendar query failed")
        return []
    return [slot_to_value(s) for s in nearest]
