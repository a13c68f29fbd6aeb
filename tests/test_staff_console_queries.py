"""The staff console's queries on real SQLite and PostgreSQL databases: agenda, patient
search, staff changes through ClinicOperations with their audit, logins (passwords,
lockout, sessions), conversations read from a tracker store written as Rasa writes it,
figures, and the review queue that ``make add-reviewed`` reads."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

import pytest
import yaml
from rasa.shared.core.events import (
    ActionExecuted, ActiveLoop, BotUttered, Event, SessionStarted, SlotSet, UserUttered)
from sqlalchemy import insert, select

from actions.clinic_operations import ClinicOperations, PatientDetails
from actions.database import make_engine, make_external_engine
from actions.models import Appointment
from nlu_review.review_file import add_reviewed
from staff_console import agenda, audit, conversations, figures, review_queue
from staff_console.lockout import LoginLockout
from staff_console.models import StaffAudit
from staff_console.passwords import StaffUserError, authenticate, create_user
from staff_console.sessions import SessionStore
from staff_console.staff_actions import ActionRefused, StaffActions

ALICE = PatientDetails("482913", "Alice", "Lefèvre", "+33612345678")
BOB = PatientDetails("105577", "Bob", "Nguyen", "+33698765432")
PASSWORD = "un-mot-de-passe-long"


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text + "+01:00")


def write_conversation(tracker_url: str, sender_id: str, events: Iterable[Event]) -> None:
    """Events stored as Rasa's ``SQLTrackerStore.save`` stores them."""
    engine = make_external_engine(tracker_url)
    try:
        conversations.EVENTS.metadata.create_all(engine, checkfirst=True)
        with engine.begin() as connection:
            for event in events:
                data = event.as_dict()
                connection.execute(insert(conversations.EVENTS).values(
                    sender_id=sender_id, type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                    action_name=data.get("name"), data=json.dumps(data)))
    finally:
        engine.dispose()


@pytest.fixture
def ops(session_factory, clinic, fixed_now) -> ClinicOperations:
    return ClinicOperations(session_factory, clinic, clock=lambda: fixed_now)


@pytest.fixture
def member(session_factory):
    return create_user(session_factory, "accueil", PASSWORD)


@pytest.fixture
def tracker_url(database_url, tmp_path) -> str:
    return database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'tracker.db'}"


# -- agenda and search ------------------------------------------------------------------

def test_agenda_day_shows_free_booked_and_cancelled_slots(ops, session_factory, clinic, fixed_now):
    kept = ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    gone = ops.book(BOB, paris("2026-11-26T11:00:00"), "martin")
    ops.cancel(gone.id, BOB.clinic_patient_id, BOB.phone_e164)
    [day] = agenda.agenda(session_factory, clinic, "martin", date(2026, 11, 26), 1, fixed_now)
    slots = {s["time"]: s for s in day["slots"]}
    # Thursday 08:30-12:30 and 14:00-19:00 in 30-minute slots.
    assert len(slots) == 8 + 10 and "12:30" not in slots and "14:00" in slots
    assert slots["10:30"]["booked"] == {"appointment_id": kept.id, "status": "booked",
                                        "clinic_patient_id": "482913", "name": "Alice Lefèvre"}
    assert slots["11:00"]["booked"] is None
    assert [c["name"] for c in slots["11:00"]["cancelled"]] == ["Bob Nguyen"]
    assert slots["09:00"]["booked"] is None and not slots["09:00"]["past"]


def test_agenda_week_marks_closed_days_and_past_slots(session_factory, clinic, fixed_now):
    week = agenda.agenda(session_factory, clinic, "martin", date(2026, 11, 23), 7, fixed_now)
    assert [d["date"] for d in week][0] == "2026-11-23" and len(week) == 7
    assert week[6]["closed"] and not week[6]["slots"]  # Sunday
    wednesday = {s["time"]: s for s in week[2]["slots"]}
    assert wednesday["08:30"]["past"] and not wednesday["09:30"]["past"]  # now is 09:00
    with pytest.raises(KeyError):
        agenda.agenda(session_factory, clinic, "inconnu", date(2026, 11, 23), 1, fixed_now)
    with pytest.raises(ValueError):
        agenda.agenda(session_factory, clinic, "martin", date(2026, 11, 23), 8, fixed_now)


def test_search_by_id_or_name_masks_the_phone(ops, session_factory, clinic, fixed_now):
    booked = ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    ops.book(BOB, paris("2026-11-26T11:00:00"), "martin")
    by_id = agenda.search_patients(session_factory, clinic, "482913", fixed_now)
    by_name = agenda.search_patients(session_factory, clinic, "lefè", fixed_now)
    full = agenda.search_patients(session_factory, clinic, "alice lefèvre", fixed_now)
    assert by_id == by_name == full
    [alice] = by_id
    assert alice["phone"] == "+33*******78"
    assert alice["upcoming"] == [{"appointment_id": booked.id, "doctor_id": "martin",
                                  "start": "2026-11-26T10:30:00+01:00"}]
    assert agenda.search_patients(session_factory, clinic, "zzz", fixed_now) == []
    with pytest.raises(ValueError):
        agenda.search_patients(session_factory, clinic, " a ", fixed_now)


# -- staff changes through ClinicOperations, audited ---------------------------------------

def audit_rows(session_factory):
    with session_factory() as session:
        return session.scalars(select(StaffAudit).order_by(StaffAudit.id)).all()


def test_staff_move_and_cancel_are_audited(ops, session_factory, member, clinic):
    booked = ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    actions = StaffActions(ops, session_factory)
    moved = actions.move(member, booked.id, {"date": "2026-11-27", "time": "09:00",
                                             "doctor_id": "dubois"})
    assert moved == {"appointment_id": booked.id, "doctor_id": "dubois",
                     "start": "2026-11-27T09:00:00+01:00", "status": "booked"}
    actions.cancel(member, booked.id)
    [move, cancel] = audit_rows(session_factory)
    assert (move.staff_name, move.action, move.appointment_id, move.clinic_patient_id) == (
        "accueil", "move", booked.id, "482913")
    assert json.loads(move.details) == {
        "before": {"doctor_id": "martin", "start": "2026-11-26T10:30:00+01:00", "status": "booked"},
        "after": {"doctor_id": "dubois", "start": "2026-11-27T09:00:00+01:00", "status": "booked"}}
    assert json.loads(cancel.details)["after"]["status"] == "cancelled"
    listed = audit.recent(session_factory, clinic.timezone)
    assert [a["action"] for a in listed] == ["cancel", "move"]


def test_staff_changes_obey_the_assistants_rules(ops, session_factory, member):
    alice = ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    ops.book(BOB, paris("2026-11-26T11:00:00"), "martin")
    actions = StaffActions(ops, session_factory)
    refusals = {
        "taken": lambda: actions.move(member, alice.id, {"date": "2026-11-26", "time": "11:00"}),
        "off grid": lambda: actions.move(member, alice.id, {"date": "2026-11-26", "time": "11:10"}),
        "past": lambda: actions.move(member, alice.id, {"date": "2026-11-24", "time": "10:00"}),
        "bad date": lambda: actions.move(member, alice.id, {"date": "26/11/2026", "time": "11:00"}),
        "doctor": lambda: actions.move(member, alice.id, {"date": "2026-11-26", "time": "12:00",
                                                          "doctor_id": "inconnu"}),
        "missing": lambda: actions.cancel(member, 999999),
        "bad id": lambda: actions.book(member, {"patient_id": "12", "date": "2026-11-26", "time": "12:00"}),
        "new, no phone": lambda: actions.book(member, {"patient_id": "777777", "date": "2026-11-26",
                                                       "time": "12:00", "first_name": "Léa",
                                                       "last_name": "Roux", "phone": "12"}),
    }
    statuses = {}
    for name, attempt in refusals.items():
        with pytest.raises(ActionRefused) as refused:
            attempt()
        statuses[name] = refused.value.status
        assert refused.value.reason  # a French sentence for staff
    assert statuses == {"taken": 409, "off grid": 422, "past": 422, "bad date": 400,
                        "doctor": 400, "missing": 404, "bad id": 400, "new, no phone": 400}
    with session_factory() as session:
        row = session.get(Appointment, alice.id)
        assert (row.start_at, row.doctor_id, row.status) == (datetime(2026, 11, 26, 9, 30), "martin", "booked")
    assert audit_rows(session_factory) == []  # nothing happened, nothing recorded


def test_staff_books_a_new_patient(ops, session_factory, member):
    done = StaffActions(ops, session_factory).book(member, {
        "patient_id": "777777", "date": "2026-11-26", "time": "12:00", "doctor_id": "martin",
        "first_name": "Léa", "last_name": "Roux", "phone": "06 11 22 33 44"})
    assert done["start"] == "2026-11-26T12:00:00+01:00"
    assert ops.find_patient("777777").phone_e164 == "+33611223344"
    [row] = audit_rows(session_factory)
    assert (row.action, row.clinic_patient_id) == ("book", "777777")


# -- logins ----------------------------------------------------------------------------

def test_passwords_are_argon2_and_names_unique(session_factory, member):
    from staff_console.models import StaffUser
    with session_factory() as session:
        stored = session.scalars(select(StaffUser)).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert authenticate(session_factory, "accueil", PASSWORD) == member
    assert authenticate(session_factory, "accueil", PASSWORD + "x") is None
    assert authenticate(session_factory, "personne", PASSWORD) is None
    with pytest.raises(StaffUserError):
        create_user(session_factory, "accueil", "un-autre-mot-de-passe")
    with pytest.raises(StaffUserError):
        create_user(session_factory, "court", "court")
    with pytest.raises(StaffUserError):
        create_user(session_factory, "nom avec espace", PASSWORD)


def test_lockout_counts_per_user_and_per_address(session_factory):
    now = [datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)]
    lockout = LoginLockout(session_factory, 3, timedelta(minutes=15), clock=lambda: now[0])
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert not lockout.locked("accueil", address)
        lockout.record_failure("accueil", address)
    assert lockout.locked("accueil", "10.0.0.9")  # the name, from anywhere
    for name in ("a", "b", "c"):
        lockout.record_failure(name, "10.0.0.7")
    assert lockout.locked("d", "10.0.0.7")  # the address, whatever the name
    assert not lockout.locked("d", "10.0.0.8")
    lockout.forget_user("accueil")
    assert not lockout.locked("accueil", "10.0.0.9")
    now[0] += timedelta(minutes=16)
    assert not lockout.locked("d", "10.0.0.7")
    assert lockout.purge() == 9  # two rows per failure, the name's 3 forgotten


def test_sessions_expire_when_idle_and_at_their_longest(session_factory, member):
    now = [datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)]
    store = SessionStore(session_factory, timedelta(minutes=30), timedelta(hours=1),
                         clock=lambda: now[0])
    token = store.open(member)
    found = store.find(token)
    assert found.member == member and len(found.csrf_token) >= 32
    assert store.find(token + "x") is None and store.find(None) is None
    now[0] += timedelta(minutes=29)
    assert store.find(token) is not None  # used: pushed back
    now[0] += timedelta(minutes=29)
    assert store.find(token) is not None
    now[0] += timedelta(minutes=5)  # 63 minutes after login: past the longest life
    assert store.find(token) is None
    idle = store.open(member)
    now[0] += timedelta(minutes=31)
    assert store.find(idle) is None
    closed = store.open(member)
    store.close(closed)
    assert store.find(closed) is None


# -- conversations from the tracker store ---------------------------------------------------

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc).timestamp()


def user(text, at, intent="book_appointment", confidence=0.95, metadata=None):
    return UserUttered(text, {"name": intent, "confidence": confidence}, metadata=metadata,
                       timestamp=at)


def booking_call(appointment_id: int):
    return [
        SessionStarted(timestamp=T0), ActionExecuted("action_listen", timestamp=T0),
        user("/greet", T0 + 1, "greet"),
        BotUttered("Bonjour, vous êtes bien au cabinet médical.", timestamp=T0 + 2),
        user("je voudrais prendre rendez-vous", T0 + 10, metadata={"barge_in": {"replies": [
            {"text": "Bonjour, vous êtes bien au cabinet médical.", "seconds": 9.0,
             "heard_seconds": 2.6}]}}),
        ActiveLoop("booking_form", timestamp=T0 + 11),
        BotUttered("Votre numéro de dossier ?", timestamp=T0 + 12),
        user("482913", T0 + 20, "inform"),
        BotUttered("Je récapitule : dossier 4 8 2 9 1 3, téléphone 06 12 34 56 78. Je confirme ?",
                   timestamp=T0 + 30),
        user("mon numéro est le 06 12 34 56 78", T0 + 40, "inform"),
        SlotSet("outcome", {"booked": appointment_id, "start": "2026-11-26T10:30:00+01:00"},
                timestamp=T0 + 50),
        ActiveLoop(None, timestamp=T0 + 51),
        user("/session_start", T0 + 95, "session_start"),
    ]


@pytest.fixture
def tracker(tracker_url):
    write_conversation(tracker_url, "phone:" + "a" * 24, booking_call(41))
    write_conversation(tracker_url, "web:page-1", [
        user("je veux parler à quelqu'un", T0 + 200, "ask_human", 0.5),
        ActionExecuted("action_handoff", timestamp=T0 + 201)])
    write_conversation(tracker_url, "staff:essai", [
        user("j'ai mal à la poitrine", T0 + 300, "emergency"),
        ActionExecuted("utter_emergency", timestamp=T0 + 301)])
    write_conversation(tracker_url, "phone:" + "b" * 24, [
        user("je voudrais annuler", T0 + 400, "cancel_appointment"),
        ActiveLoop("cancel_form", timestamp=T0 + 401)])
    write_conversation(tracker_url, "web:horaires", [
        user("vos horaires ?", T0 + 500, "ask_opening_hours", 0.41)])
    write_conversation(tracker_url, "phone:" + "c" * 24, [  # past the 30 days kept
        user("bonjour", T0 - 40 * 86400, "greet")])
    engine = make_external_engine(tracker_url)
    yield engine
    engine.dispose()


def test_conversations_outcomes_channels_and_retention(tracker):
    found = conversations.summaries(tracker, 30, now=T0 + 3600)
    by_channel_outcome = [(s.channel, s.outcome) for s in found]
    assert by_channel_outcome == [("web", "information"), ("phone", "abandoned"),
                                  ("staff", "emergency"), ("web", "transferred"),
                                  ("phone", "booked")]
    call = found[-1]
    assert call.end - call.start == 95 and call.user_turns == 3  # injected messages aside
    assert [s.outcome for s in conversations.summaries(tracker, 30, channel="phone", now=T0 + 3600)] == [
        "abandoned", "booked"]
    assert [s.channel for s in conversations.summaries(tracker, 30, outcome="transferred", now=T0 + 3600)] == ["web"]
    assert conversations.summaries(tracker, 30, since=T0 + 450, now=T0 + 3600)[0].outcome == "information"
    assert len(conversations.summaries(tracker, 60, now=T0 + 3600)) == 6  # the old one, kept 60 days
    assert conversations.of_appointment(tracker, 41, 30, now=T0 + 3600) == [call.handle]
    assert conversations.of_appointment(tracker, 4, 30, now=T0 + 3600) == []


def test_transcript_masks_numbers_and_shows_barge_in_and_keypad(tracker):
    call = conversations.summaries(tracker, 30, channel="phone", outcome="booked", now=T0 + 3600)[0]
    shown = conversations.transcript(tracker, call.handle, 30, now=T0 + 3600)
    texts = [(t["who"], t["text"]) for t in shown["turns"]]
    assert ("user", "je voudrais prendre rendez-vous") in texts
    assert ("user", "••••13") in texts
    assert ("user", "mon numéro est le •• •• •• •• 78") in texts
    assert ("bot", "Je récapitule : dossier • • • • 1 3, téléphone •• •• •• •• 78. Je confirme ?") in texts
    dumped = json.dumps(shown, ensure_ascii=False)
    assert "482913" not in dumped and "4 8 2 9 1 3" not in dumped and "56 78" not in dumped
    [cut] = [t for t in shown["turns"] if t.get("barge_in")]
    assert cut["barge_in"] == [{"text": "Bonjour, vous êtes bien au cabinet médical.",
                                "heard_seconds": 2.6, "seconds": 9.0}]
    assert [t["keypad"] for t in shown["turns"] if t["who"] == "user"] == [False, True, False]
    with pytest.raises(conversations.ConversationNotFound):
        conversations.transcript(tracker, call.handle + 1, 30, now=T0 + 3600)  # not a first event
    old = conversations.summaries(tracker, 60, channel="phone", now=T0 + 3600)[-1]
    with pytest.raises(conversations.ConversationNotFound):
        conversations.transcript(tracker, old.handle, 30, now=T0 + 3600)


def test_figures_of_the_day(tracker, clinic):
    today = conversations.summaries(tracker, 30, since=T0 - 3600, until=T0 + 86400, now=T0 + 3600)
    shown = figures.today_figures(today, clinic.timezone)
    assert {k: shown[k] for k in ("calls", "chats", "bookings", "transfers", "emergencies",
                                  "average_call_s")} == {
        "calls": 2, "chats": 3, "bookings": 1, "transfers": 1, "emergencies": 1,
        "average_call_s": 48}  # (95 + 1) / 2
    assert sum(shown["per_hour"]) == 5 and shown["per_hour"][10 - figures.FIRST_HOUR] == 5
    assert shown["chart_svg"].startswith("<svg") and shown["chart_svg"].count("<rect") == 13


def test_review_queue_feeds_make_add_reviewed(tracker, tracker_url, tmp_path):
    queue = tmp_path / "staff_queue.yml"
    found = review_queue.candidates(tracker_url, 30, queue, now=T0 + 3600)
    texts = {c["text"]: c for c in found}
    assert "je veux parler à quelqu'un" in texts and "vos horaires ?" in texts
    assert not any("482913" in t for t in texts)  # an answer to a personal question
    hours = texts["vos horaires ?"]
    with pytest.raises(review_queue.ReviewRefused):
        review_queue.queue_correction(queue, tracker_url, 30, hours["key"], "no_such_intent",
                                      now=T0 + 3600)
    assert not queue.exists()
    review_queue.queue_correction(queue, tracker_url, 30, hours["key"], "ask_opening_hours",
                                  now=T0 + 3600)
    with pytest.raises(review_queue.ReviewRefused):  # once only
        review_queue.queue_correction(queue, tracker_url, 30, hours["key"], "ask_opening_hours",
                                      now=T0 + 3600)
    assert [c["queued"] for c in review_queue.candidates(tracker_url, 30, queue, now=T0 + 3600)
            if c["key"] == hours["key"]] == [True]
    target = tmp_path / "reviewed.yml"
    intents = ["ask_opening_hours", "ask_human"]
    assert add_reviewed(queue, target, intents, []) == (1, 0)
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["nlu"] == [
        {"intent": "ask_opening_hours", "examples": "- vos horaires ?\n"}]
