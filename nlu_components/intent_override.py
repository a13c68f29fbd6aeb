"""The one way the rule-based components of this package change DIET's answer: the
chosen intent first, with the given confidence, then the rest of the ranking."""
from __future__ import annotations

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
