"""A request is a request: the planning verb says which one, whatever DIET thought.

DIET learns book / move / cancel from examples and ``inform`` from bare answers
(« demain à 8 h »). A request that carries a date shares most of its words with an
answer, so DIET sometimes takes « planifier un rendez-vous à 8 h demain » for a bare
answer, or « laissez tomber le rendez-vous de mardi » for « stop ». This component runs
after the classifiers and makes the distinction explicit:

* when DIET says ``inform``, ``nlu_fallback``, ``stop`` or ``out_of_scope`` and the
  sentence names an appointment (« rendez-vous », « rdv », « consultation », « visite »)
  with the verb of exactly one family — :data:`BOOK` (prendre, fixer, caler,
  programmer, planifier, réserver, inscrire, noter, mettre dans l'agenda…),
  :data:`MOVE` (déplacer, décaler, reporter, repousser, avancer, changer, modifier,
  mettre à jour…), :data:`CANCEL` (annuler, supprimer, retirer, enlever, laisser
  tomber, ne pas pouvoir venir…) — the intent is that family's request;
* when DIET says ``book_appointment`` for a sentence that says it is *not* about an
  appointment (« c'est pas pour un rendez-vous, c'est juste une question »), or asks
  whether the doctor still takes new patients, the caller is handed to the front desk
  (``ask_human``), never a booking form.

Only infinitives, imperatives and the first person present are verbs of a request:
« le rendez-vous que j'ai pris jeudi » (an answer inside a form) stays an answer.
A sentence with verbs of two families (« annuler et en reprendre un autre ») keeps
DIET's intent. Between two requests DIET is overruled only when it heard a booking in
a sentence whose only planning verb moves or cancels (« Marc Petit, 06…, il faudrait
décaler mon rendez-vous de mardi »: a long first sentence full of identity looks like
a booking to DIET; one does not « décaler » a new appointment).
"""
from __future__ import annotations

import re
from typing import List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.intent_override import IntentRule, put_first

BOOK_INTENT = "book_appointment"
MOVE_INTENT = "reschedule_appointment"
CANCEL_INTENT = "cancel_appointment"
FRONT_DESK_INTENT = "ask_human"
# What DIET may say of a request it did not recognise.
OVERRULED = frozenset({"inform", "nlu_fallback", "stop", "out_of_scope"})

# An appointment, named, or the pronoun that stands for it right on the verb
# (« vous pouvez l'annuler », « décalez-le »): only the move and cancel families
# take the pronoun, as one moves or cancels what one already has.
APPOINTMENT = re.compile(
    r"\b(?:rendez[- ]?vous|rdv|rendezvous|consultations?|visites?)\b", re.IGNORECASE
)


def _family(stems: List[str], others: str = "") -> str:
    """A family's verbs as a whole word: each first-group stem as an infinitive or an
    imperative (« annuler », « annulez », « annulons »), or in the first person after
    « je » (« j'annule », « je décale »); then ``others`` (irregular verbs, nouns)."""
    stem = "|".join(stems)
    pattern = rf"(?:{stem})(?:er|ez|ons)|(?:\bje |\bj')(?:{stem})e"
    return rf"\b(?:{pattern}{'|' + others if others else ''})\b"


BOOK = re.compile(_family(
    ["planifi", "programm", "fix", "cal", "réserv", "reserv", "not", "book"],
    r"prendre|prenez|prenons|reprendre|reprenez|prévoir|prévoyez|inscrire|inscrivez|mettre|mettez"),
    re.IGNORECASE)
MOVE = re.compile(_family(
    ["déplac", "deplac", "décal", "decal", "report", "repouss", "avanc", "chang",
     "modifi", "boug", "reprogramm"],
    r"mettre à jour|mise à jour|modification|changement"), re.IGNORECASE)
CANCEL = re.compile(_family(
    ["annul", "supprim", "retir", "enlev", "effac", "décommand", "decommand", "ray"],
    r"annulation|suppression|désistement|laiss(?:er|ez|e|ons) tomber"), re.IGNORECASE)
# The verb's object is a pronoun: « l'annuler », « le retirer », « annulez-le ».
PRONOUN_OBJECT = re.compile(
    r"\b(?:le |la |l')\w+(?:er|ez)\b|\b\w+(?:ez)-(?:le|la)\b", re.IGNORECASE
)
# « mettre » books only into a diary: « mettez-moi dans l'agenda », not « mettez-le
# mardi » (an answer) nor « mettre à jour » (a move).
MISE = re.compile(r"mett(?:re|ez)", re.IGNORECASE)
DIARY = re.compile(r"\b(?:agenda|planning|calendrier)\b", re.IGNORECASE)
# Not about an appointment: « c'est pas pour un rendez-vous », « je n'appelle pas
# pour prendre rendez-vous ».
NOT_A_REQUEST = re.compile(
    r"\bpas (?:pour|au sujet d'|à propos d')\s*(?:un |une |prendre (?:un )?)?"
    r"(?:rendez[- ]?vous|rdv|consultation)\b"
    # whether the doctor still takes new patients: a question about the practice
    # (« le docteur Martin prend-il encore de nouveaux patients ? »), not a booking
    r"|\b(?:prend|prennent|prenez|accepte|acceptent|acceptez|reçoit|reçoivent|recevez)"
    r"(?:-(?:il|elle|ils|elles|t-il|t-elle))?\s+(?:encore |toujours |actuellement )?"
    r"(?:de |des |d'autres )?(?:nouveaux|nouvelles|nouveau|nouvelle)\s+patient(?:e|s|es)?\b",
    re.IGNORECASE,
)


def requested(text: Optional[str]) -> Optional[str]:
    """The request a sentence makes with its verb (book, move or cancel), or ``None``
    when it names no appointment, has no such verb, or verbs of two families."""
    if not text:
        return None
    text = text.replace("’", "'")
    if NOT_A_REQUEST.search(text):
        return None
    named = bool(APPOINTMENT.search(text))
    pronoun = bool(PRONOUN_OBJECT.search(text))
    found = set()
    if CANCEL.search(text) and (named or pronoun):
        found.add(CANCEL_INTENT)
    if MOVE.search(text) and (named or pronoun):
        found.add(MOVE_INTENT)
    booking = [m.group(0) for m in BOOK.finditer(text)]
    diary = bool(DIARY.search(text))
    if (named or diary) and any(not MISE.fullmatch(verb) or diary for verb in booking):
        found.add(BOOK_INTENT)
    return found.pop() if len(found) == 1 else None


def not_about_an_appointment(text: Optional[str]) -> bool:
    """« c'est pas pour un rendez-vous, c'est juste une question »."""
    return bool(text) and bool(NOT_A_REQUEST.search(text.replace("’", "'")))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class AppointmentRequestClassifier(IntentRule):
    """Gives a sentence with a planning verb its request, where DIET heard an answer,
    a stop or nothing; sends « pas pour un rendez-vous » to the front desk."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if predicted in OVERRULED:
                request = requested(text)
                if request:
                    put_first(message, request)
            elif predicted == BOOK_INTENT:
                if not_about_an_appointment(text):
                    put_first(message, FRONT_DESK_INTENT)
                elif requested(text) in (MOVE_INTENT, CANCEL_INTENT):
                    put_first(message, requested(text))
        return messages
