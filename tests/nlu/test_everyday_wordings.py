"""The second round of issue #20's families, through the trained model: the turns
around a request, said as callers say them.

The public dev set (``bench/data/public_heldout.yml``) showed whole families missed:
a goodbye that names when we meet again or wishes well (« prenez soin de vous »,
« je vous verrai demain » was taken for a booking), a refusal without « non »
(« en aucun cas », « c'est exclu »), a yes followed by thanks (« oui merci » at a
confirmation was taken for thanks, so the read-back came again: issue #21 item 3),
thanks for the day or in advance, a greeting to everyone, asking to speak louder, when
the clinic opens, the way from a station or a bus, a time alone said in words (« à
quinze heures » was a goodbye), « remettre » as a move, and being seen by the doctor
asked as a question. Every sentence below is new: none is a training example nor a
phrase of the dev, blind or held-out sets (:func:`test_none_is_training_or_held_out`).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulation.understanding import normalized, training_phrases

BENCH_DATA = Path(__file__).resolve().parents[2] / "bench" / "data"

FAMILIES = [
    # a goodbye that names when we meet again, or wishes well
    ("prenez soin de vous, à bientôt", "goodbye"),
    ("portez-vous bien, au revoir", "goodbye"),
    ("alors à mercredi", "goodbye"),
    ("bon, à dans dix jours alors", "goodbye"),
    ("on se retrouve mardi, au revoir", "goodbye"),
    ("je vous verrai jeudi, au revoir", "goodbye"),
    ("bon, ce sera tout alors", "goodbye"),
    ("je vous souhaite une bonne fin de semaine", "goodbye"),
    # a refusal without « non »
    ("non, en aucun cas ce jour-là", "deny"),
    ("c'est hors de question pour moi", "deny"),
    ("absolument pas, merci", "deny"),
    ("ça ne va pas être possible ce jour-là", "deny"),
    ("pas du tout ce jour-là", "deny"),
    # a yes followed by thanks or politeness
    ("oui, merci monsieur", "affirm"),
    ("oui c'est parfait, merci beaucoup", "affirm"),
    ("oui oui, merci bien madame", "affirm"),
    ("d'accord, merci bien", "affirm"),
    # thanks for the day, in advance
    ("merci mille fois pour votre aide", "thank"),
    ("je vous remercie d'avance", "thank"),
    ("merci pour votre gentillesse aujourd'hui", "thank"),
    # a greeting to everyone, to a service
    ("bonjour à vous tous", "greet"),
    ("allô, je suis bien au cabinet médical ?", "greet"),
    # asking to speak louder
    ("vous pourriez parler un peu plus fort ?", "ask_repeat"),
    ("je n'entends rien, parlez plus fort", "ask_repeat"),
    # when the clinic opens, when the doctor sees patients
    ("à quelle heure ouvrez-vous le matin ?", "ask_opening_hours"),
    ("quels jours consultez-vous ?", "ask_opening_hours"),
    # the way from a station, a bus, a tram
    ("il y a un arrêt de bus près du cabinet ?", "ask_access"),
    ("quelle ligne de tram pour venir chez vous ?", "ask_access"),
    # a time alone, in words
    ("à dix heures trente", "inform"),
    ("à quatorze heures quinze", "inform"),
    # « remettre » as a move
    ("on pourrait le remettre à plus tard ?", "reschedule_appointment"),
    # being seen by the doctor, asked as a question
    ("le docteur pourrait-il me voir jeudi ?", "book_appointment"),
    ("est-ce que la docteure pourra me recevoir demain matin ?", "book_appointment"),
]

# Everyday questions for someone else than a clinic: never a form nor a clinic answer.
OUT_OF_SCOPE = [
    "vous avez encore des tables pour ce soir ?",
    "quel temps va-t-il faire ce week-end ?",
    "mon téléphone ne charge plus",
    # a known miss of round 2, kept visible: « qui … ? » is heard as « qui êtes-vous ? »
    # (bot_challenge). strict: the day it is understood, this test says so.
    pytest.param("qui a peint la Joconde ?", marks=pytest.mark.xfail(
        strict=True, reason="taken for bot_challenge by the round-2 model")),
    "tu regardes la télé ?",
]


def _held_out_phrases() -> set:
    phrases: set = set()

    def walk(node) -> None:
        if isinstance(node, str):
            phrases.add(normalized(node))
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    for name in ("public_heldout.yml", "public_blind.yml", "heldout_phrases.yml"):
        walk(yaml.safe_load((BENCH_DATA / name).read_text(encoding="utf-8")))
    return phrases


def test_none_is_training_or_held_out():
    texts = [t for t, _ in FAMILIES] + [t.values[0] if hasattr(t, "values") else t
                                         for t in OUT_OF_SCOPE]
    known = training_phrases() | _held_out_phrases()
    assert not [t for t in texts if normalized(t) in known]


@pytest.mark.parametrize("text, intent", FAMILIES)
def test_an_everyday_turn_in_its_family(parse_intent, text, intent):
    assert parse_intent(text) == intent


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_a_question_for_someone_else_is_out_of_scope(parse_intent, text):
    assert parse_intent(text) in ("out_of_scope", "nlu_fallback")
