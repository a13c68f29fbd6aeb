"""A safety net for emergencies: words that always mean "call the 15".

DIET learns ``emergency`` from examples, but a caller in distress says things no
example foresaw (3-fold cross-validation recalled about half of the held-out
emergencies). This component runs after the classifiers and sets the intent to
``emergency`` whenever the sentence holds one of these unambiguous French
expressions, whatever DIET or the fallback decided.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

EMERGENCY_INTENT = "emergency"
EMERGENCY_EXPRESSIONS = (
    r"urgen(?:t|te|ce|ces)",
    r"au secours",
    r"(?:douleur|mal|serre|serrement)s? (?:dans|à|a) la poitrine",
    r"(?:ne |n')?(?:respire|respirons|respirent) (?:plus|pas|mal)",
    r"(?:n'arrive|arrive) (?:plus|pas) à respirer",
    r"étouffe",
    r"inconscient(?:e)?",
    r"(?:ne se|ne me) réveille pas",
    r"(?:perd|perds|perdu) (?:beaucoup de )?(?:sang|connaissance)",
    r"saigne (?:beaucoup|abondamment|énormément)",
    r"avc",
    r"crise cardiaque",
    r"infarctus",
    r"convuls\w*",
    r"overdose",
    r"avalé (?:des|trop de) (?:médicaments|cachets|comprimés)",
    r"suicid\w*",
    r"(?:envie|veux) de mourir",
    r"me tuer",
)
_PATTERN = re.compile(r"\b(?:" + "|".join(EMERGENCY_EXPRESSIONS) + r")\b", re.IGNORECASE)


def is_emergency(text: Optional[str]) -> bool:
    return bool(text) and _PATTERN.search(text) is not None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class EmergencyKeywordClassifier(GraphComponent):
    """Overrides the intent with ``emergency`` on unambiguous expressions."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencyKeywordClassifier":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not is_emergency(message.get(TEXT)):
                continue
            intent = {INTENT_NAME_KEY: EMERGENCY_INTENT, "confidence": 1.0}
            ranking = [
                r for r in message.get(INTENT_RANKING_KEY) or []
                if r.get(INTENT_NAME_KEY) != EMERGENCY_INTENT
            ]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages
