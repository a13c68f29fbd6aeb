"""The patient of the conversation benchmark: answers whatever the bot asks, from what
it knows, the way callers talk.

A :class:`~simulation.conversations.script.Script` is one entry of
``bench/data/conversations.yml`` made concrete for today (identity, wish, appointments).
:class:`Patient` says the opening line, then answers each reply: the bot's question is
recognised from its wording (:func:`~simulation.conversations.scoring.question_kind`) and
answered from the facts, in the conversation's style (numbers in digits, in pairs of
words or digit by digit; hesitations). Offered slots: it takes the first that fits its
wish (another one, then the day with the hour, if its pick is refused), else says which
constraint was missed (« non, plutôt l'après-midi »), then its whole wish again, then a
precise time that fits. A read-back: it checks the request, the name, the file number
and the time, and says « non » with the reason when one is wrong. Not understood, it
says its answer plainly (« Colin »), then its request again. Scripted events replace the
normal answer the first time the bot asks a given question (``when``): a wrong value
then its correction (``then``), a change of mind (``goal``), a request to repeat, a
question to the clinic, a thank-you at the end (``when: end``).

Every :class:`Line` carries the facts it gives, for the scoring: placeholders in a
template say so (``{nom}``: last name, ``{prenom}``, ``{dossier}``, ``{telephone}``,
``{quand}``: the wished day and time); ``{jour}`` is the wished day alone, ``{rdv}``
the day of the appointment to move or cancel, ``{dossier_faux}`` a wrong file number.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from simulation.conversations.scoring import FALLBACKS, Turn, done_task, joined, question_kind
from simulation.conversations.script import REQUESTS, Event, Script, gives_of, spoken_hour
from simulation.conversations.wishes import first_fitting, said_datetimes
from spoken_french.normalize import without_accents
from spoken_french.say import FRENCH_WEEKDAYS

ANSWERS = {
    "last_name": ("{nom}", "c'est {nom}", "alors, {nom}", "{nom}, voilà"),
    "first_name": ("{prenom}", "{prenom}", "c'est {prenom}", "euh {prenom}"),
    "patient_id": ("{dossier}", "c'est le {dossier}", "attendez... alors {dossier}",
                   "oui, c'est {dossier}"),
    "phone": ("{telephone}", "c'est le {telephone}", "alors c'est le {telephone}"),
    "yes": ("oui", "oui c'est ça", "oui oui", "oui, parfait", "ouais c'est bon", "d'accord oui"),
    "bye": ("non merci, au revoir", "non c'est tout, merci au revoir",
            "non ce sera tout, bonne journée"),
}
# The plainest way to say an answer again when the bot did not understand it.
BARE = {"last_name": "{nom}", "first_name": "{prenom}", "patient_id": "{dossier}",
        "phone": "{telephone}", "time": "{quand}"}
# A read-back of another request than the patient's: what it says instead of « oui ».
WRONG_TASK = {"book": "non, moi je veux prendre un nouveau rendez-vous",
              "move": "non, c'est pas ça, je veux déplacer mon rendez-vous",
              "cancel": "non non, je veux juste annuler mon rendez-vous"}
INSIST = {
    "day": "non, moi il me faudrait {jour}",
    "part": "non, plutôt {part} si possible",
    "not_before": "ah non, pas avant {heure}, je peux pas",
    "before": "non, il me faudrait avant {heure}",
    "around": "non, plutôt vers {heure}",
    "doctor": "non, je voudrais voir le docteur {docteur}",
    "same": "ben non, ça c'est l'heure que j'ai déjà",
}


@dataclass(frozen=True)
class Line(Turn):
    """One thing the patient says (a :class:`Turn` for the scoring)."""
    forgets: FrozenSet[str] = frozenset()


@dataclass
class Patient:
    """Plays a :class:`Script` turn by turn."""
    script: Script
    now: datetime
    goal: str = ""
    done: bool = False
    asked: Counter = field(default_factory=Counter)
    pending: List[Line] = field(default_factory=list)
    fired: List[Event] = field(default_factory=list)
    questions_left: List[Tuple[str, Tuple[str, ...]]] = field(default_factory=list)
    mismatch: str = "la date"
    last: Optional[Line] = None
    insisted: int = 0
    tried: List[datetime] = field(default_factory=list)  # offers picked already

    def __post_init__(self) -> None:
        self.goal = self.goal or self.script.goal
        self.rng = random.Random(self.script.id)
        self.questions_left = list(self.script.questions)

    def line(self, template: str, gives: FrozenSet[str] = frozenset(),
             words: Optional[Dict[str, str]] = None, **extra) -> Line:
        """``template`` said with the conversation's words (or ``words``)."""
        text = template.format_map(words or self.script.words)
        said = Line(text=text, goal=self.goal, gives=gives_of(template) | gives, **extra)
        self.last = said
        return said

    def opening(self) -> Line:
        return self.line(self.script.opening, expects=self.script.opening_expects)

    def reply_to(self, texts: Sequence[str]) -> Optional[Line]:
        """What the patient says next; None once the conversation is over for it."""
        kind = question_kind(texts)
        self.asked[kind] += 1
        self.done = self.done or done_task(texts) == self.goal
        if self.pending:
            return self.pending.pop(0)
        event = self._event("end" if self.done and kind == "anything_else" else kind)
        if event is not None:
            return self._fire(event)
        return self._answer(kind, texts)

    def _event(self, kind: str) -> Optional[Event]:
        for event in self.script.events:
            if event.when == kind and event not in self.fired:
                self.fired.append(event)
                return event
        return None

    def _fire(self, event: Event) -> Line:
        self.goal = event.goal or self.goal
        if event.then:
            follow = self.line(event.then, event.then_gives)
            self.pending.append(follow)
        return self.line(event.say, event.gives, repeat=event.repeat, wrong=event.wrong,
                         expects=event.expects, stops=event.when == "end",
                         switches=event.goal is not None)

    def _answer(self, kind: str, texts: Sequence[str]) -> Line:
        if kind in ("last_name", "first_name", "patient_id", "phone"):
            return self.line(("euh... " if self.script.hesitant else "") + self._pick(ANSWERS[kind]))
        if kind in ("time", "offer") and self.goal == "cancel":
            return self.line(self.request())
        if kind == "time":
            return self.line("{quand}")
        if kind == "offer":
            return self._offer(texts)
        if kind == "confirm":
            return self._confirm(texts)
        if kind == "which":
            return self.line(self._pick(("celui de {rdv}", "le rendez-vous de {rdv}")),
                             frozenset({"which"}))
        if kind == "correction":
            return self.line(self.mismatch)
        if kind == "anything_else" and self.done:
            return self.line(self._pick(ANSWERS["bye"]), stops=True)
        if kind == "anything_else" and self.questions_left:
            question, expects = self.questions_left.pop(0)
            return self.line(question, expects=expects)
        if kind == "handoff":
            return self.line("non non, " + self.request())
        misheard = any(f in joined(texts) for f in FALLBACKS)
        if kind in ("rephrase", "none") and misheard and self.last is not None:
            return self._rephrase(self.last)
        return self.line(self.request())

    def _rephrase(self, last: Line) -> Line:
        """Not understood: a plain answer (« Colin », « non ») if the line answered a
        question, else the request again in the patient's words."""
        plain = dict(BARE, confirm="non" if last.text.startswith("non") else "oui")
        for kind, template in plain.items():
            if kind in last.gives and last.text != template.format_map(self.script.words):
                return self.line(template, frozenset({kind} & {"confirm"}))
        return self.line(self.request())

    def request(self) -> str:
        """How the patient says what it wants (its own words while its mind is the same)."""
        return self.script.request if self.goal == self.script.goal else REQUESTS[self.goal]

    def _pick(self, variants: Sequence[str]) -> str:
        return self.rng.choice(list(variants))

    def _offer(self, texts: Sequence[str]) -> Line:
        """The first offer that fits the wish and was not refused yet; once every fitting
        offer was tried, the day is said with the hour."""
        offered = said_datetimes(" ".join(texts), self.now.date(), self.now.tzinfo)
        index = first_fitting(self.script.wish, offered)
        if index is None:
            return self._insist(offered)
        fresh = [s for s in offered[index:] if self.script.wish.fits(s) and s not in self.tried]
        chosen = fresh[0] if fresh else offered[index]
        self.tried.append(chosen)
        hour = spoken_hour(chosen.time(), self.script.numbers)
        if not fresh:
            day = f"{FRENCH_WEEKDAYS[chosen.weekday()]} {chosen.day}"
            template = f"je vous dis : le {day} à {hour}"
        elif len(offered) == 1:
            template = self._pick(("oui, ça me va", "oui très bien", "d'accord, parfait"))
        else:
            template = self._pick((f"{hour} ça m'va", f"à {hour}, c'est parfait",
                                   f"alors euh... {hour}", f"va pour {hour}"))
        return self.line(template, frozenset({"offer"}))

    def _insist(self, offered: Sequence[datetime]) -> Line:
        """Turning offers down: the constraint they miss, then the whole wish again,
        then a precise day and time that fits it (as a caller ends up doing)."""
        self.insisted += 1
        if self.insisted == 2:
            return self.line("non, je vous ai dit : {quand}", insists=True, forgets=frozenset({"time"}))
        times = self.script.fallback_times
        if self.insisted > 2 and times:
            moment = times[(self.insisted - 3) % len(times)]
            day = f"{FRENCH_WEEKDAYS[moment.weekday()]} {moment.day}"
            hour = spoken_hour(moment.time(), self.script.numbers)
            return self.line(f"bon, alors {day} à {hour}, c'est possible ?", frozenset({"time"}),
                             insists=True)
        wish = self.script.wish
        missed = Counter(m for start in offered for m in wish.misses(start))
        reason = next((m for m in INSIST if m in missed), "day")
        limit = wish.around or wish.not_before or wish.before or time(9)
        words = {**self.script.words, "heure": spoken_hour(limit, self.script.numbers),
                 "part": "le matin" if wish.part == "matin" else "l'après-midi",
                 "docteur": (wish.doctor or "").capitalize()}
        self.mismatch = "la date"
        return self.line(INSIST[reason], words=words, insists=True, forgets=frozenset({"time"}))

    def _confirm(self, texts: Sequence[str]) -> Line:
        recap = next((t for t in texts if "confirme" in t.lower()), " ".join(texts))
        said = said_datetimes(recap, self.now.date(), self.now.tzinfo)
        wrong = self._wrong_in(recap, said)
        if wrong is None:
            return self.line(self._pick(ANSWERS["yes"]), frozenset({"confirm"}))
        self.mismatch = wrong[0]
        return self.line(wrong[1], frozenset({"confirm"}), forgets=frozenset({"time"}))

    def _wrong_in(self, recap: str, said: List[datetime]) -> Optional[Tuple[str, str]]:
        """What is wrong in a read-back: (field to correct, what the patient says)."""
        plain = without_accents(recap.lower())
        task = "cancel" if "annulation" in plain else "move" if "deplace au" in plain else "book"
        if task != self.goal:
            return "rien", WRONG_TASK[self.goal]
        if task == "cancel":
            if said and self.script.target_start and said[0] != self.script.target_start:
                return "la date", "non, pas celui-là, celui de {rdv}"
            return None
        if self.goal == "book":
            for name, field_ in (("prenom", "le prénom"), ("nom", "le nom")):
                if without_accents(self.script.words[name].lower()) not in plain:
                    return field_, f"non, c'est pas ça, {field_}, c'est {{{name}}}"
            digits = re.sub(r"\D", "", plain.partition("dossier")[2].partition(",")[0])
            if digits and digits != self.script.words["dossier_chiffres"]:
                return "le numéro de dossier", "non, le numéro de dossier c'est pas ça"
            phone = re.sub(r"\D", "", plain.partition("telephone")[2].partition(",")[0])
            if phone and phone != self.script.words["telephone_chiffres"]:
                return "le téléphone", "non, le téléphone c'est pas le bon"
        doctor = self.script.wish.doctor
        if said and not self.script.wish.fits(said[-1]):
            return "la date", "non, c'est pas le bon moment"
        if doctor and doctor not in plain:
            return "la date", f"non, je voulais le docteur {doctor.capitalize()}"
        return None
