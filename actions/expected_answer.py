"""What a question expects, said with the question, for the voice channel.

A question's message carries ``metadata: {"expect": <kind>}``: the domain's own
questions (``utter_ask_*``, ``utter_offer_handoff``) in ``domain.yml``, the questions the
actions write themselves through :func:`expecting`. Text clients never see it; the voice
channel reads it from the reply (phone) or from the conversation's last bot event (HTTP)
to prompt Whisper, snap « oui »/« non » and digits, and offer the keypad.
"""
from __future__ import annotations

from typing import Any, Dict

NAME = "name"
FIRST_NAME = "first_name"  # a lone first name is heard against the known first names
PATIENT_ID = "patient_id"
PHONE = "phone"
DATE = "date"
YES_NO = "yes_no"
KINDS = (NAME, FIRST_NAME, PATIENT_ID, PHONE, DATE, YES_NO)


def expecting(kind: str) -> Dict[str, Any]:
    """``dispatcher.utter_message(text=…, **expecting(YES_NO))``."""
    if kind not in KINDS:
        raise ValueError(f"expected answer must be one of {KINDS}, not {kind!r}")
    return {"metadata": {"expect": kind}}
