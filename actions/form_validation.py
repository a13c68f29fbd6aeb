"""What the three forms share: counting failed answers and checking who calls.

A wrong value gets a short explanation and the question again (the form asks
it), up to clinic.yml's limit per question; then the question is no longer asked
(see :mod:`actions.ask_limit`). Identity answers (name, patient ID, phone) are cleaned and checked here
the same way for booking, moving and cancelling: every failed check is counted in
the database against the patient ID and the caller (:func:`caller_key`), a locked
check is refused even with the right answers, and every mismatch gets the same
answer, :data:`IDENTITY_NOT_FOUND`, so that nobody learns whether an ID exists.
"""
from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from rasa_sdk.utils import call_potential_coroutine
from sqlalchemy.exc import SQLAlchemyError

from actions import slots
from actions.ask_limit import LIMIT_OFFER, ends_the_form, gave_up, gave_up_outcome
from actions.clinic_config import clinic_config
from actions.clinic_operations import ClinicOperations
from actions.clinic_service import clinic_operations, run_blocking
from actions.expected_answer import YES_NO, expecting
from actions.identity_failures import Attempt, FailureCount
from actions.no_file_number import NOT_FOUND_BY_NAME, name_phone_subject, without_file_number
from actions.stated_facts import stated_before_asked, without_phone
from spoken_french.hesitations import BEFORE_A_NAME
from spoken_french.spelling import spelled_word
from spoken_french.numbers import mask_patient_id, normalize_phone, parse_patient_id
from actions.time_answers import (
    CALENDAR_UNAVAILABLE,
    NOT_UNDERSTOOD,
    ServiceDown,
    resolve_time_answer,
    time_answer_events,
)
from actions.time_wish import slot_to_value

logger = logging.getLogger(__name__)

# Slots a form's ``extract_*`` methods set besides its questions' answers.
MEMORY_SLOTS = (slots.GOODBYE_WARNED, slots.NO_FILE_NUMBER, slots.OUTCOME)

# The one answer to every failed identity check, whether the ID exists or not.
IDENTITY_NOT_FOUND = (
    "Je ne retrouve pas de dossier avec ce numéro de dossier et ce téléphone. "
    "Reprenons."
)
IDENTITY_LOCKED = (
    "Pour votre sécurité, je ne peux plus vérifier ce dossier pour le moment. "
    "Dites « je veux parler à quelqu'un » et je vous passe l'accueil du cabinet."
)
CALLER_KEY = "caller_key"
STAFF_CALLER_PREFIX = "staff:"  # the staff chat's caller keys (voice_channel.staff_chat)
_NAME_LEAD_INS = re.compile(
    rf"^(?:{BEFORE_A_NAME}(?:\s+|$))*"
    r"(?:(?:je m'appelle|je m appelle|mon nom (?:de famille )?(?:c'est|est)|"
    r"mon prénom (?:c'est|est)|moi c'est|il s'agit de|c'est|nom|prénom)(?:\s+|$))?"
    r"(?:(?:madame|monsieur|mademoiselle|mme|mr)\b\.?\s*|m\.\s*)?",
    re.IGNORECASE,
)
_PAUSED_FILLERS = re.compile(r"^(?:(?:euh+|heu+|ben|bah|bon|alors|donc)\s*(?:\.{2,}|…|,)\s*)+",
                             re.IGNORECASE)
_ON_THE_LINE = re.compile(r"\s+(?:à l'appareil|au téléphone|au bout du fil|ici)$", re.IGNORECASE)
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+){0,3}$")


def caller_key(tracker: Tracker) -> str:
    """Who is calling, to count failed identity checks across conversations.

    The channel puts an opaque ``caller_key`` (a keyed hash of the caller's number,
    or of the web client's address) in the message metadata; Rasa gives it to the
    action server on the latest ``user`` event and in ``latest_message``. Without
    it, the conversation id stands for the caller.
    """
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            key = (event.get("metadata") or {}).get(CALLER_KEY)
            if key:
                return str(key)
            break
    key = ((tracker.latest_message or {}).get("metadata") or {}).get(CALLER_KEY)
    return str(key) if key else tracker.sender_id


def clean_name(text: Optional[str]) -> Optional[str]:
    """A person's name from an answer ("euh je m'appelle Dupont" -> "Dupont", "alors,
    Poirier" -> "Poirier", "Bernard Roux à l'appareil" -> "Bernard Roux")."""
    if not text:
        return None
    said = _PAUSED_FILLERS.sub("", text.strip())  # « ben... Martin »: not « Ben Martin »
    said = " ".join(re.sub(r"\.{2,}|…|[,;:!?]", " ", said).split()).rstrip(". ")
    said = _ON_THE_LINE.sub("", said)
    candidate = _NAME_LEAD_INS.sub("", said).strip()
    if not candidate or not _NAME.match(candidate) or len(candidate) > 60:
        return None
    return " ".join(
        "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
        for word in candidate.split()
    )


_OTHER_NAME = {slots.LAST_NAME: slots.FIRST_NAME, slots.FIRST_NAME: slots.LAST_NAME}


def answered_the_other_name(tracker: Tracker, slot: str, value: Any) -> bool:
    """Whether ``value`` for a name ``slot`` is in fact the whole answer to the other
    name's question. The domain maps the ``first_name`` and ``last_name`` entities
    whatever is asked, and DIET labels « Marie-Claire » a last name or « Michel » a
    first name: asked the first name, « Marie-Claire » must not replace the last name.
    (A full name, « Claire Durand », differs from each of its parts and still fills
    both.)"""
    if tracker.get_slot(slots.REQUESTED_SLOT) != _OTHER_NAME[slot]:
        return False
    said = clean_name((tracker.latest_message or {}).get("text"))
    return said is not None and clean_name(str(value or "")) == said


# Where a name said is the caller's (or corrects it); None: the request itself.
_NAME_QUESTIONS = (slots.LAST_NAME, slots.FIRST_NAME, slots.BOOKING_CORRECTION,
                   slots.BOOKING_CONFIRMED, None)
_INTRODUCES_A_NAME = re.compile(
    r"\b(?:je m'appelle|je m appelle|mon nom|mon prénom|nom de famille|moi c'est"
    r"|de la part de|madame|monsieur|mademoiselle)\b",
    re.IGNORECASE,
)
_DOCTOR_BEFORE = r"(?:docteur|docteure|dr\.?|médecin|medecin)\s+(?:\w+\s+)?"


def said_as_a_name(tracker: Tracker, slot: str, value: Any) -> bool:
    """Whether ``value``, a name the NLU found, was said as the caller's own name: a
    slot is filled only from words said in that role. Not a doctor's name (« avec le
    docteur Martin »), and, while another question is asked (the phone, the date),
    only in a sentence that introduces a name (« nonante-deux » is not a surname)."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    name = str(value or "").strip()
    if not name:
        return True
    if re.search(_DOCTOR_BEFORE + re.escape(name) + r"\b", text, re.IGNORECASE):
        return False
    doctors = [e.get("value") for e in message.get("entities") or [] if e.get("entity") == "doctor"]
    if any(str(d or "").strip().casefold().endswith(name.casefold()) for d in doctors):
        return False
    if tracker.get_slot(slots.REQUESTED_SLOT) in _NAME_QUESTIONS:
        return True
    return _INTRODUCES_A_NAME.search(text) is not None


def spelled_answer(tracker: Tracker, slot: str) -> Dict[Text, Any]:
    """A name spelled letter by letter when it is asked (« R, O, U, X »), whatever
    intent the NLU gave it (« R, O » reads like « OK »: ``affirm``)."""
    if tracker.get_slot(slots.REQUESTED_SLOT) != slot:
        return {}
    text = (tracker.latest_message or {}).get("text") or ""
    return {slot: text} if spelled_word(text) else {}


def value_before_the_answer(tracker: Tracker, slot: str) -> Any:
    """The value ``slot`` had before the latest user message."""
    events = list(tracker.events or [])
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    value = None
    for event in events[: users[-1] if users else len(events)]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value


class ClinicFormValidation(FormValidationAction, ABC):
    """Base of the forms' validation actions (not an action itself)."""

    @abstractmethod
    def name(self) -> Text:
        ...

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """rasa_sdk's loop over the slots set since the caller spoke, with two
        differences: a slot *emptied* since then (a change of form resets the old
        form's slots) is not an answer and is not validated, so a switch neither
        prints the new form's error lines nor answers its questions; and the form's
        own memory (:data:`MEMORY_SLOTS`, set by ``extract_*``) is kept."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        values: Dict[Text, Any] = {}
        for name, value in tracker.slots_to_validate().items():
            if name in MEMORY_SLOTS or (name in required and value is None):
                values[name] = value
                continue
            validate = getattr(self, f"validate_{name}", None) if name in required else None
            if validate is None:
                if name in required:
                    values[name] = value
                continue
            output = await call_potential_coroutine(validate(value, dispatcher, tracker, domain))
            values.update(output)
            tracker.slots.update(output)
        return [SlotSet(name, value) for name, value in values.items()]

    # -- failures --------------------------------------------------------------

    def fail(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        slot: str,
        explanation: str,
        extra: Optional[Dict[Text, Any]] = None,
        offer_person: bool = True,
    ) -> Dict[Text, Any]:
        """Reject ``slot``: explain and count. When that ends the form (clinic.yml's
        limit, :func:`actions.ask_limit.ends_the_form`), the explanation is followed by
        the offer of the reception (unless it already offers it: ``offer_person=False``)
        and the form stops (:meth:`next_requested_slot`)."""
        failures = dict(tracker.get_slot(slots.VALIDATION_FAILURES) or {})
        failures[slot] = failures.get(slot, 0) + 1
        values = {slot: None, slots.VALIDATION_FAILURES: failures, **(extra or {})}
        message, expect = explanation, {}
        if ends_the_form(slot, failures[slot]):
            expect = expecting(YES_NO)  # the reception is offered: « oui » transfers
            if offer_person:
                message = f"{explanation} {LIMIT_OFFER}"
            values[slots.OUTCOME] = gave_up_outcome(slot)
            logger.info(
                "slot %s rejected %d time(s): not asked again, the reception is offered",
                slot, failures[slot],
            )
        else:
            logger.info("slot %s rejected (%d time(s))", slot, failures[slot])
        dispatcher.utter_message(text=message, **expect)
        return values

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Optional[Dict[Text, Any]]:
        """No next question once a question reached its limit: the form ends."""
        if gave_up(tracker):
            return SlotSet(slots.REQUESTED_SLOT, None)
        return await super().next_requested_slot(dispatcher, tracker, domain)

    def succeed(self, tracker: Tracker, values: Dict[Text, Any]) -> Dict[Text, Any]:
        """Accept values and forget the failures of those slots."""
        failures = dict(tracker.get_slot(slots.VALIDATION_FAILURES) or {})
        for slot in values:
            failures.pop(slot, None)
        return {**values, slots.VALIDATION_FAILURES: failures}

    # -- times -----------------------------------------------------------------

    async def validate_time_answer(
        self,
        slot: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        doctor_id: Optional[str],
        exclude: Optional[datetime] = None,
        prefill: bool = False,
    ) -> Dict[Text, Any]:
        """A time answer: chosen slot, offers, or a failure; every wish said so far is
        kept (``time_wishes``). With ``prefill`` (a time said before it was asked) a
        time not understood is dropped silently; a time refused is said so, with the
        nearest offers, as when it is asked."""
        try:
            resolution = await resolve_time_answer(
                clinic_operations(), tracker, doctor_id, exclude=exclude
            )
        except ServiceDown as down:
            return self.fail(dispatcher, tracker, slot, down.message)
        remembered = {slots.TIME_WISHES: resolution.wishes}
        if prefill and not resolution.understood:
            return {slot: None, **remembered}
        if resolution.chosen is None and resolution.understood and resolution.explanation:
            # A rejected time (too far, taken, closed...) counts, even with offers.
            return self.fail(
                dispatcher, tracker, slot, resolution.explanation,
                extra={
                    slots.CHOSEN_SLOT: None,
                    slots.OFFERED_SLOTS: [slot_to_value(s) for s in resolution.offers],
                    **remembered,
                },
            )
        events = time_answer_events(resolution, slot, dispatcher)
        if events is None:
            return self.fail(dispatcher, tracker, slot, NOT_UNDERSTOOD, extra=remembered)
        events.update(remembered)
        return events if events[slot] is None else self.succeed(tracker, events)

    # -- identity --------------------------------------------------------------

    async def extract_last_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return spelled_answer(tracker, slots.LAST_NAME)

    async def extract_first_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return spelled_answer(tracker, slots.FIRST_NAME)

    def validate_last_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return self._validate_name(slots.LAST_NAME, value, dispatcher, tracker,
                                   "Je n'ai pas bien compris votre nom de famille.")

    def validate_first_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return self._validate_name(slots.FIRST_NAME, value, dispatcher, tracker,
                                   "Je n'ai pas bien compris votre prénom.")

    def _validate_name(
        self, slot: Text, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        not_understood: Text,
    ) -> Dict[Text, Any]:
        if answered_the_other_name(tracker, slot, value) or not said_as_a_name(tracker, slot, value):
            return {slot: value_before_the_answer(tracker, slot)}
        if tracker.get_slot(slots.REQUESTED_SLOT) == slot:
            value = spelled_word((tracker.latest_message or {}).get("text") or "") or value
        name = clean_name(value)
        if name is None:
            return self.fail(dispatcher, tracker, slot, not_understood)
        return self.succeed(tracker, {slot: name})

    async def extract_patient_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return (without_file_number(tracker, dispatcher)
                or stated_before_asked(tracker, slots.PATIENT_ID))

    async def extract_phone_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return stated_before_asked(tracker, slots.PHONE_NUMBER)

    async def validate_patient_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot(slots.NO_FILE_NUMBER):  # « je ne l'ai pas »: not a number
            return {slots.PATIENT_ID: None}
        result = self.parse_patient_id_answer(value, dispatcher, tracker)
        phone = normalize_phone(str(tracker.get_slot(slots.PHONE_NUMBER) or ""))
        if result.get(slots.PATIENT_ID) and phone:
            return await self.check_identity(result[slots.PATIENT_ID], phone, result, dispatcher, tracker)
        return result

    async def validate_phone_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        result = self.parse_phone_answer(value, dispatcher, tracker)
        if result.get(slots.PHONE_NUMBER) and tracker.get_slot(slots.NO_FILE_NUMBER):
            return await self.check_identity_by_name(result[slots.PHONE_NUMBER], result,
                                                     dispatcher, tracker)
        patient_id = parse_patient_id(
            str(tracker.get_slot(slots.PATIENT_ID) or ""), clinic_config().patient_id_digits
        )
        if result.get(slots.PHONE_NUMBER) and patient_id:
            return await self.check_identity(patient_id, result[slots.PHONE_NUMBER], result, dispatcher, tracker)
        return result

    async def check_identity_by_name(
        self, phone: str, result: Dict[Text, Any], dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Dict[Text, Any]:
        """No file number (:mod:`actions.no_file_number`): the file with this name and
        phone, checked as a file number is (lockout included)."""
        last, first = tracker.get_slot(slots.LAST_NAME) or "", tracker.get_slot(slots.FIRST_NAME) or ""
        try:
            found = await run_blocking(clinic_operations().patient_id_by_name_and_phone,
                                       last, first, phone)
        except SQLAlchemyError:
            logger.exception("finding a file by name failed")
            return self.fail(dispatcher, tracker, slots.PHONE_NUMBER, CALENDAR_UNAVAILABLE)
        subject = found or name_phone_subject(last, first, phone)
        return await self.check_identity(subject, phone, {**result, slots.PATIENT_ID: found},
                                         dispatcher, tracker)

    async def check_identity(
        self,
        patient_id: str,
        phone: str,
        result: Dict[Text, Any],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Dict[Text, Any]:
        """Once both the patient ID and the phone are known (cleaned): check them
        together, unless this ID or this caller is locked out. The check is recorded as
        a failure before it is verified, so that guesses sent at once cannot all pass
        the lockout's count (:meth:`IdentityFailures.attempt`)."""
        operations = clinic_operations()
        caller = caller_key(tracker)
        try:
            attempt = await run_blocking(operations.begin_identity_check, patient_id, caller)
        except SQLAlchemyError:
            logger.exception("identity check failed")
            return self.fail(dispatcher, tracker, slots.PHONE_NUMBER, CALENDAR_UNAVAILABLE)
        counts_as_failure = True
        try:
            if attempt.locked:
                return self._locked_out(operations, patient_id, attempt.earlier, dispatcher, tracker)
            accepted = await self.identity_accepted(
                operations, patient_id, phone, result, dispatcher, tracker
            )
            if accepted is not None:
                counts_as_failure = False
                return accepted
            return self.identity_refused_counted(
                operations, patient_id, attempt.count, dispatcher, tracker,
                {slots.PHONE_NUMBER: None},
            )
        except SQLAlchemyError:
            logger.exception("identity check failed")
            counts_as_failure = False  # the database failed, not the caller
            return self.fail(dispatcher, tracker, slots.PHONE_NUMBER, CALENDAR_UNAVAILABLE)
        finally:
            if attempt.locked or not counts_as_failure:  # refused unverified, or verified
                await _forget_attempt(attempt)

    async def identity_accepted(
        self,
        operations: ClinicOperations,
        patient_id: str,
        phone: str,
        result: Dict[Text, Any],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Optional[Dict[Text, Any]]:
        """The form's own check: the slot values when ``patient_id`` and ``phone``
        pass it, None when they do not (may raise ``SQLAlchemyError``)."""
        return result

    async def identity_refused(
        self,
        operations: ClinicOperations,
        patient_id: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        extra: Dict[Text, Any],
    ) -> Dict[Text, Any]:
        """A failed identity check: counted, and the same answer whatever failed."""
        count = await run_blocking(
            operations.record_identity_failure, patient_id, caller_key(tracker)
        )
        return self.identity_refused_counted(operations, patient_id, count, dispatcher,
                                             tracker, extra)

    def identity_refused_counted(
        self,
        operations: ClinicOperations,
        patient_id: str,
        count: FailureCount,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        extra: Dict[Text, Any],
    ) -> Dict[Text, Any]:
        """A failed identity check already counted (``count`` includes it): the same
        answer whatever failed."""
        if count.locked:
            logger.warning(
                "identity checks now locked for patient ID %s: %s",
                mask_patient_id(patient_id), _describe(count, operations),
            )
        else:
            logger.info("identity not verified for patient %s", mask_patient_id(patient_id))
        if tracker.get_slot(slots.NO_FILE_NUMBER):
            extra = {**extra, slots.LAST_NAME: None, slots.FIRST_NAME: None}
            return self.fail(dispatcher, tracker, slots.PATIENT_ID, NOT_FOUND_BY_NAME, extra=extra)
        return self.fail(
            dispatcher, tracker, slots.PATIENT_ID, IDENTITY_NOT_FOUND, extra=extra
        )

    def _locked_out(
        self,
        operations: ClinicOperations,
        patient_id: str,
        count: FailureCount,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Dict[Text, Any]:
        logger.warning(
            "identity check refused, locked out, for patient ID %s: %s; "
            "the caller is offered the reception",
            mask_patient_id(patient_id), _describe(count, operations),
        )
        return self.fail(
            dispatcher, tracker, slots.PATIENT_ID, IDENTITY_LOCKED,
            extra={slots.PHONE_NUMBER: None}, offer_person=False,
        )

    def parse_patient_id_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        digits = clinic_config().patient_id_digits
        patient_id = _first_parsed(
            lambda text: parse_patient_id(without_phone(text), digits), value, tracker
        )
        if patient_id is None:
            return self.fail(
                dispatcher, tracker, slots.PATIENT_ID,
                f"Je n'ai pas compris le numéro de dossier. Il compte {digits} chiffres.",
            )
        return self.succeed(tracker, {slots.PATIENT_ID: patient_id})

    def parse_phone_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        phone = _first_parsed(normalize_phone, value, tracker)
        if phone is None:
            return self.fail(
                dispatcher, tracker, slots.PHONE_NUMBER,
                "Je n'ai pas compris ce numéro de téléphone. "
                "Dites-le par exemple : zéro six, douze, trente-quatre.",
            )
        return self.succeed(tracker, {slots.PHONE_NUMBER: phone})


async def _forget_attempt(attempt: Attempt) -> None:
    try:
        await run_blocking(attempt.succeeded)
    except SQLAlchemyError:  # it then counts as one failure more: logged, never raised
        logger.exception("an identity check's attempt could not be forgotten")


def _describe(count: FailureCount, operations: ClinicOperations) -> str:
    minutes = operations.config.security.identity_lockout_minutes
    return (
        f"{count.patient} failed check(s) for this ID and {count.caller} failed check(s) "
        f"from this caller in the last {minutes} minutes (limit {count.limit})"
    )


def _first_parsed(
    parse: Callable[[str], Optional[str]], value: Any, tracker: Tracker
) -> Optional[str]:
    """Parse the slot's value, then, when it was asked, the caller's whole answer.

    Digits said one by one may come as several entities (a list) or only partly
    inside the entity: the full sentence is the fallback.
    """
    candidates = [" ".join(map(str, value)) if isinstance(value, list) else str(value or "")]
    if tracker.get_slot(slots.REQUESTED_SLOT) in (slots.PATIENT_ID, slots.PHONE_NUMBER):
        candidates.append((tracker.latest_message or {}).get("text") or "")
    for candidate in candidates:
        parsed = parse(candidate) if candidate.strip() else None
        if parsed:
            return parsed
    return None
