"""What the rule-based components of this package share: the one way they change
DIET's answer (the chosen intent first, with the given confidence, then the rest of the
ranking), and how one that learns nothing is built from its configuration."""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def put_first(message: Message, name: str, confidence: float = 1.0) -> None:
    """``name`` at the top of ``message``'s intent and ranking, with ``confidence``."""
    intent = {INTENT_NAME_KEY: name, "confidence": confidence}
    ranking = [
        r for r in message.get(INTENT_RANKING_KEY) or []
        if r.get(INTENT_NAME_KEY) != name
    ]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)


class IntentRule(GraphComponent):
    """A component that learns nothing: built from its configuration alone
    (:meth:`from_config`), nothing stored in the model."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "IntentRule":
        return cls.from_config(config)

    @classmethod
    def from_config(cls, config: Dict[Text, Any]) -> "IntentRule":
        return cls()
