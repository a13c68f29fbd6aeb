"""Names are names: an answer that is just a name is never a request to leave the form.

Asked for her first name, a caller said « Claire » and was put through to the
reception: DIET gave ``ask_human`` (0.46, just above the fallback threshold) to a
word it never saw, the domain's ``from_text`` mappings of ``last_name`` and
``first_name`` exclude ``ask_human``, and the rule « A person on request » ended the
form. Lowercase « claire » got ``nlu_fallback`` and a request to rephrase.

Where to fix it. The rules and mappings are right for a real « je veux parler à
quelqu'un » said in the middle of the form; what is wrong is the intent. NLU
components do not see the tracker (which question was asked), but they need not: a
message that is only a name (« Claire », « Durand », « euh c'est Marie-Claire
Dupont ») is not a request for a person, a stop, a goodbye, an emergency, a « yes »
nor a question, whatever was asked. So this component, placed after
``FallbackClassifier`` and before the emergency safety net in config.yml, gives such
a message the slot-filling intent ``inform`` whatever other intent DIET chose, and
under the fallback when it is a name it knows (the ``first_name`` and ``last_name``
lookup tables). The form then takes the text as the name (``from_text``) and its
validation cleans it. No rule, mapping nor action changes, and outside a form
``inform`` leads where any stray answer leads.

A message is name-like (:func:`looks_like_a_name`) when, once the lead-ins of a name
answer are removed (« euh », « oui », « c'est », « je m'appelle », « madame »...), it
is one to three words made of letters, none of which carries an intent. The words
that carry an intent are learnt at training: every word of the examples of the
other intents (« oui », « bonjour », « horaires », « robot »...), entity values and
the names of the lookups aside; :data:`INTENT_WORDS` adds by hand the words an
interruption may use without an example (« arrêter », « urgence », « humain »...).
After a retrain a new intent's words are known without touching this file. The
emergency safety net runs after this component, so an alarm expression still gives
``emergency``.
"""
from __future__ import annotations

import json
import logging
import re
import unicodedata
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.intent_override import put_first

logger = logging.getLogger(__name__)

NAME_INTENT = "inform"
FALLBACK_INTENT = "nlu_fallback"
# Intents a bare name may have: the slot-filling one, and the fallback (handled apart).
KEPT_INTENTS = frozenset({NAME_INTENT, FALLBACK_INTENT})
NAME_LOOKUPS = ("first_name", "last_name")
MAX_NAME_WORDS = 3
STORED_FILE = "name_answers.json"
# Words of the examples that are also parts of names (« De La Fontaine », « Ben
# Ali ») or common surnames (« Petit », « Blanc »): they carry no intent.
NAME_WORDS = frozenset({
    "de", "du", "des", "d", "la", "le", "l", "da", "di", "dos", "das", "del", "van",
    "von", "der", "el", "al", "ben", "ait", "saint", "sainte",
    "petit", "blanc", "grand", "brun", "roux", "noir", "leblanc", "legrand", "lebrun",
})

# Words that carry an intent even without a training example saying them, beside
# the words learnt from the examples. Whole words, compared without accents and in
# lowercase; a trailing ``*`` allows any ending. No name of the lookups is one
# (tests/nlu/test_names_are_names.py checks it).
INTENT_WORDS = (
    # ask_human
    "parler", "parle", "parlez", "quelqu'un", "quelqu", "personne", "personnes",
    "humain", "humaine", "humains", "accueil", "secretaire", "secretariat",
    "standard", "standardiste", "operateur", "operatrice", "conseiller", "conseillere",
    "docteur", "docteure", "medecin", "infirmiere", "infirmier", "transfer*",
    "passez", "passer", "rappel*", "reception*", "repondeur", "vrai", "vraie",
    # stop
    "stop", "arret*", "annul*", "oubli*", "laisse", "laissez", "laisser", "tomber",
    "abandon*", "rien", "finalement", "pis", "plus", "non", "peine", "avis", "change",
    # goodbye
    "revoir", "bientot", "journee", "soiree", "prochaine", "raccroch*", "bye",
    "ciao", "tchao", "salut", "adieu", "bonsoir", "demain", "week-end", "bonne", "merci",
    "tout", "revoyure", "plaisir", "filer", "file", "partir", "casse", "casser",
    # emergency
    "urgen*", "secours", "mal", "douleur*", "sang", "saign*", "respir*", "malaise",
    "avc", "ambulance", "samu", "pompiers", "etouff*", "fievre", "inconscient*",
    "mourir", "suicid*", "crise", "tombe", "chute", "blesse*", "vite", "convuls*",
    # a sentence, not a name
    "je", "j", "tu", "vous", "pas", "dois", "veux", "voudrais", "peux",
)
_LEAD_INS = re.compile(
    r"^(?:(?:euh+|heu+|hum+|alors|bon|oui|donc|voila)[ ,]+)*"
    r"(?:(?:je m'appelle|je m appelle|mon nom (?:de famille )?(?:c'est|est)|"
    r"mon prenom (?:c'est|est)|moi c'est|c'est|nom|prenom)[ ,]+)?"
    r"(?:(?:madame|monsieur|mademoiselle|mme|mr)\b\.?[ ,]*|m\.[ ,]*)?",
)
_WORDS = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*")
_ONLY_WORDS = re.compile(r"[^\W\d_]+(?:['\- ,]+[^\W\d_]+)*")


def _plain(text: str) -> str:
    """Lowercase, without accents, straight apostrophes, no end punctuation."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.strip().strip(".!?…, ")


def _intent_word(word: str, learnt: FrozenSet[str] = frozenset()) -> bool:
    if word in learnt:
        return True
    for entry in INTENT_WORDS:
        if entry.endswith("*") and word.startswith(entry[:-1]) or word == entry:
            return True
    return False


def carries_an_intent(words: Iterable[str], learnt: FrozenSet[str] = frozenset()) -> bool:
    """Whether one of ``words`` (plain, see :func:`_plain`) carries an intent
    (« quelqu'un », « l'accueil » are checked whole and in parts)."""
    for word in words:
        parts = {word, *re.split(r"['\-]", word)}
        if any(_intent_word(part, learnt) for part in parts if part):
            return True
    return False


def name_words(text: Optional[str]) -> Optional[List[str]]:
    """The plain words of a name answer without its lead-ins, or ``None`` when the
    answer holds anything but letters (digits, symbols) or nothing after them."""
    plain = _plain(text or "")
    if not plain or not _ONLY_WORDS.fullmatch(plain):
        return None
    words = _LEAD_INS.sub("", plain).replace(",", " ").split()
    return words or None


def looks_like_a_name(text: Optional[str], learnt: FrozenSet[str] = frozenset()) -> bool:
    """One to three words of letters, lead-ins aside, none carrying an intent
    (:data:`INTENT_WORDS` or the ``learnt`` words)."""
    words = name_words(text)
    return (
        words is not None
        and len(words) <= MAX_NAME_WORDS
        and not carries_an_intent(words, learnt)
    )


def _example_words(message: Message) -> List[str]:
    """The plain words of a training example, its entity values aside."""
    text = message.get(TEXT) or ""
    for entity in sorted(message.get("entities") or [], key=lambda e: -e.get("start", 0)):
        text = text[: entity.get("start", 0)] + " " + text[entity.get("end", 0):]
    return _WORDS.findall(_plain(text))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class NameAnswerClassifier(GraphComponent):
    """Gives ``inform`` to a bare name that DIET took for another intent."""

    def __init__(
        self,
        known_names: Iterable[str] = (),
        intent_words: Iterable[str] = (),
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
    ) -> None:
        self.known_names: FrozenSet[str] = frozenset(_plain(n) for n in known_names if n)
        self.intent_words: FrozenSet[str] = frozenset(intent_words)
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "NameAnswerClassifier":
        return cls((), (), model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "NameAnswerClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                stored = json.loads((directory / STORED_FILE).read_text("utf-8"))
        except (ValueError, OSError):
            logger.warning("nothing stored with %s: retrain the model", cls.__name__)
            stored = {}
        return cls(
            stored.get("known_names", []), stored.get("intent_words", []),
            model_storage, resource,
        )

    def train(self, training_data: TrainingData) -> Resource:
        """Keeps the names of the ``first_name`` and ``last_name`` lookup tables,
        and the words of the examples of every intent but ``inform``."""
        names = sorted(
            {
                str(element)
                for table in training_data.lookup_tables
                if table.get("name") in NAME_LOOKUPS
                for element in table.get("elements") or []
            }
        )
        name_parts = {part for n in names for part in _WORDS.findall(_plain(n))}
        words = sorted(
            {
                word
                for example in training_data.intent_examples
                if example.get(INTENT) not in KEPT_INTENTS
                for word in _example_words(example)
            }
            - name_parts
            - NAME_WORDS
        )
        self.known_names = frozenset(_plain(n) for n in names)
        self.intent_words = frozenset(words)
        if self._model_storage is not None and self._resource is not None:
            with self._model_storage.write_to(self._resource) as directory:
                (directory / STORED_FILE).write_text(
                    json.dumps({"known_names": names, "intent_words": words},
                               ensure_ascii=False),
                    "utf-8",
                )
        return self._resource

    def is_known_name(self, text: Optional[str]) -> bool:
        """Whether the answer, lead-ins aside, is made of names of the lookups."""
        words = name_words(text)
        if not words or len(words) > MAX_NAME_WORDS:
            return False
        return " ".join(words) in self.known_names or all(
            w in self.known_names for w in words
        )

    def looks_like_a_name(self, text: Optional[str]) -> bool:
        return looks_like_a_name(text, self.intent_words)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if not predicted or predicted == NAME_INTENT:
                continue
            if predicted == FALLBACK_INTENT:
                is_a_name = self.is_known_name(text) and self.looks_like_a_name(text)
            else:
                is_a_name = self.looks_like_a_name(text)
            if is_a_name:
                logger.debug("%r is a name, not %s", text, predicted)
                _demote(message)
        return messages


def _demote(message: Message) -> None:
    """``inform`` first, with the confidence the interruption had, then the rest."""
    put_first(message, NAME_INTENT, (message.get(INTENT) or {}).get("confidence", 1.0))
