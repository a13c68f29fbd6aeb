"""Scoring the conversation benchmark: what the bot asked, whether it took what the
patient said, whether the database ends as the patient wanted, and the figures.

**Reading a reply.** :func:`question_kind` names the bot's last question from its
wording (:data:`QUESTIONS`, first match on the last sentence that ends with « ? »,
else on the whole reply): last name, first name, file number, phone, day and time,
offered slots, which appointment, yes/no confirmation, what to correct, « autre
chose ? », an offer of the reception, a request to rephrase.

**Misunderstood turn** (:func:`misunderstood`): the reply to a patient line shows the
bot did not take it, for one of these reasons (all are reported):

* ``fallback``: the bot says it did not understand (:data:`FALLBACKS`);
* ``asked again``: the bot asks the question the line just answered (a fact, the pick
  of a slot, the yes/no of a confirmation);
* ``already said``: the bot asks for a fact (name, first name, file number, phone,
  day and time) the patient gave in an earlier line;
* ``wrong task``: the reply belongs to another request (:data:`TASK_MARKERS`, the
  name questions of a booking when the patient moves or cancels, a date when it
  cancels), carries on with the request the patient just gave up, is the emergency
  answer, or ends the conversation or the request although the patient did not ask to;
* ``pick not taken``: the patient picked one of the slots just offered and the reply
  neither reads it back nor offers again (nor says it was taken meanwhile);
* ``dropped``: « autre chose ? » while the patient's request is not done and the line
  was no question to the clinic;
* ``not recognised``: the bot finds no file or no appointment although the patient's
  identity was right;
* ``goodbye not taken``: the patient says goodbye and the bot asks something again;
* ``unanswered``: a question to the clinic whose answer lacks the expected words;
* ``constraint ignored``: the patient said when it wants to come (or turned down offers
  and said why) and every slot offered misses that wish, with no reason given.

A time asked again after the bot gave a reason (:data:`TIME_REASONS`: no room, closed,
too far…) is no misunderstanding, nor a question the patient asked to hear again; a
slot the patient picked among those just offered may only be refused as taken.

**Completed** (:func:`database_verdict`): the patient's appointments in the database
are exactly what the goal requires: one new booked row that fits the wish (book), the
appointment moved to a time that fits (move), cancelled (cancel); the others as they
were, and no other row added.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from simulation.conversations.wishes import Wish, said_datetimes

QUESTIONS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = tuple(
    (kind, re.compile(pattern)) for kind, pattern in (
        ("confirm", r"je confirme"),
        ("which", r"lequel voulez-vous"),
        ("offer", r"lequel préférez|vous convient"),
        ("correction", r"que faut-il corriger"),
        ("handoff", r"vous passe (?:une personne|l'accueil)|dites « accueil »"),
        ("last_name", r"nom de famille|votre nom\b"),
        ("first_name", r"prénom"),
        ("patient_id", r"dossier"),
        ("phone", r"téléphone"),
        ("time", r"quel jour|quelle date|quelle heure|quel moment|le jour et l'heure"),
        ("anything_else", r"autre chose|que puis-je faire|je vous écoute"),
        ("rephrase", r"autrement|répéter|pardon|toujours là"),
    ))
FACTS = ("last_name", "first_name", "patient_id", "phone", "time")
FALLBACKS = ("je n'ai pas bien compris", "je n'ai pas compris", "dire autrement",
             "je n'arrive pas à vous comprendre", "je ne peux pas vous aider pour cela",
             "pardon ?")
TIME_REASONS = ("plus de place", "déjà pris", "vient d'être pris", "fermé ce jour",
                "ne reçoit pas à cette heure", "jusqu'au", "déjà passé", "heure pile",
                "déjà à cette heure", "déjà un rendez-vous à ce moment",
                "choisissons un autre moment", "cherchons un autre moment")
TASK_MARKERS = {
    "book": ("je vais prendre votre rendez-vous", "souhaitez-vous venir",
             "je récapitule : rendez-vous pour", "c'est noté. votre rendez-vous"),
    "move": ("je vais déplacer", "souhaitez-vous le déplacer", "est déplacé au",
             "votre rendez-vous est maintenant"),
    "cancel": ("je vais annuler", "je confirme l'annulation", "est annulé"),
}
BOOKING_ONLY = ("last_name", "first_name")
DONE = {"book": "c'est noté. votre rendez-vous est le",
        "move": "votre rendez-vous est maintenant le", "cancel": "est annulé"}
# A slot picked among those just offered is refused for these reasons only (a race).
TAKEN_REASONS = ("déjà pris", "vient d'être pris", "déjà un rendez-vous à ce moment")
STOPPED = ("j'arrête là", "rien n'a été modifié", "je n'annule rien")
_TRANSFER = re.compile(r"(?:^|[.!?] )(?:très bien, )?je vous passe l'accueil")
EMERGENCY = "le 15, ou le 112"
NOT_RECOGNISED = ("je ne retrouve pas de dossier", "aucun rendez-vous à venir")


def joined(texts: Sequence[str]) -> str:
    return " ".join(t for t in texts if t).lower()


def question_kind(texts: Sequence[str]) -> str:
    """The kind of the bot's last question ("none" when it asks nothing known)."""
    reply = joined(texts)
    questions = re.findall(r"[^.?!]*\?", reply)
    for candidate in ([questions[-1]] if questions else []) + [reply]:
        for kind, pattern in QUESTIONS:
            if pattern.search(candidate):
                return kind
    return "none"


def done_task(texts: Sequence[str]) -> Optional[str]:
    """The request the bot says it has just carried out, if any."""
    reply = joined(texts)
    return next((task for task, marker in DONE.items() if marker in reply), None)


def bot_ended(texts: Sequence[str]) -> bool:
    """The bot said goodbye or put the caller through to the reception."""
    reply = joined(texts)
    return "au revoir" in reply or bool(_TRANSFER.search(reply))


@dataclass(frozen=True)
class Turn:
    """What scoring needs of one patient line (see ``Line`` in conversation_patient)."""
    text: str
    goal: str
    gives: FrozenSet[str] = frozenset()
    expects: Tuple[str, ...] = ()
    insists: bool = False
    repeat: bool = False
    stops: bool = False
    wrong: bool = False
    switches: bool = False  # the patient changes its request in this line


def misunderstood(turn: Turn, texts: Sequence[str], said_before: Set[str],
                  done: bool, wish: Optional[Wish] = None,
                  identity_wrong: bool = False, now: Optional[datetime] = None) -> List[str]:
    """Why the reply ``texts`` to ``turn`` shows the bot did not take it (see the
    module); empty when it did. ``said_before``: facts of earlier lines; ``done``:
    the request was carried out before this reply."""
    reply = joined(texts)
    kind = question_kind(texts)
    why = []
    if any(f in reply for f in FALLBACKS):
        why.append("fallback")
    reasons = TAKEN_REASONS if "offer" in turn.gives else TIME_REASONS
    excused = turn.repeat or (kind in ("time", "offer") and any(r in reply for r in reasons))
    if not excused and (kind in turn.gives or ("offer" in turn.gives and kind == "time")):
        why.append("asked again")
    elif not excused and kind in FACTS and kind in said_before:
        why.append("already said")
    if _wrong_task(turn, reply, kind):
        why.append("wrong task")
    if ("offer" in turn.gives and kind not in ("offer", "time", "confirm")
            and done_task(texts) is None and not any(r in reply for r in TAKEN_REASONS)):
        why.append("pick not taken")
    if (kind == "anything_else" and not done and done_task(texts) is None
            and not turn.expects and not turn.stops and "wrong task" not in why):
        why.append("dropped")
    if not identity_wrong and any(n in reply for n in NOT_RECOGNISED):
        why.append("not recognised")
    if turn.stops and not bot_ended(texts) and kind != "none":
        why.append("goodbye not taken")
    if turn.expects and not any(e.lower() in reply for e in turn.expects):
        why.append("unanswered")
    if _ignores_wish(turn, reply, kind, wish, now):
        why.append("constraint ignored")
    return why


def _ignores_wish(turn: Turn, reply: str, kind: str, wish: Optional[Wish],
                  now: Optional[datetime]) -> bool:
    """Offers that all miss the wish the line just said, with no reason given."""
    if wish is None or now is None or kind != "offer":
        return False
    if not (turn.insists or "time" in turn.gives) or any(r in reply for r in TIME_REASONS):
        return False
    offered = said_datetimes(reply, now.date(), now.tzinfo)
    return bool(offered) and not any(wish.fits(s) for s in offered)


def _wrong_task(turn: Turn, reply: str, kind: str) -> bool:
    others = [t for t in TASK_MARKERS if t != turn.goal]
    if any(marker in reply for task in others for marker in TASK_MARKERS[task]):
        return True
    if turn.goal != "book" and kind in BOOKING_ONLY:
        return True
    if turn.goal == "cancel" and kind in ("time", "offer"):
        return True
    if turn.switches and not any(m in reply for m in TASK_MARKERS[turn.goal]):
        return True  # the bot carries on with the request the patient gave up
    if EMERGENCY in reply:
        return True
    ended = any(e in reply for e in STOPPED) or "au revoir" in reply or _TRANSFER.search(reply)
    return not turn.stops and bool(ended)


def repeated_questions(kinds: Sequence[str]) -> Dict[str, int]:
    """How many times each question was asked, for those asked three times or more
    (a pick among offered slots counts as the day-and-time question)."""
    counted: Dict[str, int] = {}
    for kind in kinds:
        key = "time" if kind == "offer" else kind
        if key in (*FACTS, "which", "confirm", "correction"):
            counted[key] = counted.get(key, 0) + 1
    return {kind: n for kind, n in counted.items() if n >= 3}


@dataclass(frozen=True)
class Row:
    """One appointment of the patient as the database holds it (local time)."""
    id: int
    doctor_id: str
    start: datetime
    status: str


def database_verdict(goal: str, wish: Wish, seeded: Sequence[Row], target: Optional[int],
                     rows: Sequence[Row], rows_added: int) -> Tuple[bool, str]:
    """Whether the patient's appointments ``rows`` are what ``goal`` requires, given the
    appointments ``seeded`` before the conversation (``target``: the id of the one to
    move or cancel) and the number of rows the whole database gained."""
    before = {row.id: row for row in seeded}
    now = {row.id: row for row in rows}
    untouched = [i for i in before if i != target or goal == "book"]
    changed = [i for i in untouched if now.get(i) != before[i]]
    if changed:
        return False, f"appointment(s) {changed} changed though not asked to"
    added = [row for row in rows if row.id not in before]
    expected_added = 1 if goal == "book" else 0
    if len(added) != expected_added or rows_added != expected_added:
        return False, (f"{len(added)} new row(s) for the patient, {rows_added} in the "
                       f"database; expected {expected_added}")
    if goal == "book":
        return _fits(added[0], wish, "booked")
    row = now.get(target)
    if row is None:
        return False, "the appointment to change is gone"
    if goal == "cancel":
        ok = row.status == "cancelled"
        return ok, "cancelled" if ok else f"still {row.status} on {row.start:%Y-%m-%d %H:%M}"
    return _fits(row, wish, "booked")


def _fits(row: Row, wish: Wish, status: str) -> Tuple[bool, str]:
    where = f"{row.status} {row.start:%a %Y-%m-%d %H:%M} with {row.doctor_id}"
    if row.status != status:
        return False, where
    missed = wish.misses(row.start, row.doctor_id)
    return (not missed, where if not missed else f"{where}, misses {', '.join(missed)}")


def summary(results: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """The headline figures over per-conversation ``results``."""
    n = len(results)
    completed = [r for r in results if r["completed"]]
    misunderstood_counts = [len(r["misunderstood"]) for r in results]
    to_success = [r["turns_to_success"] for r in completed if r.get("turns_to_success")]
    kinds = sorted({r["kind"] for r in results})
    return {
        "conversations": n,
        "completed": len(completed),
        "completed_pct": round(100 * len(completed) / n, 1) if n else None,
        "completed_by_kind": {k: f"{sum(r['completed'] for r in results if r['kind'] == k)}"
                                 f"/{sum(r['kind'] == k for r in results)}" for k in kinds},
        "misunderstood_turns_total": sum(misunderstood_counts),
        "misunderstood_turns_mean": round(statistics.fmean(misunderstood_counts), 2) if n else None,
        "conversations_with_a_misunderstanding": sum(c > 0 for c in misunderstood_counts),
        "conversations_with_a_question_asked_3_times": sum(bool(r["asked_3_times"]) for r in results),
        "turns_to_success_median": statistics.median(to_success) if to_success else None,
        "silent_replies": sum(r["silent_replies"] for r in results),
        "patient_turns_total": sum(r["turns"] for r in results),
    }


def patterns(results: Sequence[Dict[str, Any]], top: int = 15) -> List[Dict[str, Any]]:
    """The most frequent misunderstandings: what the patient was answering, and why."""
    def key(m: Dict[str, Any]) -> Tuple[str, str, str]:
        return m["answering"], m["asked"], ", ".join(m["why"])

    counted = Counter(key(m) for r in results for m in r["misunderstood"])
    example: Dict[Tuple[str, str, str], Dict[str, str]] = {}
    for r in results:
        for m in r["misunderstood"]:
            example.setdefault(key(m), {"patient": m["patient"], "bot": m["bot"], "id": r["id"]})
    return [{"answering": a, "asked": q, "why": w, "count": n, "example": example[(a, q, w)]}
            for (a, q, w), n in counted.most_common(top)]
