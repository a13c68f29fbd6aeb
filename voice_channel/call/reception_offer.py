"""What a caller is offered when the dialogue is too slow, and how their answer is read.

When a request to the dialogue passes its deadline (:mod:`voice_channel.dialogue.deadline`),
the call apologises and offers the clinic's reception (the ``slow_offer`` prompt), or,
without a reception number, asks the caller to call back (``slow_call_back``).
:func:`answer_to_offer` reads the caller's next turn: "yes" (transfer, ``to_reception``),
"no" (goodbye, ``declined``), or None (anything else: the dialogue is tried again).

The prompts are the domain's (:mod:`voice_channel.dialogue.prompts`), read from the
loaded model, not asked of Rasa: they are said exactly when Rasa does not answer.
"""
from __future__ import annotations

from typing import Optional

from spoken_french.yes_no import snap_yes_no


def answer_to_offer(text: str) -> Optional[str]:
    """"yes" or "no" when the caller's turn is only that (politeness aside), else None."""
    answer = snap_yes_no(text)
    return {"oui": "yes", "non": "no"}.get(answer or "")
