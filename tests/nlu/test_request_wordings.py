"""Requests in any wording, through the trained model and through the rule that makes
a request with a date a request (``nlu_components.appointment_requests``).

Each example of issue #20 has its test, and each of its families too: every planning
verb the issue names, in the forms callers use (« je voudrais … », an imperative, a
bare infinitive, a question), with a date, a doctor, a time range, politeness,
hesitation or a reason; long first sentences that carry the caller's name, file number
and phone; goodbyes with a form of address, affirmations, asking for a person, and a
question that is not a request. None of these sentences is a training example
(:func:`test_no_sentence_here_is_a_training_example`).
"""
from __future__ import annotations

import pytest

from nlu_components.appointment_requests import not_about_an_appointment, requested
from simulation.understanding import normalized, training_phrases

BOOK, MOVE, CANCEL = "book_appointment", "reschedule_appointment", "cancel_appointment"

# The examples of the issue, as a caller said them.
ISSUE_EXAMPLES = [
    ("planifier un rendez-vous à 8 h demain", BOOK),
    ("je ne pourrai pas être là mardi, vous pouvez le retirer ?", CANCEL),
    ("Bonjour, c'est Paul Girard, dossier 481 273, je voudrais avancer mon rendez-vous de "
     "vendredi à mercredi 10 heures", MOVE),
    ("il faut que je m'en aille", "goodbye"),
    ("bonne soirée madame", "goodbye"),
    ("parfait pour moi", "affirm"),
    ("je peux avoir la secrétaire ?", "ask_human"),
]

# Each verb of each family, in several forms; none is a training sentence.
FAMILIES = [
    # booking: prendre, fixer, caler, programmer, planifier, inscrire, noter, réserver,
    # mettre dans l'agenda
    ("prendre un rdv mercredi à 11 heures", BOOK),
    ("prenez-moi une consultation jeudi matin s'il vous plaît", BOOK),
    ("fixer une consultation à 9 h lundi", BOOK),
    ("vous pourriez me fixer un rendez-vous avec le docteur Dubois vendredi", BOOK),
    ("caler une visite jeudi en fin d'après-midi", BOOK),
    ("euh calez-moi euh un rendez-vous mardi", BOOK),
    ("programmer un rendez-vous à 17 h vendredi", BOOK),
    ("je voudrais programmer un rendez-vous pour mon père lundi prochain", BOOK),
    ("planifier une consultation mardi entre 10 et 12 heures", BOOK),
    ("pouvez-vous planifier un rdv pour ma fille samedi", BOOK),
    ("inscrivez-moi pour une consultation à 14 h mercredi", BOOK),
    ("notez-moi un rdv à 10 h jeudi s'il vous plaît", BOOK),
    ("réserver un rdv à 8 h 30 lundi", BOOK),
    ("j'aimerais réserver une visite avec la docteure Nguyen pour mon bébé", BOOK),
    ("mettez-moi un rendez-vous dans l'agenda mercredi matin", BOOK),
    ("bonjour, j'ai une toux qui traîne, je voudrais fixer un rendez-vous demain", BOOK),
    # moving: déplacer, décaler, reporter, repousser, avancer, changer, modifier, mise à jour
    ("déplacer le rdv de jeudi à lundi", MOVE),
    ("vous pouvez déplacer mon rendez-vous de 9 h à 15 h ?", MOVE),
    ("décaler la consultation de mardi à vendredi", MOVE),
    ("reporter ma visite de demain à lundi", MOVE),
    ("repousser le rendez-vous de ma mère d'une semaine", MOVE),
    ("avancer mon rdv de jeudi à mardi matin", MOVE),
    ("changer l'heure du rendez-vous de mercredi", MOVE),
    ("modifier mon rdv de lundi pour mardi", MOVE),
    ("faire une mise à jour de mon rendez-vous de jeudi", MOVE),
    ("j'ai un empêchement au travail jeudi, on peut décaler mon rendez-vous ?", MOVE),
    # cancelling: annuler, supprimer, retirer, enlever, laisser tomber, ne pas pouvoir
    # venir, un empêchement
    ("annuler le rdv de jeudi à 9 h", CANCEL),
    ("supprimer ma consultation de mardi", CANCEL),
    ("retirez mon rendez-vous de vendredi s'il vous plaît", CANCEL),
    ("enlevez-moi le rendez-vous de lundi", CANCEL),
    ("laissez tomber ma consultation de jeudi", CANCEL),
    ("je ne pourrai pas venir lundi, vous pouvez l'annuler", CANCEL),
    ("je ne pourrai pas être là vendredi, vous pouvez l'enlever ?", CANCEL),
    ("j'ai un empêchement demain, annulez ma consultation s'il vous plaît", CANCEL),
    # long first sentences
    ("Bonjour, Claire Dumas, dossier 300 512, je voudrais prendre un rendez-vous avec le "
     "docteur Martin jeudi à 10 heures", BOOK),
    ("oui bonjour c'est monsieur Vidal, numéro de dossier 227 045, je voudrais annuler "
     "mon rendez-vous de lundi", CANCEL),
    ("Bonjour, Marc Petit, 06 22 41 87 90, il faudrait décaler mon rendez-vous de mardi "
     "à jeudi", MOVE),
    # goodbyes, affirmations, a person, questions that are not requests
    ("au revoir monsieur, bonne soirée", "goodbye"),
    ("merci, bonne journée madame", "goodbye"),
    ("oui ça me convient très bien", "affirm"),
    ("bon ben ça me va", "affirm"),
    ("c'est parfait, ça m'arrange", "affirm"),
    ("je pourrais parler à la secrétaire ?", "ask_human"),
]

# Not a request: an answer or the front desk, never the booking form.
NOT_A_FORM = [
    "c'est pas pour un rendez-vous, c'est juste une question",
    "ce n'est pas pour prendre rendez-vous, c'est une question",
    "est-ce que le docteur accepte encore des patients ?",
    "est-ce que le docteur Martin prend encore de nouveaux patients ?",
    "la docteure Nguyen accepte-t-elle de nouveaux patients ?",
    "vous prenez toujours des nouveaux patients ?",
]


def test_no_sentence_here_is_a_training_example():
    known = training_phrases()
    texts = [t for t, _ in ISSUE_EXAMPLES + FAMILIES] + NOT_A_FORM
    assert not [t for t in texts if normalized(t) in known]


@pytest.mark.parametrize("text, intent", ISSUE_EXAMPLES + FAMILIES)
def test_a_request_in_any_wording(parse_intent, text, intent):
    assert parse_intent(text) == intent


@pytest.mark.parametrize("text", NOT_A_FORM)
def test_a_question_is_not_a_request(parse_intent, text):
    """An answer (the doctors) or the front desk, never a form."""
    assert parse_intent(text) in ("ask_doctors", "ask_human")


# ------------------------------------------------------------- the rule after DIET


@pytest.mark.parametrize("text, intent", [
    ("planifier un rendez-vous à 8 h demain", BOOK),
    ("notez-moi dans le planning de lundi", BOOK),
    ("mettez-moi dans l'agenda vendredi", BOOK),
    ("programmer une visite jeudi", BOOK),
    ("je voudrais avancer mon rendez-vous de vendredi à mercredi 10 heures", MOVE),
    ("je voudrais mettre à jour mon rendez-vous", MOVE),
    ("décalez-le à jeudi", MOVE),
    ("laissez tomber le rendez-vous de mardi", CANCEL),
    ("je ne pourrai pas être là mardi, vous pouvez le retirer ?", CANCEL),
    ("j'annule mon rdv", CANCEL),
])
def test_a_planning_verb_makes_the_request(text, intent):
    assert requested(text) == intent


@pytest.mark.parametrize("text", [
    "demain à 8 h",                           # a bare answer
    "mettez-le mardi",                        # an answer inside a form
    "le rendez-vous que j'ai pris jeudi",     # which appointment, not a new one
    "je serai en avance au rendez-vous",
    "annuler et reprendre un rendez-vous",    # two families: DIET decides
    "c'est pas pour un rendez-vous, c'est juste une question",
])
def test_no_request_without_one_planning_verb(text):
    assert requested(text) is None


def test_not_about_an_appointment():
    assert not_about_an_appointment("c'est pas pour un rendez-vous, c'est juste une question")
    assert not_about_an_appointment("je n'appelle pas pour prendre rendez-vous")
    assert not not_about_an_appointment("je voudrais un rendez-vous pas trop tôt")
    # whether the doctor takes new patients is a question about the practice
    assert not_about_an_appointment("le docteur prend-il encore de nouveaux patients ?")
    assert not_about_an_appointment("vous acceptez des nouvelles patientes ?")
    assert not not_about_an_appointment("je suis une nouvelle patiente, je voudrais un rendez-vous")
    assert not not_about_an_appointment("prenez-moi un rendez-vous, je suis un nouveau patient")


def test_the_rule_runs_after_the_classifiers_and_before_the_emergency_net():
    import yaml

    from tests.conftest import PROJECT_ROOT

    names = [c["name"] for c in yaml.safe_load(
        (PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]]
    here = names.index("nlu_components.appointment_requests.AppointmentRequestClassifier")
    assert names.index("FallbackClassifier") < here
    assert here < names.index("nlu_components.emergency_keywords.EmergencyKeywordClassifier")
