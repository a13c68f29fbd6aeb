"""What a caller is offered when the dialogue is too slow, and how their answer is read.

When a request to the dialogue passes its deadline (:mod:`voice_channel.dialogue.deadline`),
the call apologises and offers the clinic's reception (:data:`SLOW_OFFER`), or, without a
reception number, asks the caller to call back (:data:`SLOW_CALL_BACK`).
:func:`answer_to_offer` reads the caller's next turn: "yes" (transfer), "no" (goodbye),
or None (anything else: the dialogue is tried again).

These prompts stay in code, not in the domain: they are said exactly when Rasa does
not answer, so Rasa cannot be the one to say them.
"""
from __future__ import annotations

from typing import Optional

from spoken_french.yes_no import snap_yes_no

OFFER_QUESTION = "Voulez-vous que je vous passe l'accueil du cabinet ?"
SLOW_OFFER = f"Excusez-moi, notre système met trop de temps à répondre. {OFFER_QUESTION}"
SLOW_CALL_BACK = ("Excusez-moi, notre système met trop de temps à répondre. "
                  "Merci de rappeler un peu plus tard. Au revoir.")
TO_RECEPTION = "Très bien, je vous passe l'accueil du cabinet."
DECLINED = "Très bien. Merci de rappeler un peu plus tard. Au revoir."


def answer_to_offer(text: str) -> Optional[str]:
    """"yes" or "no" when the caller's turn is only that (politeness aside), else None."""
    answer = snap_yes_no(text)
    return {"oui": "yes", "non": "no"}.get(answer or "")
