"""The new time of a move, said in the request, before the appointment is chosen.

« Je voudrais avancer mon rendez-vous de vendredi à mercredi 10 heures », « vous pouvez
le mettre mardi prochain vers 15 h ? »: the new time comes before the bot knows which
appointment moves (identity first), and the same sentence may also name the old one
(« de vendredi »). The words after the moving verb that speak of the new day are read
as time wishes (:mod:`actions.time_wishes`) and kept in ``time_wishes``; once the
appointment is chosen, the calendar is searched with them, so the caller hears the
nearest offers (or the read-back of a free slot) instead of « À quelle date … ? ».
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import slots
from actions.clinic_service import clinic_operations, run_blocking
from actions.duckling_client import DucklingUnavailable, parse_times
from actions.doctors import preferred_doctor_id
from actions.time_answers import time_answer_events
from actions.time_entities import wished_time_from_entity
from actions.time_wish import search_wishes
from actions.time_wishes import TimeWishes, read_wishes, speaks_of_a_day
from spoken_french.normalize import plain_words

logger = logging.getLogger(__name__)

_MOVING_VERB = re.compile(
    r"\b(?:deplac|decal|report|repouss|avanc|recul|chang|modifi|boug|transfer)\w*"
    r"|\b(?:mettre|mettez|mets|passer|passez|caler|calez)\b"
)
_OBJECT = re.compile(
    r"^(?:(?:le|la|l|me|moi|nous|vous|mon|ma|notre|votre|ce|cet|cette)\s+)*"
    r"(?:rendez vous|rdv|consultation|visite|rendez vous medical)?\s*"
)
_FROM_TO = re.compile(r"^(?:de|du|d)\s+(.+?)\s+(?:a|au|pour)\s+(.+)$")
_FROM_ONLY = re.compile(r"^(?:de|du|d)\s")

# While these are asked, the answer is not the request (digits, a pick, a yes/no).
_NOT_DURING = (slots.NEW_TIME, slots.RESCHEDULE_CONFIRMED, slots.APPOINTMENT_ID)


def new_time_words(text: str) -> Optional[str]:
    """The words of a move request that speak of the new day (plain words), or None:
    « avancer mon rendez-vous de vendredi à mercredi 10 heures » → « mercredi 10
    heures »; « décaler mon rendez-vous de demain » → None (only the old one)."""
    said = plain_words(text)
    verbs = list(_MOVING_VERB.finditer(said))
    if not verbs:
        return None
    rest = _OBJECT.sub("", said[verbs[-1].end():].strip(), count=1).strip()
    from_to = _FROM_TO.match(rest)
    if from_to:
        rest = from_to.group(2)
    elif _FROM_ONLY.match(rest):
        return None
    rest = re.sub(r"^(?:au )?(?=\d+(?:er)?\b(?!\s*(?:h|heures?)\b))", "le ", rest)  # « du 3 au 7 » → « le 7 »
    return rest if rest and speaks_of_a_day(rest) else None


async def remember_new_time(tracker: Tracker) -> Dict[Text, Any]:
    """``{time_wishes: …}`` when the latest message states the new time before it is
    asked and before any is chosen; else nothing."""
    if tracker.get_slot(slots.REQUESTED_SLOT) in _NOT_DURING or tracker.get_slot(slots.NEW_TIME):
        return {}
    words = new_time_words((tracker.latest_message or {}).get("text") or "")
    if words is None:
        return {}
    operations = clinic_operations()
    timezone = str(operations.config.timezone)
    now = operations.now()
    try:
        entities = await run_blocking(parse_times, words, now, timezone)
    except DucklingUnavailable:
        logger.error("Duckling is unreachable: the new time said in the request is not kept")
        return {}
    wished = [w for w in (wished_time_from_entity(e, timezone, now=now) for e in entities) if w]
    if not wished:
        return {}
    wishes = read_wishes(TimeWishes(), words, wished)
    return {slots.TIME_WISHES: wishes.to_slot()} if wishes.day else {}


async def offer_remembered_time(
    dispatcher: CollectingDispatcher, tracker: Tracker, current: Dict[str, Any]
) -> Dict[Text, Any]:
    """Once the appointment to move is chosen (``current``) and the new time has not been
    asked yet: the slot said in the request (``new_time`` and ``chosen_slot``), or the
    offers that fit it (said when the new time is asked), with the reason when it was
    refused."""
    if tracker.get_slot(slots.REQUESTED_SLOT) in _NOT_DURING or tracker.get_slot(slots.NEW_TIME):
        return {}
    if tracker.get_slot(slots.OFFERED_SLOTS):
        return {}
    wishes = TimeWishes.from_slot(tracker.get_slot(slots.TIME_WISHES))
    if not wishes.day:
        return {}
    operations = clinic_operations()
    doctor_id = preferred_doctor_id(operations, tracker) or current["doctor_id"]
    try:
        resolution = await run_blocking(
            search_wishes, operations, wishes, None, doctor_id,
            datetime.fromisoformat(current["start"]),
        )
    except SQLAlchemyError:  # the new time is asked as usual
        logger.exception("calendar query failed")
        return {}
    return time_answer_events(resolution, slots.NEW_TIME, dispatcher) or {}
