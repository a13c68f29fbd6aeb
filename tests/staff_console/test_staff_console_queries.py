"""The staff console's queries on real SQLite and PostgreSQL databases: agenda, patient
search, staff changes through ClinicOperations with their audit, and logins (passwords,
lockout, sessions). Conversations: tests/staff_console/test_staff_console_conversations.py."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from clinic.operations import ClinicOperations, PatientDetails
from clinic.models import Appointment
from staff_console import agenda, audit
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


@pytest.fixture
def ops(session_factory, clinic, fixed_now) -> ClinicOperations:
    return ClinicOperations(session_factory, clinic, clock=lambda: fixed_now)


@pytest.fixture
def member(session_factory):
    return create_user(session_factory, "accueil", PASSWORD)


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


def test_a_change_whose_audit_row_cannot_be_written_does_not_happen(ops, session_factory, member,
                                                                   monkeypatch):
    """The change and its audit row share one transaction: no change without its record."""
    booked = ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    written = []

    def failing_recorder(*args, **kwargs):
        def record(session, done):
            written.append(done.id)
            session.flush()
            raise RuntimeError("the audit table is full")
        return record

    monkeypatch.setattr(audit, "recorder", failing_recorder)
    actions = StaffActions(ops, session_factory)
    attempts = [lambda: actions.move(member, booked.id, {"date": "2026-11-27", "time": "09:00"}),
                lambda: actions.cancel(member, booked.id),
                lambda: actions.book(member, {"patient_id": BOB.clinic_patient_id, "date": "2026-11-26",
                                              "time": "12:00", "first_name": "Bob",
                                              "last_name": "Nguyen", "phone": "06 98 76 54 32"})]
    for attempt in attempts:
        with pytest.raises(RuntimeError, match="audit table is full"):
            attempt()
    assert len(written) == 3  # each change was made, then rolled back with its record
    with session_factory() as session:
        rows = session.scalars(select(Appointment)).all()
        assert [(r.id, r.start_at, r.status) for r in rows] == [
            (booked.id, datetime(2026, 11, 26, 9, 30), "booked")]
    assert ops.find_patient(BOB.clinic_patient_id) is None
    assert audit_rows(session_factory) == []


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
        assert lockout.begin("accueil", address) is not None  # then fails: it stays counted
    assert lockout.begin("accueil", "10.0.0.9") is None  # the name, from anywhere
    for name in ("a", "b", "c"):
        assert lockout.begin(name, "10.0.0.7") is not None
    assert lockout.begin("d", "10.0.0.7") is None  # the address, whatever the name
    right = lockout.begin("d", "10.0.0.8")
    lockout.succeeded(right)  # a right password: the attempt no longer counts
    lockout.forget_user("accueil")
    assert lockout.begin("accueil", "10.0.0.9") is not None
    now[0] += timedelta(minutes=16)
    assert lockout.begin("d", "10.0.0.7") is not None
    # Refused and successful attempts left nothing; the name's 3 forgotten:
    # 3 addresses of « accueil », 3 names and 3 addresses of a, b, c, 2 of the last try.
    assert lockout.purge() == 11


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
