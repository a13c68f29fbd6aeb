"""What the three forms share: counting failed answers, times, names and identity.

A wrong value gets a short explanation and the question again (the form asks it), up
to clinic.yml's limit per question; then the question is no longer asked (see
:mod:`actions.ask_limit`). The names are read by :mod:`actions.name_answers`, the
identity is checked by :mod:`actions.identity_check` (mixed in here), the times by
:mod:`actions.time_answers`.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from rasa_sdk.utils import call_potential_coroutine

from actions import slots
from actions.ask_limit import LIMIT_OFFER, ends_the_form, gave_up, gave_up_outcome
from actions.clinic_service import clinic_operations
from actions.confirmation import confirmation_answer
from actions.expected_answer import YES_NO, expecting
from actions.identity_check import IdentityValidation
from actions.name_answers import (
    answered_the_other_name,
    clean_name,
    said_as_a_name,
    spelled_answer,
    value_before_the_answer,
)
from actions.time_answers import NOT_UNDERSTOOD, ServiceDown, resolve_time_answer, time_answer_events
from actions.time_wish import slot_to_value
from spoken_french.spelling import spelled_word

logger = logging.getLogger(__name__)

# Slots a form's ``extract_*`` methods set besides its questions' answers.
MEMORY_SLOTS = (slots.GOODBYE_WARNED, slots.NO_FILE_NUMBER, slots.OUTCOME)


class ClinicFormValidation(IdentityValidation, FormValidationAction, ABC):
    """Base of the forms' validation actions (not an action itself)."""

    @abstractmethod
    def name(self) -> Text:
        ...

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        return self.slots_needed(tracker)

    @abstractmethod
    def slots_needed(self, tracker: Tracker) -> List[Text]:
        """The slots this form asks for now, in order (what is filled is skipped)."""

    confirmation_slot: Text  # the form's last question, « Je confirme ? »

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """The ``extract_*`` methods, then the answer to « Je confirme ? » in the
        caller's words (:func:`actions.confirmation.confirmation_answer`)."""
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        answer = confirmation_answer(tracker, self.confirmation_slot)
        tracker.slots.update(answer)
        return events + [SlotSet(name, value) for name, value in answer.items()]

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

