"""A safety net for emergencies: words that always mean "call the 15".

DIET learns ``emergency`` from examples, but a caller in distress says things no
example foresaw (3-fold cross-validation recalled about half of the held-out
emergencies). This component runs after the classifiers and sets the intent to
``emergency`` whenever the sentence holds one of these unambiguous French
expressions, whatever DIET or the fallback decided.

An emergency needs medical context: a body part (« je me suis cassé la jambe ») or
an alarm sign (« je n'arrive plus à respirer », « il fait un malaise »). Colloquial
French uses the same words for leaving (« il faut que je me casse », « je dois
filer »), and DIET, which learnt « cassé » and « il faut » from emergencies, took
them for one. So the component also undoes DIET's ``emergency`` in the two cases
where the whole sentence says something else and holds no alarm sign:

* the caller has to go (:data:`LEAVING`): that is ``goodbye``;
* a pain that has lasted days (:data:`OLD_PAIN`, « j'ai mal au dos depuis une
  semaine »): that is a request for an appointment, ``book_appointment``.

Both patterns must match the whole sentence, so that any other word (a symptom, a
person who fell...) keeps DIET's ``emergency``: a false alarm costs less than a
missed one.
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
LEAVING_INTENT = "goodbye"
OLD_PAIN_INTENT = "book_appointment"
_BODY_PART = (
    # not « la tête » nor « les pieds »: « je me suis cassé la tête » (I racked my
    # brains), « il m'a cassé les pieds » (he annoyed me)
    r"(?:jambes?|bras|poignets?|chevilles?|hanches?|cou|dos|nez|côtes?|mains?|pied|"
    r"genoux?|épaules?|clavicules?|fémur|bassin|crâne|mâchoire|doigts?|orteils?)"
)
EMERGENCY_EXPRESSIONS = (
    r"urgen(?:t|te|ce|ces)",
    r"au secours",
    r"(?:douleur|mal|serre|serrement)s? (?:dans|à|a) la poitrine",
    r"(?:ne |n')?(?:respire|respirons|respirent) (?:plus|pas|mal)",
    r"(?:n'arrive|arrive) (?:plus|pas) à respirer",
    r"étouffe",
    r"inconscient(?:e)?",
    r"(?:ne se|ne me) réveille pas",
    r"(?:fais|fait|faire|ai fait|a fait) un malaise",
    # a participle only: « il me casse les pieds » (he annoys me) is no fracture
    r"cassée?s? (?:le|la|les|l'|sa|son|ses|ma|mon|mes) ?" + _BODY_PART,
    r"fracture ouverte",
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

_LEAD_IN = r"(?:(?:euh|bon|ben|bah|bref|alors|écoutez|désolée?|pardon|excusez-moi|oh)[ ,]+)*"
_TAIL = r"(?:[ ,]+(?:maintenant|là|vite|tout de suite|désolée?|pardon|merci|au revoir))*[ .!,]*"
# The caller has to go: « il faut que je me casse », « je dois filer ».
LEAVING = re.compile(
    _LEAD_IN
    + r"(?:(?:il )?faut que je|(?:il )?va falloir que je|je dois|je vais|j'dois)\s+"
    r"(?:me casser|me casse|filer|file|partir|parte|y aller|me sauver|me sauve|"
    r"raccrocher|raccroche|y go)" + _TAIL,
    re.IGNORECASE,
)
# A pain that has lasted days: « j'ai mal au dos depuis une semaine ».
OLD_PAIN = re.compile(
    _LEAD_IN
    + r"(?:j'ai|il a|elle a|mon \w+ a|ma \w+ a)\s+(?:(?:très|un peu|assez) )?"
    r"(?:mal|une douleur|des douleurs)\s+(?:au|à la|à l'|aux|à)\s*[\w-]+"
    r"\s+depuis\s+(?:une|un|deux|trois|quatre|cinq|quelques|plusieurs|des|\d+)\s+"
    r"(?:jours?|semaines?|mois|ans?|années?)" + _TAIL,
    re.IGNORECASE,
)


def is_emergency(text: Optional[str]) -> bool:
    return bool(text) and _PATTERN.search(text.replace("’", "'")) is not None


def not_an_emergency(text: Optional[str]) -> Optional[str]:
    """The intent meant by a sentence that sounds like an emergency but is not one
    (:data:`LEAVING`, :data:`OLD_PAIN`), or ``None``."""
    if not text or is_emergency(text):
        return None
    text = text.strip().replace("’", "'")
    if LEAVING.fullmatch(text):
        return LEAVING_INTENT
    if OLD_PAIN.fullmatch(text):
        return OLD_PAIN_INTENT
    return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class EmergencyKeywordClassifier(GraphComponent):
    """Overrides the intent with ``emergency`` on unambiguous expressions, and
    undoes DIET's ``emergency`` on leaving and on old pains."""

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
            text = message.get(TEXT)
            if is_emergency(text):
                _set_intent(message, EMERGENCY_INTENT)
                continue
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            meant = not_an_emergency(text) if predicted == EMERGENCY_INTENT else None
            if meant:
                _set_intent(message, meant)
        return messages


def _set_intent(message: Message, name: str) -> None:
    """``name`` at the top, with full confidence, before the rest of the ranking."""
    intent = {INTENT_NAME_KEY: name, "confidence": 1.0}
    ranking = [
        r for r in message.get(INTENT_RANKING_KEY) or []
        if r.get(INTENT_NAME_KEY) != name
    ]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
