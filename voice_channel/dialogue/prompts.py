"""What the voice channel says by itself: the domain's ``utter_voice_*`` responses.

The channel speaks on its own at a few moments: nothing usable was heard, the dialogue
said nothing, the caller is silent, a number may be typed, a turn failed, Rasa is too
slow to answer (the reception is offered), every line is taken. Those sentences are
responses of the domain (``domain.yml``: ``utter_voice_<name>``, one per field of
:class:`VoicePrompts`), so that the clinic words them where it words everything else
and a new model brings its own. They are read from the domain of the model Rasa has
loaded (:func:`prompts_of`), never asked of Rasa: several are said exactly when Rasa
does not answer. The first text of each response is used.

:data:`DEFAULT_PROMPTS` holds the same sentences for a process with no model loaded
(and for the tests' scripted dialogues); ``tests/voice_channel/test_voice_prompts.py`` checks that
the shipped domain says the same. ``{reception}`` in ``late_reception`` is the front
desk's number, as spoken.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple

logger = logging.getLogger(__name__)

RESPONSE_PREFIX = "utter_voice_"
_TOO_SLOW = "Excusez-moi, notre système met trop de temps à répondre."


@dataclass(frozen=True)
class VoicePrompts:
    # A transcript the recognizer does not trust (turn_core).
    not_heard: str = "Je ne vous ai pas entendu. Pouvez-vous répéter, s'il vous plaît ?"
    # A caller's turn the dialogue answered with nothing (turn_core).
    nothing_to_say: str = ("Excusez-moi, je n'ai pas bien compris. Je peux prendre, déplacer "
                           "ou annuler un rendez-vous, ou vous passer l'accueil du cabinet.")
    # The silence policy (call.silence): re-prompt, then the goodbye that ends the call.
    still_there: str = "Êtes-vous toujours là ?"
    silence_goodbye: str = "Je n'entends plus rien. Au revoir."
    # Added once to a question that asks for a number (call.keypad).
    keypad_offer: str = "Vous pouvez aussi taper votre numéro sur le clavier, puis la touche dièse."
    # A turn that failed inside the channel (call.worker).
    technical_problem: str = ("Excusez-moi, j'ai eu un problème technique. "
                              "Pouvez-vous répéter, s'il vous plaît ?")
    # Every recognition slot taken and the queue full (many calls at once).
    recognition_busy: str = "Excusez-moi, pouvez-vous répéter ?"
    # Rasa too slow on a call (call.reception_offer): the offer, its question (the hint
    # for the answer), the goodbye without a reception number, and the two answers.
    slow_offer: str = f"{_TOO_SLOW} Voulez-vous que je vous passe l'accueil du cabinet ?"
    reception_question: str = "Voulez-vous que je vous passe l'accueil du cabinet ?"
    slow_call_back: str = f"{_TOO_SLOW} Merci de rappeler un peu plus tard. Au revoir."
    to_reception: str = "Très bien, je vous passe l'accueil du cabinet."
    declined: str = "Très bien. Merci de rappeler un peu plus tard. Au revoir."
    # Rasa too slow on a typed or HTTP turn (dialogue.deadline), with and without a number.
    late: str = f"{_TOO_SLOW} Merci de réessayer dans un instant."
    late_reception: str = (f"{_TOO_SLOW} Réessayez dans un instant, ou appelez l'accueil du "
                           "cabinet au {reception}.")
    # The call has lasted phone.max_call_seconds (call.session): its last words.
    too_long: str = ("Notre appel dure depuis longtemps et je dois libérer la ligne. "
                     "Rappelez-nous si besoin. Au revoir.")
    # Every phone line taken (the TwiML answer, or the stream's last words).
    busy: str = "Toutes nos lignes sont occupées. Merci de rappeler dans quelques minutes. Au revoir."

    @classmethod
    def names(cls) -> Tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_responses(cls, responses: Mapping[str, Any]) -> "VoicePrompts":
        """The prompts a domain's ``responses`` define; the defaults for the others."""
        found = {}
        for name in cls.names():
            text = _first_text(responses.get(RESPONSE_PREFIX + name))
            if text is not None:
                found[name] = text
        missing = [name for name in cls.names() if name not in found]
        if missing:
            logger.warning("the domain has no %s: the channel's own wording is used",
                           ", ".join(RESPONSE_PREFIX + name for name in missing))
        return cls(**found)

    def late_apology(self, reception: Optional[str]) -> str:
        """What a typed or HTTP turn gets when Rasa is too slow."""
        return self.late_reception.format(reception=reception) if reception else self.late


def _first_text(variations: Any) -> Optional[str]:
    for variation in variations or []:
        text = variation.get("text") if isinstance(variation, Mapping) else None
        if isinstance(text, str) and text.strip():
            return text.strip()
    return None


DEFAULT_PROMPTS = VoicePrompts()


class DomainPrompts:
    """The prompts of the model the server has loaded, read again when it loads another."""

    def __init__(self) -> None:
        self._domain: Any = None
        self._prompts = DEFAULT_PROMPTS

    def of(self, agent: Any) -> VoicePrompts:
        domain = getattr(agent, "domain", None)
        if domain is None:
            return DEFAULT_PROMPTS
        if domain is not self._domain:
            self._prompts = VoicePrompts.from_responses(getattr(domain, "responses", None) or {})
            self._domain = domain
        return self._prompts


_server_prompts = DomainPrompts()


def prompts_of(app: Any) -> VoicePrompts:
    """The prompts for a request to the Rasa server ``app`` (its loaded model's domain)."""
    return _server_prompts.of(getattr(getattr(app, "ctx", None), "agent", None))
