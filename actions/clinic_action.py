"""The shape of the clinic's actions: a name and one answer.

Rasa's action server calls ``name()`` and ``async run(dispatcher, tracker, domain)``.
None of the clinic's actions reads the domain or awaits anything in ``run`` (the
calendar's blocking calls run inside the forms' validation), so each one sets
``action_name`` and writes :meth:`ClinicAction.answer`: what it says through the
dispatcher, and the events it returns. Abstract classes are not registered by the
action server, only their concrete subclasses.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

Events = List[Dict[Text, Any]]


class ClinicAction(Action, ABC):
    action_name: ClassVar[Text]

    def name(self) -> Text:
        return self.action_name

    @abstractmethod
    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        """Say what this action says, and return its events."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        return self.answer(dispatcher, tracker)
