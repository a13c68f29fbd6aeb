"""bench/conversations.py: the adaptive patient, the misunderstanding rule and the
database check, on stand-in bots and databases; one e2e test runs three conversations
on the real stack."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from clinic.config import load_clinic_config
from simulation.conversations.patient import Patient
from simulation.conversations.runner import run_conversation
from simulation.conversations.script import (Event, Script, identity, load_entries,
                                             number_words, registration, spoken_digits)
from simulation.conversations.scoring import (Row, Turn, database_verdict, misunderstood,
                                              question_kind, repeated_questions, summary)
from simulation.conversations.wishes import Wish, days_of, said_datetimes, wish_of
from spoken_french.numbers import normalize_phone

CLINIC = load_clinic_config()
TZ = CLINIC.timezone
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=TZ)  # an ordinary Monday, no holiday near


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=TZ)


def test_the_bots_questions_are_recognised_from_their_wording():
    assert question_kind(["Très bien, je vais prendre votre rendez-vous.",
                          "Quel est votre nom de famille ?"]) == "last_name"
    assert question_kind(["Quel est votre numéro de dossier patient ? Vous pouvez le dire "
                          "chiffre par chiffre."]) == "patient_id"
    assert question_kind(["Je peux vous proposer mardi 2 mars à 9 heures ou à 10 heures. "
                          "Lequel préférez-vous ?"]) == "offer"
    assert question_kind(["Je récapitule : rendez-vous pour Léa Picard, dossier 1 2 3 4 5 6, "
                          "téléphone 06 12 34 56 78, le mardi 2 mars à 9 heures. Je confirme ?"]) == "confirm"
    assert question_kind(["C'est noté. Votre rendez-vous est le mardi 2 mars à 9 heures. "
                          "Puis-je faire autre chose pour vous ?"]) == "anything_else"
    assert question_kind(["Le cabinet se trouve 12 rue des Lilas."]) == "none"


def test_a_question_asked_again_right_after_its_answer_is_a_misunderstanding():
    answer = Turn("Lefort", "book", gives=frozenset({"last_name"}))
    assert misunderstood(answer, ["Quel est votre nom de famille ?"], set(), False) == ["asked again"]
    assert misunderstood(answer, ["Et votre prénom ?"], set(), False) == []


def test_a_fact_said_in_an_earlier_line_and_asked_for_is_a_misunderstanding():
    answer = Turn("06 12 34 56 78", "book", gives=frozenset({"phone"}))
    why = misunderstood(answer, ["Quel est votre numéro de dossier patient ?"],
                        {"last_name", "patient_id"}, False)
    assert why == ["already said"]


def test_fallbacks_other_tasks_and_dropped_requests_are_misunderstandings():
    opening = Turn("je voudrais annuler mon rendez-vous", "cancel")
    assert misunderstood(opening, ["Excusez-moi, je n'ai pas bien compris. Pouvez-vous le "
                                   "dire autrement ?"], set(), False) == ["fallback"]
    assert "wrong task" in misunderstood(
        opening, ["Très bien, je vais prendre votre rendez-vous.", "Quel est votre nom de famille ?"],
        set(), False)
    booking = Turn("je voudrais un rendez-vous", "book")
    assert misunderstood(booking, ["Je vous en prie. Puis-je faire autre chose pour vous ?"],
                         set(), False) == ["dropped"]


def test_a_time_asked_again_for_a_reason_or_a_question_heard_again_is_no_misunderstanding():
    time_said = Turn("demain à 10h", "book", gives=frozenset({"time"}))
    assert misunderstood(time_said, ["Il n'y a plus de place à ce moment-là. Quel jour et à "
                                     "quelle heure souhaitez-vous venir ?"], set(), False) == []
    repeat = Turn("pardon ? vous pouvez répéter ?", "book", repeat=True)
    assert misunderstood(repeat, ["Je répète.", "Et votre prénom ?"], {"last_name"}, False) == []


def test_offers_that_ignore_the_constraint_just_said_are_a_misunderstanding():
    wish = Wish(days=(date(2027, 3, 2),), part="après-midi")
    insists = Turn("non, plutôt l'après-midi", "book", insists=True)
    morning = ["Je peux vous proposer mardi 2 mars à 9 heures ou à 9 heures 30. Lequel préférez-vous ?"]
    afternoon = ["Je peux vous proposer mardi 2 mars à 14 heures ou à 15 heures. Lequel préférez-vous ?"]
    assert misunderstood(insists, morning, set(), False, wish, now=MONDAY) == ["constraint ignored"]
    assert misunderstood(insists, afternoon, set(), False, wish, now=MONDAY) == []


def test_the_database_check_wants_exactly_the_row_the_goal_requires():
    wish = Wish(days=(date(2027, 3, 2),), part="matin")
    right = Row(7, "martin", at(2, 10), "booked")
    assert database_verdict("book", wish, [], None, [right], 1)[0]
    assert not database_verdict("book", wish, [], None, [Row(7, "martin", at(2, 15), "booked")], 1)[0]
    assert not database_verdict("book", wish, [], None, [right, Row(8, "dubois", at(2, 11), "booked")], 2)[0]
    assert not database_verdict("book", wish, [], None, [], 0)[0]
    seed, other = Row(3, "martin", at(4, 9), "booked"), Row(4, "martin", at(5, 9), "booked")
    moved = Wish(days=(date(2027, 3, 2),), not_at=seed.start)
    assert database_verdict("move", moved, [seed], 3, [Row(3, "martin", at(2, 9), "booked")], 0)[0]
    assert not database_verdict("move", moved, [seed], 3, [seed], 0)[0]
    cancelled = Row(3, "martin", at(4, 9), "cancelled")
    assert database_verdict("cancel", Wish(), [seed, other], 3, [cancelled, other], 0)[0]
    wrong_row = [seed, Row(4, "martin", at(5, 9), "cancelled")]
    assert not database_verdict("cancel", Wish(), [seed, other], 3, wrong_row, 0)[0]


def test_day_expressions_and_closed_days():
    saturday = date(2027, 3, 6)
    assert days_of("demain", saturday) == [date(2027, 3, 7)]
    assert days_of("jeudi", saturday) == [date(2027, 3, 11)]
    assert days_of("mardi prochain", date(2027, 3, 1)) == [date(2027, 3, 2), date(2027, 3, 9)]
    assert days_of("la semaine prochaine", date(2027, 3, 3))[0] == date(2027, 3, 8)
    now = datetime.combine(saturday, time(9), tzinfo=TZ)
    wish = wish_of({"day": "demain|après-demain", "part": "matin"}, saturday, CLINIC, now)
    assert wish.days == (date(2027, 3, 8),) and wish.day_said == "après-demain"  # Sunday closed
    assert wish.misses(at(8, 14)) == ["part"] and wish.fits(at(8, 9, 30))


def test_the_bots_dates_and_times_are_read_back():
    said = said_datetimes("Je peux vous proposer mardi 2 mars à 9 heures, à 9 heures 30 ou à "
                          "midi.", date(2027, 3, 1), TZ)
    assert said == [at(2, 9), at(2, 9, 30), at(2, 12)]
    new_year = said_datetimes("lundi 3 janvier à 14 heures", date(2026, 12, 28), TZ)
    assert new_year == [datetime(2027, 1, 3, 14, tzinfo=TZ)]


def test_numbers_are_said_as_patients_say_them():
    assert [number_words(n) for n in (17, 21, 71, 80, 92)] == [
        "dix-sept", "vingt et un", "soixante et onze", "quatre-vingts", "quatre-vingt-douze"]
    assert spoken_digits("0612345678", "paires") == "zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit"
    assert spoken_digits("0612345678", "chiffres") == "06 12 34 56 78"
    assert spoken_digits("407", "un par un") == "quatre zéro sept"


def script(**changes) -> Script:
    words = {"nom": "Picard", "prenom": "Léa", "dossier": "123456", "dossier_chiffres": "123456",
             "telephone": "06 12 34 56 78", "telephone_chiffres": "0612345678",
             "jour": "mardi", "quand": "mardi après-midi", "rdv": ""}
    base = dict(id="t", kind="book", goal="book", opening="bonjour, {prenom} {nom}, pour {quand}",
                request="je voudrais un rendez-vous", words=words,
                wish=Wish(days=(date(2027, 3, 2),), part="après-midi", day_said="mardi"))
    return Script(**{**base, **changes})


def test_the_patient_picks_an_offer_that_fits_or_says_what_was_missed():
    patient = Patient(script(), MONDAY)
    assert patient.opening().gives == {"last_name", "first_name", "time"}
    picked = patient.reply_to(["Je peux vous proposer mardi 2 mars à 11 heures ou à 15 heures. "
                               "Lequel préférez-vous ?"])
    assert "15h" in picked.text and picked.gives == {"offer"}
    refused = patient.reply_to(["Je peux vous proposer mardi 2 mars à 9 heures ou à 10 heures. "
                                "Lequel préférez-vous ?"])
    assert refused.insists and "l'après-midi" in refused.text
    no = patient.reply_to(["Je récapitule : rendez-vous pour Léa Picard, dossier 1 2 3 4 5 6, "
                           "téléphone 06 12 34 56 78, le mardi 2 mars à 9 heures. Je confirme ?"])
    assert no.text.startswith("non") and patient.reply_to(["Que faut-il corriger ?"]).text == "la date"


def test_scripted_events_fire_once_with_their_follow_up():
    event = Event("first_name", "Martin", then="non pardon, pas Martin, Martine",
                  then_gives=frozenset({"first_name"}))
    patient = Patient(script(events=(event,)), MONDAY)
    assert patient.reply_to(["Et votre prénom ?"]).gives == frozenset()
    assert patient.reply_to(["Quel est votre numéro de dossier ?"]).gives == {"first_name"}
    assert patient.reply_to(["Et votre prénom ?"]).text.endswith("Léa")


class StandInClinic:
    """The database side of run_conversation, in memory."""

    def __init__(self):
        self.config, self.rows = CLINIC, []

    def now(self):
        return MONDAY

    def rows_of(self, patient_id):
        return list(self.rows)

    def count(self):
        return len(self.rows)


def stand_in_bot(clinic, book_at, ask_twice=False):
    """A bot that books through the usual questions; ``ask_twice`` asks the name twice."""
    questions = ["Quel est votre nom de famille ?"] * (2 if ask_twice else 1) + [
        "Et votre prénom ?", "Quel est votre numéro de dossier patient ?",
        "Quel est votre numéro de téléphone ?", "Quel jour et à quelle heure souhaitez-vous venir ?",
        "Je récapitule : rendez-vous pour Léa Picard, le mardi 2 mars à 15 heures. Je confirme ?"]

    def say(sender, text):
        if questions:
            return [{"text": questions.pop(0)}]
        if text.startswith("non"):
            return [{"text": "Merci de votre appel. Au revoir et bonne journée."}]
        clinic.rows.append(Row(1, "martin", book_at, "booked"))
        return [{"text": "C'est noté. Votre rendez-vous est le mardi 2 mars à 15 heures. "
                         "Puis-je faire autre chose pour vous ?"}]
    return say


ENTRY = {"id": "stand-in", "kind": "book", "patient": ["Picard", "Léa"],
         "opening": "bonjour, je voudrais un rendez-vous",
         "wish": {"day": "mardi", "part": "après-midi", "said": "{jour} après-midi"}}


def test_a_conversation_is_completed_when_the_database_holds_the_wished_booking():
    clinic = StandInClinic()
    result = run_conversation(ENTRY, clinic, stand_in_bot(clinic, at(2, 15)))
    assert result["completed"] and result["misunderstood"] == [] and result["turns_to_success"] == 7


def test_a_wrong_row_or_a_repeated_question_shows_in_the_result():
    clinic = StandInClinic()
    result = run_conversation(ENTRY, clinic, stand_in_bot(clinic, at(2, 9), ask_twice=True))
    assert not result["completed"] and "misses part" in result["database"]
    [twice] = result["misunderstood"]
    assert twice["why"] == ["asked again"] and twice["answering"] == "last_name"
    figures = summary([result])
    assert figures["completed"] == 0 and figures["misunderstood_turns_total"] == 1


def test_a_conversation_past_the_turn_cap_is_not_completed():
    clinic = StandInClinic()
    looping = run_conversation(ENTRY, clinic, lambda sender, text: [{"text": "Quel est votre "
                                                                     "nom de famille ?"}], cap=6)
    assert looping["capped"] and not looping["completed"] and looping["turns"] == 6
    assert looping["asked_3_times"] == {"last_name": 6}
    assert len(looping["misunderstood"]) == 5  # every answer after the first asked again


def test_a_question_asked_three_times_is_counted():
    assert repeated_questions(["phone", "phone", "time", "phone", "offer", "offer"]) == {
        "phone": 3, "time": 3}


def test_the_data_file_has_the_mix_and_one_patient_each():
    entries = load_entries()
    kinds = [e["kind"] for e in entries]
    assert len(entries) >= 40 and kinds.count("book") >= 16 and kinds.count("move") >= 12
    assert kinds.count("cancel") >= 8 and kinds.count("mixed") >= 4
    ids = [identity(e) for e in entries]
    assert len({i[0] for i in ids}) == len({i[3] for i in ids}) == len(entries)
    assert all(normalize_phone(i[3]) for i in ids)  # the clinic registers valid numbers only


@pytest.mark.e2e
def test_three_conversations_on_the_real_stack(tmp_path):
    from simulation.conversations.runner import Clinic, chat_of, report_of, run_all
    from simulation.stack import running_stack

    chosen = {"rdv-demain-matin", "deplacer-simple", "annuler-simple"}
    entries = [e for e in load_entries() if e["id"] in chosen]
    with running_stack(tmp_path, sqlite=True) as stack:
        stack.register_patients([registration(e) for e in entries])
        clinic = Clinic(stack.env["DATABASE_URL"])
        report = report_of(run_all(entries, clinic, chat_of(stack)))
        rows = {e["id"]: clinic.rows_of(identity(e)[0]) for e in entries}
    assert set(report["summary"]) >= {"completed", "completed_pct", "misunderstood_turns_mean",
                                      "turns_to_success_median", "silent_replies"}
    for result in report["conversations"]:
        assert result["turns"] >= 1 and result["transcript"] and result["database"]
    # the seeded appointments were in the database, and the check read them back
    assert rows["deplacer-simple"] and rows["annuler-simple"]
    cancel = next(r for r in report["conversations"] if r["id"] == "annuler-simple")
    assert cancel["completed"] == (rows["annuler-simple"][0].status == "cancelled")


def test_the_patient_turns_down_a_read_back_of_another_request():
    mover = Patient(script(goal="move", kind="move"), MONDAY)
    booking = mover.reply_to(["Je récapitule : rendez-vous pour Léa Picard, dossier 1 2 3 4 5 6, "
                              "le mardi 2 mars à 15 heures. Je confirme ?"])
    assert booking.text.startswith("non") and "déplacer" in booking.text
    cancel = mover.reply_to(["Vous souhaitez annuler le rendez-vous du jeudi 4 mars à 9 heures. "
                             "Je confirme l'annulation ?"])
    assert cancel.text.startswith("non")


def test_a_line_not_understood_is_said_plainly_then_the_request_comes_again():
    patient = Patient(script(), MONDAY)
    patient.reply_to(["Quel est votre nom de famille ?"])
    misheard = ["Excusez-moi, je n'ai pas bien compris. Je peux prendre, déplacer ou annuler "
                "un rendez-vous."]
    assert patient.reply_to(misheard).text == "Picard"
    assert patient.reply_to(misheard).text == "je voudrais un rendez-vous"


def test_a_change_of_mind_ignored_or_a_pick_refused_is_a_misunderstanding():
    switch = Turn("finalement je préfère l'annuler", "cancel", switches=True)
    assert misunderstood(switch, ["Quel est votre numéro de téléphone ?"], set(), False) == [
        "wrong task"]
    assert misunderstood(switch, ["Très bien, je vais annuler votre rendez-vous."], set(), False) == []
    pick = Turn("9h ça m'va", "book", gives=frozenset({"offer"}))
    refused = ["Le cabinet ne reçoit pas à cette heure-là. Dites « accueil » et je vous passe "
               "l'accueil du cabinet, ou « stop » pour arrêter."]
    assert misunderstood(pick, refused, set(), False) == ["pick not taken"]
    taken = ["Ce créneau vient d'être pris. Je peux vous proposer mardi 2 mars à 10 heures. "
             "Cela vous convient-il ?"]
    assert misunderstood(pick, taken, set(), False) == []
