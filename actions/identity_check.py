"""Who calls: the patient ID and the phone checked together, every failure counted.

Identity answers (patient ID, phone; or, without a file number, the names and the phone)
are cleaned and checked the same way for booking, moving and cancelling: every failed
check is counted in the database against the patient ID and the caller
(:func:`caller_key`), a locked check is refused even with the right answers, and every
mismatch gets the same answer, :data:`IDENTITY_NOT_FOUND`, so that nobody learns whether
an ID exists. :class:`IdentityValidation` is mixed into
:class:`actions.form_validation.ClinicFormValidation`; each form says what else it
requires in :meth:`IdentityValidation.identity_accepted`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import slots
from actions.clinic_service import clinic_operations, run_blocking
from actions.no_file_number import NOT_FOUND_BY_NAME, name_phone_subject, without_file_number
from actions.stated_facts import stated_before_asked, without_phone
from actions.time_answers import CALENDAR_UNAVAILABLE
from clinic.config import clinic_config
from clinic.identity_failures import Attempt, FailureCount
from clinic.operations import ClinicOperations
from spoken_french.numbers import mask_patient_id, normalize_phone, parse_patient_id

logger = logging.getLogger(__name__)

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
CALLER_KEY = "caller_key"


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


@dataclass(frozen=True)
class IdentityCheck:
    """One identity check under way: the cleaned ID and phone, the slot values so far."""

    operations: ClinicOperations
    patient_id: str
    phone: str
    result: Dict[Text, Any]
    dispatcher: CollectingDispatcher
    tracker: Tracker


class IdentityValidation:
    """The identity slots' extraction and validation, shared by the three forms (uses
    ``fail`` and ``succeed`` of :class:`actions.form_validation.ClinicFormValidation`)."""

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
            check = IdentityCheck(operations, patient_id, phone, result, dispatcher, tracker)
            if attempt.locked:
                return self._locked_out(check, attempt.earlier)
            accepted = await self.identity_accepted(check)
            if accepted is not None:
                counts_as_failure = False
                return accepted
            return self.identity_refused_counted(check, attempt.count, {slots.PHONE_NUMBER: None})
        except SQLAlchemyError:
            logger.exception("identity check failed")
            counts_as_failure = False  # the database failed, not the caller
            return self.fail(dispatcher, tracker, slots.PHONE_NUMBER, CALENDAR_UNAVAILABLE)
        finally:
            if attempt.locked or not counts_as_failure:  # refused unverified, or verified
                await _forget_attempt(attempt)

    async def identity_accepted(self, check: IdentityCheck) -> Optional[Dict[Text, Any]]:
        """The form's own check: the slot values when the ID and phone pass it, None
        when they do not (may raise ``SQLAlchemyError``)."""
        return check.result

    async def identity_refused(self, check: IdentityCheck, extra: Dict[Text, Any]) -> Dict[Text, Any]:
        """A failed identity check: counted, and the same answer whatever failed."""
        count = await run_blocking(
            check.operations.record_identity_failure, check.patient_id, caller_key(check.tracker)
        )
        return self.identity_refused_counted(check, count, extra)

    def identity_refused_counted(
        self, check: IdentityCheck, count: FailureCount, extra: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        """A failed identity check already counted (``count`` includes it): the same
        answer whatever failed."""
        if count.locked:
            logger.warning(
                "identity checks now locked for patient ID %s: %s",
                mask_patient_id(check.patient_id), _describe(count, check.operations),
            )
        else:
            logger.info("identity not verified for patient %s", mask_patient_id(check.patient_id))
        tracker = check.tracker
        if tracker.get_slot(slots.NO_FILE_NUMBER):
            extra = {**extra, slots.LAST_NAME: None, slots.FIRST_NAME: None}
            return self.fail(check.dispatcher, tracker, slots.PATIENT_ID, NOT_FOUND_BY_NAME,
                             extra=extra)
        return self.fail(check.dispatcher, tracker, slots.PATIENT_ID, IDENTITY_NOT_FOUND,
                         extra=extra)

    def _locked_out(self, check: IdentityCheck, count: FailureCount) -> Dict[Text, Any]:
        logger.warning(
            "identity check refused, locked out, for patient ID %s: %s; "
            "the caller is offered the reception",
            mask_patient_id(check.patient_id), _describe(count, check.operations),
        )
        return self.fail(
            check.dispatcher, check.tracker, slots.PATIENT_ID, IDENTITY_LOCKED,
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
