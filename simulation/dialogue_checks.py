"""The scripted conversations of the text benchmark (``bench/text_chat.py``), those of
issue #13, and how a chat holds them: for every turn its time, whether it got an answer,
and how many times in a row the bot asked the same question; for every conversation,
whether it ended as it should.

The patients a conversation gives the identity of (:func:`patients_of`) must be
registered at the clinic first: clinic.yml books registered patients only.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Sequence, Tuple

from simulation.latency import latency

# A patient as the clinic registers them: (patient ID, last name, first name, phone).
Registration = Tuple[str, str, str, str]


def _no_patient(n: int) -> List[Registration]:
    return []


@dataclass
class Conversation:
    """A scripted conversation and what its end must look like."""
    name: str
    turns: Callable[[int], List[str]]  # n (a new identity each run) → what the user types
    ends_well: Callable[[List[List[str]]], bool]  # every turn's bot texts → as it should
    # n → the patients the conversation identifies as, to register before it is run
    patients: Callable[[int], List[Registration]] = _no_patient


def _contains(fragment: str) -> Callable[[List[List[str]]], bool]:
    return lambda replies: any(fragment in text for text in replies[-1])


def _patient(n: int, phone: str | None = None) -> Registration:
    """The identity conversation ``n`` books with (one patient ID per conversation)."""
    return (f"{810000 + n}", "Lefebvre", "Camille",
            phone or f"06 12 {n // 100 % 100:02d} {n % 100:02d} 33")


def _booking_until_time(n: int, phone: str | None = None) -> List[str]:
    patient_id, last_name, first_name, phone = _patient(n, phone)
    return ["je voudrais prendre rendez-vous", last_name, first_name, patient_id, phone]


def _far_day() -> str:
    from clinic.config import load_clinic_config
    from spoken_french.say import say_date

    clinic = load_clinic_config()
    day = datetime.now(clinic.timezone).date() + clinic.booking_horizon + timedelta(days=20)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return f"{say_date(day)} à 10h"


CONVERSATIONS = [
    Conversation("« autre chose ? » → « oui » asks what else",
                 lambda n: ["bonjour", "merci beaucoup", "oui"],
                 _contains("Que puis-je faire pour vous")),
    Conversation("a first message that is a name gets an answer",
                 lambda n: ["je m'appelle Martine Lefebvre"], lambda r: bool(r[-1])),
    Conversation("a date too far ahead, said four times: explained, then an offer",
                 lambda n: _booking_until_time(n) + [_far_day()] * 4,
                 lambda r: "jusqu'au" in " ".join(r[-4]) and _contains("accueil")(r),
                 lambda n: [_patient(n)]),
    Conversation("an overseas mobile (La Réunion) is accepted",
                 lambda n: _booking_until_time(n, phone="06 93 88 93 30"),
                 _contains("Quel jour"), lambda n: [_patient(n, phone="06 93 88 93 30")]),
    Conversation("« Claire » after « Durand » is a first name, not a request",
                 lambda n: ["je voudrais prendre rendez-vous", "Durand", "Claire"],
                 lambda r: not any("accueil" in t for t in r[-1]) and bool(r[-1])),
    Conversation("« il faut que je me casse » is not an emergency",
                 lambda n: ["bonjour", "il faut que je me casse"],
                 lambda r: not any("15" in t or "112" in t for t in r[-1]) and bool(r[-1])),
    Conversation("« où se trouve le cabinet ? » gets the address",
                 lambda n: ["où se trouve le cabinet ?"], _contains("Le cabinet se trouve")),
    Conversation("the address asked inside a booking, then the form goes on",
                 lambda n: ["je voudrais prendre rendez-vous", "c'est où votre cabinet ?"],
                 lambda r: any("Le cabinet se trouve" in t for t in r[-1])
                 and any("nom" in t for t in r[-1])),
]


def _numbered(rounds: int, conversations: Sequence[Conversation]):
    """(round, n, conversation) in the order they are run; n: a new identity each run."""
    for round_ in range(rounds):
        for index, conversation in enumerate(conversations):
            yield round_, round_ * len(conversations) + index, conversation


def patients_of(rounds: int = 1,
                conversations: Sequence[Conversation] = CONVERSATIONS) -> List[Registration]:
    """The patients :func:`run_conversations` gives the identity of, over ``rounds``: the
    stack must have them registered (``Stack.register_patients``)."""
    return [patient for _, n, conversation in _numbered(rounds, conversations)
            for patient in conversation.patients(n)]


def run_conversations(say: Callable[[str, str], List[Dict[str, Any]]], rounds: int = 1,
                      conversations: Sequence[Conversation] = CONVERSATIONS) -> Dict[str, Any]:
    """Each conversation ``rounds`` times over ``say(sender, text)`` (the staff chat);
    its patients (:func:`patients_of`) must be registered."""
    times: List[float] = []
    results, silent, most_repeats = [], 0, 0
    for round_, n, conversation in _numbered(rounds, conversations):
        sender, replies, previous, repeats = f"bench-text-{time.time_ns()}-{n}", [], None, 0
        for text in conversation.turns(n):
            began = time.perf_counter()
            answer = say(sender, text)
            times.append(time.perf_counter() - began)
            texts = [m["text"] for m in answer if m.get("text")]
            silent += not texts and not any(m.get("custom") for m in answer)
            question = texts[-1] if texts else None
            repeats = repeats + 1 if question and question == previous else 1
            most_repeats = max(most_repeats, repeats)
            previous = question
            replies.append(texts)
        results.append({"conversation": conversation.name, "round": round_,
                        "ends_well": bool(conversation.ends_well(replies)),
                        "last_reply": replies[-1]})
    return {
        "conversations": len(results),
        "ended_well": sum(r["ends_well"] for r in results),
        "silent_turns": silent,
        "most_times_the_same_question_in_a_row": most_repeats,
        "turn_ms": latency(times),
        "results": results,
    }

