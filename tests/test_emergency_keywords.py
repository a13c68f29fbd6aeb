"""The emergency safety net overrides whatever the classifiers decided."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.emergency_keywords import EmergencyKeywordClassifier, is_emergency


@pytest.mark.parametrize(
    "text",
    [
        "c'est urgent",
        "au secours",
        "j'ai très mal à la poitrine",
        "mon père ne respire plus",
        "ma mère est inconsciente",
        "mon mari est tombé et il ne se réveille pas",
        "il perd beaucoup de sang",
        "je crois que c'est un AVC",
        "mon fils a avalé des médicaments",
        "j'ai envie de mourir",
        "elle convulse",
    ],
)
def test_emergencies_are_recognised(text):
    assert is_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "je voudrais un rendez-vous",
        "ce n'est pas pressé",
        "j'ai mal au dos depuis une semaine",
        "je voudrais annuler mon rendez-vous de mardi",
        "pas mal merci",
        "",
    ],
)
def test_ordinary_sentences_are_left_alone(text):
    assert not is_emergency(text)


def test_the_component_overrides_the_predicted_intent():
    message = Message(data={TEXT: "au secours il ne respire plus"})
    message.set(INTENT, {"name": "nlu_fallback", "confidence": 0.4})
    message.set(INTENT_RANKING_KEY, [{"name": "greet", "confidence": 0.3}, {"name": "emergency", "confidence": 0.2}])
    calm = Message(data={TEXT: "bonjour"})
    calm.set(INTENT, {"name": "greet", "confidence": 0.9})

    EmergencyKeywordClassifier().process([message, calm])

    assert message.get(INTENT) == {"name": "emergency", "confidence": 1.0}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["emergency", "greet"]
    assert calm.get(INTENT) == {"name": "greet", "confidence": 0.9}
