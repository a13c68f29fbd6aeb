"""Answers about the clinic itself: opening hours."""
from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic_config import WEEKDAYS, ClinicConfig, Period, clinic_config
from actions.spoken_french import say_list, say_time

_JOURS = {
    "monday": "lundi",
    "tuesday": "mardi",
    "wednesday": "mercredi",
    "thursday": "jeudi",
    "friday": "vendredi",
    "saturday": "samedi",
    "sunday": "dimanche",
}


def say_opening_hours(config: ClinicConfig) -> str:
    """The week's hours as short spoken sentences, grouping days with equal hours."""
    groups: List[Tuple[List[str], Tuple[Period, ...]]] = []
    for day in WEEKDAYS:
        periods = config.opening_hours[day]
        if groups and groups[-1][1] == periods:
            groups[-1][0].append(day)
        else:
            groups.append(([day], periods))
    open_parts, closed = [], []
    for days, periods in groups:
        if not periods:
            closed.extend(_JOURS[d] for d in days)
            continue
        when = _say_days(days)
        hours = say_list([f"de {say_time(p.start)} à {say_time(p.end)}" for p in periods])
        open_parts.append(f"{when} {hours}")
    sentences = [f"Le cabinet est ouvert {say_list(open_parts)}."]
    if closed:
        sentences.append(f"Il est fermé le {say_list(closed)}.")
    return " ".join(sentences)


def _say_days(days: List[str]) -> str:
    if len(days) == 1:
        return f"le {_JOURS[days[0]]}"
    return f"du {_JOURS[days[0]]} au {_JOURS[days[-1]]}"


class ActionTellOpeningHours(Action):
    def name(self) -> Text:
        return "action_tell_opening_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=say_opening_hours(clinic_config()))
        return []
