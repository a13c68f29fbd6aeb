"""Answers about the clinic itself, from clinic.yml: opening hours, and the questions
every caller asks (address, access, reception phone, what to bring, price, doctors).

Everything is said as short spoken French; a topic clinic.yml does not give is sent
to the reception.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic_action import ClinicAction, Events

from clinic.config import ClinicConfig, Doctor, clinic_config
from clinic.config_file import WEEKDAYS, Period
from actions.latest_message import latest_intent
from spoken_french.say import say_list, say_phone, say_time

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


class ActionTellOpeningHours(ClinicAction):
    action_name = "action_tell_opening_hours"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        dispatcher.utter_message(text=say_opening_hours(clinic_config()))
        return []


# ----------------------------------------------------------------------- FAQ

NOT_CONFIGURED = "Je n'ai pas cette information. L'accueil pourra vous renseigner."
PRICE_NOT_CONFIGURED = "Pour le tarif, je vous invite à demander à l'accueil."
TOPICS = (
    "Je peux vous donner l'adresse du cabinet, comment y venir, le numéro de l'accueil, "
    "ce qu'il faut apporter, le tarif d'une consultation et les médecins qui y consultent."
)

# How a specialty is said of one doctor and of several; others: "exerce en <specialty>".
_SPECIALTY_PHRASES = {
    "médecine générale": ("fait de la médecine générale", "font de la médecine générale"),
    "pédiatrie": ("est pédiatre", "sont pédiatres"),
}


def _sentence(text: str) -> str:
    """``text`` with a capital first letter and a final full stop."""
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def say_address(config: ClinicConfig) -> str:
    address = config.practical.address
    if not address:
        return NOT_CONFIGURED
    where = f"au {address}" if address[0].isdigit() else address
    return f"Le cabinet se trouve {where}."


def say_access(config: ClinicConfig) -> str:
    access = config.practical.access
    if not access:
        return NOT_CONFIGURED
    return " ".join(_sentence(part) for part in access.split(";") if part.strip())


def say_reception_phone(config: ClinicConfig) -> str:
    number = say_phone(config.reception_phone)
    return f"Le numéro de l'accueil est le {number}. Je répète : {number}."


def say_what_to_bring(config: ClinicConfig) -> str:
    what = config.practical.what_to_bring
    return f"Pensez à apporter {what}." if what else NOT_CONFIGURED


def say_price(config: ClinicConfig) -> str:
    price = config.practical.consultation_price
    return f"Une consultation coûte {price}." if price else PRICE_NOT_CONFIGURED


def _full_name(doctor: Doctor) -> str:
    """ "la docteure Claire Martin"."""
    article = "la" if doctor.title == "docteure" else "le"
    return f"{article} {doctor.title} {doctor.first_name} {doctor.last_name}"


def say_doctors(config: ClinicConfig) -> str:
    """Who does what, one clause per specialty in the order of clinic.yml."""
    by_specialty: Dict[str, List[Doctor]] = {}
    for doctor in config.doctors:
        by_specialty.setdefault(doctor.specialty, []).append(doctor)
    clauses = []
    for specialty, doctors in by_specialty.items():
        one, several = _SPECIALTY_PHRASES.get(
            specialty.lower(), (f"exerce en {specialty}", f"exercent en {specialty}")
        )
        names = say_list(_full_name(d) for d in doctors)
        clauses.append(f"{names} {one if len(doctors) == 1 else several}")
    return _sentence(" ; ".join(clauses))


FAQ_INTENTS = {
    "ask_address": say_address,
    "ask_access": say_access,
    "ask_clinic_phone": say_reception_phone,
    "ask_what_to_bring": say_what_to_bring,
    "ask_price": say_price,
    "ask_doctors": say_doctors,
}


class ActionAnswerClinicQuestion(ClinicAction):
    """Answers the latest FAQ question; the rules then ask "autre chose ?" or, in a
    form, let the form ask its question again."""

    action_name = "action_answer_clinic_question"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        say = FAQ_INTENTS.get(latest_intent(tracker))
        dispatcher.utter_message(text=say(clinic_config()) if say else TOPICS)
        return []
