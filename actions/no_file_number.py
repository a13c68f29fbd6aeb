"""A caller who does not have their file number.

Asked for it, « je ne l'ai pas », « je l'ai perdu », « je ne sais pas où le trouver »
does not get the same question again. What the clinic allows instead is in clinic.yml
(``security.identity_without_file_number``):

* ``name_and_phone``: the file is found by the last name, first name and phone number
  on it (one patient exactly). The check goes through the same lockout as the file
  number (:meth:`actions.form_validation.ClinicFormValidation.check_identity`): its
  subject is the file found, or, when none is, a key of the name and phone given, and
  the caller;
* ``none``: the reception is offered at once, and the form ends.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.ask_limit import LIMIT_OFFER, gave_up_outcome
from actions.clinic_service import clinic_operations
from actions.expected_answer import YES_NO, expecting
from spoken_french.normalize import plain_words, without_accents

NAME_AND_PHONE = "name_and_phone"
BY_NAME = (
    "D'accord, je peux retrouver votre dossier avec votre nom, votre prénom et votre "
    "numéro de téléphone."
)
NO_ALTERNATIVE = "Sans numéro de dossier, je ne peux pas retrouver votre dossier moi-même."
NOT_FOUND_BY_NAME = (
    "Je ne retrouve pas de dossier à ce nom avec ce numéro de téléphone. Reprenons."
)
_DOES_NOT_HAVE = re.compile(
    r"\b(?:je n ai pas|j ai pas|je ne l ai pas|je l ai pas|je n en ai pas|j en ai pas"
    r"|je ne l ai plus|je l ai plus|je n ai plus|j ai plus|je l ai perdu|j ai perdu"
    r"|je l ai oublie|j ai oublie|je ne le connais pas|je le connais pas|je ne sais pas"
    r"|je sais pas|sais pas|aucune idee|je ne m en souviens|je m en souviens pas"
    r"|je ne le trouve pas|je le trouve pas|je ne le retrouve pas|je le retrouve pas"
    r"|pas sur moi|pas de numero|c est quoi|ou est ce que je le trouve|ou le trouver"
    r"|quel numero de dossier|je ne l ai jamais eu|on ne m a jamais donne)\b"
)


def does_not_have_it(text: str) -> bool:
    """Whether an answer to the file number's question says the caller lacks it."""
    said = plain_words(text)
    return not re.search(r"\d", said) and _DOES_NOT_HAVE.search(said) is not None


def without_file_number(tracker: Tracker, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
    """The form's extraction when the file number is asked: the other way to find the
    file (said, and remembered in ``no_file_number``), the reception when the clinic
    has none, or nothing when the caller did not say they lack it."""
    if tracker.get_slot(slots.REQUESTED_SLOT) != slots.PATIENT_ID:
        return {}
    if not does_not_have_it((tracker.latest_message or {}).get("text") or ""):
        return {}
    if clinic_operations().config.security.identity_without_file_number == NAME_AND_PHONE:
        dispatcher.utter_message(text=BY_NAME)
        return {slots.NO_FILE_NUMBER: True}
    dispatcher.utter_message(text=f"{NO_ALTERNATIVE} {LIMIT_OFFER}", **expecting(YES_NO))
    return {slots.NO_FILE_NUMBER: True, slots.OUTCOME: gave_up_outcome(slots.PATIENT_ID)}


def identity_slots(tracker: Tracker) -> List[Text]:
    """The questions that identify the caller: the file number and the phone, or the
    names and the phone when the caller does not have the number."""
    if tracker.get_slot(slots.NO_FILE_NUMBER):
        return [slots.LAST_NAME, slots.FIRST_NAME, slots.PHONE_NUMBER]
    return [slots.PATIENT_ID, slots.PHONE_NUMBER]


def name_phone_subject(last_name: str, first_name: str, phone: str) -> str:
    """The lockout's subject for a name and phone that match no file (hashed by the
    failure ledger like a file number)."""
    return f"nom:{without_accents(last_name)}|{without_accents(first_name)}|{phone}"
