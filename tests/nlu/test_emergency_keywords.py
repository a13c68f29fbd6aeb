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
        "il faut que je me casse",
        "je dois filer",
        "vous me cassez les pieds",
        "il m'a cassé les pieds avec ça",
        "je me suis cassé la tête pour trouver le numéro",
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


# ------------------------------------------------------------ medical context
# « se casser », « filer », « partir » mean "to leave": an emergency needs a body
# part or an alarm sign.


@pytest.mark.parametrize(
    "text",
    [
        "je me suis cassé la jambe",
        "je me suis cassé le bras",
        "mon fils s'est cassé le poignet",
        "il fait un malaise",
        "je n'arrive plus à respirer",
        "douleur à la poitrine",
        "il ne respire plus",
        "je saigne beaucoup",
    ],
)
def test_body_parts_and_alarm_signs_are_emergencies(text):
    message = _predicted(text, [("book_appointment", 0.6), ("emergency", 0.3)])

    EmergencyKeywordClassifier().process([message])

    assert is_emergency(text)
    assert message.get(INTENT)["name"] == "emergency"


@pytest.mark.parametrize(
    "text, ranking, meant",
    [
        # What the trained model predicted for these (models/current.tar.gz).
        ("il faut que je me casse", [("emergency", 0.46), ("ask_human", 0.27)], "goodbye"),
        ("il faut que je file", [("emergency", 0.76), ("ask_repeat", 0.1)], "goodbye"),
        ("je dois me casser", [("emergency", 0.5), ("goodbye", 0.25)], "goodbye"),
        ("bon je dois partir", [("emergency", 0.5), ("stop", 0.2)], "goodbye"),
        ("j'ai mal au dos depuis une semaine", [("emergency", 0.6), ("book_appointment", 0.3)],
         "book_appointment"),
    ],
)
def test_leaving_or_an_old_pain_is_not_an_emergency(text, ranking, meant):
    message = _predicted(text, ranking)

    EmergencyKeywordClassifier().process([message])

    assert not is_emergency(text)
    assert message.get(INTENT)["name"] == meant
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == meant


@pytest.mark.parametrize("text", ["il faut que je m'en aille", "je dois y aller",
                                  "bon ben je vais vous laisser"])
def test_leaving_is_a_goodbye_when_the_classifier_is_unsure(text):
    # models/current.tar.gz gave « il faut que je m'en aille » nlu_fallback (0.45)
    message = _predicted(text, [("nlu_fallback", 0.45), ("goodbye", 0.4)])

    EmergencyKeywordClassifier().process([message])

    assert message.get(INTENT)["name"] == "goodbye"


@pytest.mark.parametrize("text", ["il faut que je m'en aille", "je dois filer"])
def test_leaving_is_a_goodbye_when_the_classifier_takes_it_for_an_answer(text):
    # A model trained from the same data on another CPU gave « il faut que je m'en
    # aille » inform.
    message = _predicted(text, [("inform", 0.6), ("goodbye", 0.3)])

    EmergencyKeywordClassifier().process([message])

    assert message.get(INTENT)["name"] == "goodbye"


def test_an_answer_that_is_not_only_leaving_stays_an_answer():
    message = _predicted("il faut que je parte le matin", [("inform", 0.6)])

    EmergencyKeywordClassifier().process([message])

    assert message.get(INTENT)["name"] == "inform"


def test_an_unsure_sentence_that_is_not_only_leaving_stays_unsure():
    message = _predicted("il faut que je m'en aille chercher mon fils", [("nlu_fallback", 0.45)])

    EmergencyKeywordClassifier().process([message])

    assert message.get(INTENT)["name"] == "nlu_fallback"


@pytest.mark.parametrize(
    "text",
    [
        "il faut que je parte aux urgences",
        "je dois partir, il ne respire plus",
        "j'ai mal à la poitrine depuis une semaine",
        "mon bébé est tout bleu",
    ],
)
def test_a_predicted_emergency_with_a_medical_sign_is_kept(text):
    message = _predicted(text, [("emergency", 0.7), ("goodbye", 0.2)])

    EmergencyKeywordClassifier().process([message])

    assert message.get(INTENT)["name"] == "emergency"


def _predicted(text, ranking):
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    return message
