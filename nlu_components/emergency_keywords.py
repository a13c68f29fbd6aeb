"""A safety net for emergencies, and no emergency without a medical reason.

DIET learns ``emergency`` from examples, but a caller in distress says things no
example foresaw, and DIET also takes for emergencies sentences that merely share
words with them: colloquial French uses « se casser », « filer », « partir »,
« mourir », « tuer » for leaving, laughing or being tired (« il faut que je m'en
aille », « je vais mourir de rire », « ça me tue »). This component runs after the
classifiers and:

* sets ``emergency`` whenever the sentence holds an unambiguous alarm sign
  (:func:`nlu_components.medical_alarm.alarm_sign`: chest pain, breathing, bleeding,
  unconsciousness, a stroke, suicide, poisoning, convulsions, a severe allergy, a
  serious injury, a call for help), whatever DIET or the fallback decided;
* says ``goodbye`` for a sentence that only says the caller has to go
  (:data:`LEAVING`) when DIET was unsure of it (``nlu_fallback``) or took it for an
  answer (``inform``: a model trained on another CPU did, for « il faut que je m'en
  aille »);
* keeps DIET's ``emergency`` only when the sentence gives a medical reason
  (:func:`~nlu_components.medical_alarm.medical_reason`). Without one, the caller
  has to go (:data:`LEAVING`, the whole sentence: ``goodbye``), or has a pain that has
  lasted days (:data:`OLD_PAIN`: ``book_appointment``), or meant DIET's next intent,
  which stands if it is as sure as the fallback requires (``fallback_threshold``),
  else ``nlu_fallback`` (the bot asks again).

A medical word is enough to keep DIET's alarm: a false alarm costs less than a missed
one.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.intent_override import IntentRule, put_first
from nlu_components.medical_alarm import alarm_sign, medical_reason

EMERGENCY_INTENT = "emergency"
LEAVING_INTENT = "goodbye"
OLD_PAIN_INTENT = "book_appointment"
FALLBACK_INTENT = "nlu_fallback"
DEFAULT_FALLBACK_THRESHOLD = 0.45  # config.yml's FallbackClassifier threshold

_LEAD_IN = r"(?:(?:euh|bon|ben|bah|bref|alors|écoutez|désolée?|pardon|excusez-moi|oh|ok|"
_LEAD_IN += r"d'accord|bon ben)[ ,]+)*"
_TAIL = r"(?:[ ,]+(?:maintenant|là|vite|tout de suite|désolée?|pardon|merci|au revoir|"
_TAIL += r"bonne journée|on se rappelle))*[ .!,]*"
# The caller has to go: « il faut que je m'en aille », « je dois filer », « je vais
# vous laisser ». The family of leaving verbs, after the ways of saying "I must".
LEAVING = re.compile(
    _LEAD_IN
    + r"(?:(?:il )?faut que je|(?:il )?va falloir que je|je dois|je vais|j'dois|je vais "
    r"devoir|faut que j'|il faut que j'|je suis obligée? de|je dois vraiment)\s*"
    r"(?:me casser|me casse|filer|file|partir|parte|y aller|y aille|m'en aller|m'en aille|"
    r"me sauver|me sauve|raccrocher|raccroche|y go|vous laisser|vous quitter|"
    r"décoller|décolle|bouger|bouge|me tirer|me tire|y retourner)"
    + _TAIL
    + r"|" + _LEAD_IN + r"je (?:m'en vais|me sauve|file|me casse|vous laisse|pars|y vais)"
    + _TAIL,
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
    """An unambiguous alarm sign: ``emergency`` whatever the classifiers said."""
    return bool(text) and alarm_sign(text) is not None


def leaving(text: Optional[str]) -> bool:
    """The whole sentence says the caller has to go (:data:`LEAVING`)."""
    return bool(text) and bool(LEAVING.fullmatch(text.strip().replace("’", "'")))


def not_an_emergency(text: Optional[str]) -> Optional[str]:
    """The intent meant by a sentence that sounds like an emergency but is not one
    (:data:`LEAVING`, :data:`OLD_PAIN`), or ``None``."""
    if not text or is_emergency(text):
        return None
    if leaving(text):
        return LEAVING_INTENT
    if OLD_PAIN.fullmatch(text.strip().replace("’", "'")):
        return OLD_PAIN_INTENT
    return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class EmergencyKeywordClassifier(IntentRule):
    """Overrides the intent with ``emergency`` on alarm signs, and takes DIET's
    ``emergency`` back from a sentence with no medical reason."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"fallback_threshold": DEFAULT_FALLBACK_THRESHOLD}

    def __init__(self, fallback_threshold: float = DEFAULT_FALLBACK_THRESHOLD) -> None:
        self.fallback_threshold = fallback_threshold

    @classmethod
    def from_config(cls, config: Dict[Text, Any]) -> "EmergencyKeywordClassifier":
        return cls(float(config.get("fallback_threshold", DEFAULT_FALLBACK_THRESHOLD)))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if is_emergency(text):
                put_first(message, EMERGENCY_INTENT)
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            top = ranking[0].get(INTENT_NAME_KEY) if ranking else None
            if predicted in (FALLBACK_INTENT, "inform") and leaving(text):
                put_first(message, LEAVING_INTENT)  # DIET unsure, or read an answer
                continue
            if EMERGENCY_INTENT not in (predicted, top):
                continue
            meant = not_an_emergency(text)
            if meant:
                put_first(message, meant)
            elif not medical_reason(text):
                self._next_intent(message, ranking)
        return messages

    def _next_intent(self, message: Message, ranking: List[Dict[Text, Any]]) -> None:
        """DIET's best intent other than ``emergency``, or the fallback when it is not
        sure enough."""
        others = [r for r in ranking
                  if r.get(INTENT_NAME_KEY) not in (EMERGENCY_INTENT, FALLBACK_INTENT)]
        best = others[0] if others else None
        if best is None or float(best.get("confidence") or 0.0) < self.fallback_threshold:
            best = {INTENT_NAME_KEY: FALLBACK_INTENT, "confidence": self.fallback_threshold}
        message.set(INTENT, dict(best), add_to_output=True)
        message.set(INTENT_RANKING_KEY,
                    [dict(best), *[r for r in others if r is not best]], add_to_output=True)
