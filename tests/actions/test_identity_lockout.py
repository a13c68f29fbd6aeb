"""Brute force of the identity check: failures counted per patient ID and per caller
in the database, a lockout, a log line for staff, and one answer for every mismatch.

On SQLite and PostgreSQL, with real ``rasa_sdk`` trackers (``tests/actions/tracker_builder.py``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from actions import slots
from actions.booking import ValidateBookingForm
from actions.cancellation import ValidateCancelForm
from clinic.operations import ClinicOperations
from actions.clinic_service import use_clinic_operations
from actions.identity_check import IDENTITY_LOCKED, IDENTITY_NOT_FOUND, caller_key
from clinic.models import IdentityFailure, Patient
from actions.rescheduling import ValidateRescheduleForm
from tests.actions.tracker_builder import (
    BOB, MARIE, make_tracker, new_dispatcher, paris,
    run_form_validation, texts,
)

FORMS = {
    slots.BOOKING_FORM: ValidateBookingForm,
    slots.RESCHEDULE_FORM: ValidateRescheduleForm,
    slots.CANCEL_FORM: ValidateCancelForm,
}
MARIE_PHONE_SAID = "06 12 34 56 78"
WRONG_PHONE_SAID = "06 99 88 77 66"
INTRUDER = "phone:9f2c1e7d5b3a40c8a1e2f3d4c5b6a798"


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def phone_answer(form, patient_id, said, caller=INTRUDER, sender="conversation-1", names=None):
    """The caller gives the phone number after the patient ID (and, when booking, the names)."""
    known = {slots.PATIENT_ID: patient_id}
    if form == slots.BOOKING_FORM:
        known.update(names or {slots.LAST_NAME: "Dupont", slots.FIRST_NAME: "Marie"})
    return make_tracker(
        slots=known, text=said, active_loop=form, requested_slot=slots.PHONE_NUMBER,
        filled={slots.PHONE_NUMBER: said},
        metadata={"caller_key": caller} if caller else None,
        sender_id=sender,
    )


async def answer(form, tracker, domain):
    dispatcher = new_dispatcher()
    result = await run_form_validation(FORMS[form](), tracker, dispatcher, domain)
    return result, texts(dispatcher)


# ----------------------------------------------------------------------- the operations


def test_failures_are_counted_per_patient_and_per_caller(operations, session_factory):
    for _ in range(4):
        operations.record_identity_failure("482913", "caller-a")

    assert not operations.identity_failures("482913", "caller-a").locked
    count = operations.record_identity_failure("482913", "caller-a")
    assert (count.patient, count.caller, count.locked) == (5, 5, True)
    # Another caller asking for the same file is locked out by the patient's count...
    other = operations.identity_failures("482913", "caller-b")
    assert (other.patient, other.caller, other.locked) == (5, 0, True)
    # ... and the first caller is locked out for any other file too.
    elsewhere = operations.identity_failures("105577", "caller-a")
    assert (elsewhere.patient, elsewhere.caller, elsewhere.locked) == (0, 5, True)
    assert not operations.identity_failures("105577", "caller-b").locked


def test_failures_are_stored_as_keyed_hashes_only(operations, session_factory, monkeypatch):
    monkeypatch.setenv("VOICE_CHANNEL_SECRET", "a-secret-of-the-clinic-0123456789")
    operations.record_identity_failure("482913", "phone:abc")

    with session_factory() as session:
        stored = session.execute(
            select(IdentityFailure.subject_kind, IdentityFailure.subject_key)
            .order_by(IdentityFailure.subject_kind)
        ).all()
    keyed = lambda value: hmac.new(b"a-secret-of-the-clinic-0123456789", value.encode(),  # noqa: E731
                                   hashlib.sha256).hexdigest()
    assert stored == [("caller", keyed("phone:abc")), ("patient", keyed("482913"))]
    # Not the plain hash, which trying the million 6-digit IDs would undo.
    assert ("patient", sha256("482913")) not in stored


def test_lockout_ends_after_the_window(operations, session_factory, clinic, fixed_now):
    for _ in range(5):
        operations.record_identity_failure("482913", "caller-a")
    later = ClinicOperations(
        session_factory, clinic, clock=lambda: fixed_now + timedelta(minutes=15, seconds=1)
    )
    nearly = ClinicOperations(
        session_factory, clinic, clock=lambda: fixed_now + timedelta(minutes=14)
    )

    assert nearly.identity_failures("482913", "caller-a").locked
    count = later.identity_failures("482913", "caller-a")
    assert (count.patient, count.caller, count.locked) == (0, 0, False)


def test_limits_come_from_clinic_yml(session_factory, clinic, fixed_now):
    strict = dataclasses.replace(
        clinic,
        security=dataclasses.replace(clinic.security, identity_max_failures=2),
    )
    ops = ClinicOperations(session_factory, strict, clock=lambda: fixed_now)
    ops.record_identity_failure("482913", "caller-a")
    assert not ops.identity_failures("482913", "caller-a").locked
    ops.record_identity_failure("482913", "caller-a")
    assert ops.identity_failures("482913", "caller-a").locked


# ----------------------------------------------------------------------- who calls


def test_caller_key_is_read_from_what_rasa_sends_the_action_server():
    """A tracker Rasa itself builds (``DialogueStateTracker.current_state``, as
    ``RemoteAction`` posts it) carries the channel's metadata on the user event and
    in ``latest_message``; rasa_sdk's ``Tracker`` gets both."""
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
    from rasa_sdk import Tracker

    intent = {"name": "inform", "confidence": 1.0}
    user = UserUttered(
        "482913", intent, [], {"text": "482913", "intent": intent, "entities": []},
        metadata={"caller_key": "phone:0123abcd", "call_sid": "CA1"},
    )
    rasa_tracker = DialogueStateTracker.from_events(
        "phone:feedbeef", [ActionExecuted("action_listen"), user]
    )
    tracker = Tracker.from_dict(rasa_tracker.current_state(EventVerbosity.ALL))

    assert tracker.events[-1]["metadata"]["caller_key"] == "phone:0123abcd"
    assert tracker.latest_message["metadata"]["caller_key"] == "phone:0123abcd"
    assert caller_key(tracker) == "phone:0123abcd"


def test_without_caller_key_the_conversation_counts_as_the_caller():
    tracker = make_tracker(text="bonjour", sender_id="web-42")
    assert caller_key(tracker) == "web-42"


# ----------------------------------------------------------------------- one answer for every mismatch


@pytest.mark.asyncio
async def test_every_mismatch_gets_the_same_answer(domain, operations):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    heard = set()
    for form, patient_id, said, names in [
        (slots.BOOKING_FORM, "482913", WRONG_PHONE_SAID, None),
        (slots.BOOKING_FORM, "482913", MARIE_PHONE_SAID, {slots.LAST_NAME: "Durand", slots.FIRST_NAME: "Marie"}),
        (slots.RESCHEDULE_FORM, "482913", WRONG_PHONE_SAID, None),
        (slots.RESCHEDULE_FORM, "777777", MARIE_PHONE_SAID, None),
        (slots.CANCEL_FORM, "482913", WRONG_PHONE_SAID, None),
        (slots.CANCEL_FORM, "777777", MARIE_PHONE_SAID, None),
    ]:
        tracker = phone_answer(form, patient_id, said, caller=f"caller-{len(heard)}-{form}",
                               names=names)
        result, said_back = await answer(form, tracker, domain)
        assert result[slots.PATIENT_ID] is None
        heard.update(said_back)

    assert heard == {IDENTITY_NOT_FOUND}
    assert IDENTITY_NOT_FOUND == (
        "Je ne retrouve pas de dossier avec ce numéro de dossier et ce téléphone. Reprenons."
    )


@pytest.mark.asyncio
async def test_unknown_id_gets_the_same_answer_when_only_registered_patients_may_book(
    domain, session_factory, clinic, fixed_now
):
    registered_only = dataclasses.replace(
        clinic, security=dataclasses.replace(clinic.security, registered_patients_only=True)
    )
    use_clinic_operations(ClinicOperations(session_factory, registered_only, clock=lambda: fixed_now))
    try:
        result, said_back = await answer(
            slots.BOOKING_FORM, phone_answer(slots.BOOKING_FORM, "777777", MARIE_PHONE_SAID), domain
        )
    finally:
        use_clinic_operations(None)

    assert said_back == [IDENTITY_NOT_FOUND]
    assert result[slots.PATIENT_ID] is None and result[slots.PHONE_NUMBER] is None
    with session_factory() as session:
        assert session.scalars(select(Patient)).all() == []
        assert len(session.scalars(select(IdentityFailure)).all()) == 2  # counted


# ----------------------------------------------------------------------- brute force through the forms


@pytest.mark.asyncio
@pytest.mark.parametrize("form", [slots.RESCHEDULE_FORM, slots.CANCEL_FORM])
async def test_a_caller_guessing_ids_is_locked_out_across_conversations(
    domain, operations, caplog, form
):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    # Five guesses, each in a new conversation (a new sender starts at zero in Rasa).
    for guess in range(5):
        tracker = phone_answer(form, f"{700000 + guess}", MARIE_PHONE_SAID, sender=f"conv-{guess}")
        _, said_back = await answer(form, tracker, domain)
        assert said_back == [IDENTITY_NOT_FOUND]
    # The failure that starts the lockout is reported to the staff.
    [started] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "****04" in started and "5 failed" in started

    caplog.clear()
    caplog.set_level(logging.INFO)
    tracker = phone_answer(form, "482913", MARIE_PHONE_SAID, sender="conv-new")
    result, said_back = await answer(form, tracker, domain)

    # Even the right ID and phone are refused while the caller is locked out.
    assert said_back == [IDENTITY_LOCKED]
    assert IDENTITY_LOCKED == (
        "Pour votre sécurité, je ne peux plus vérifier ce dossier pour le moment. "
        "Dites « je veux parler à quelqu'un » et je vous passe l'accueil du cabinet."
    )
    assert result[slots.PATIENT_ID] is None and result[slots.PHONE_NUMBER] is None
    assert slots.UPCOMING_APPOINTMENTS not in result
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    line = warnings[0].getMessage()
    assert "****13" in line and "5 failed" in line
    assert "482913" not in caplog.text and "612345678" not in caplog.text
    assert INTRUDER not in caplog.text

    # Another caller with the right details is served.
    tracker = phone_answer(form, "482913", MARIE_PHONE_SAID, caller="phone:marie", sender="conv-m")
    result, said_back = await answer(form, tracker, domain)
    assert result[slots.IDENTITY_VERIFIED] is True


@pytest.mark.asyncio
async def test_a_file_attacked_from_many_callers_is_locked_for_everyone(domain, operations, caplog):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    operations.book(BOB, paris("2026-11-27T09:00:00"), "martin")
    for attempt in range(5):
        tracker = phone_answer(
            slots.CANCEL_FORM, "482913", f"06 99 88 77 6{attempt}", caller=f"phone:attacker{attempt}"
        )
        _, said_back = await answer(slots.CANCEL_FORM, tracker, domain)
        assert said_back == [IDENTITY_NOT_FOUND]

    caplog.clear()
    caplog.set_level(logging.INFO)
    genuine = phone_answer(slots.CANCEL_FORM, "482913", MARIE_PHONE_SAID, caller="phone:marie")
    result, said_back = await answer(slots.CANCEL_FORM, genuine, domain)

    assert said_back == [IDENTITY_LOCKED]
    assert result[slots.PATIENT_ID] is None
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "****13" in warning and "5 failed" in warning
    # Bob's file, from Marie's line, is not affected.
    bob = phone_answer(slots.CANCEL_FORM, "105577", "06 98 76 54 32", caller="phone:marie")
    result, said_back = await answer(slots.CANCEL_FORM, bob, domain)
    assert said_back != [IDENTITY_LOCKED] and result[slots.IDENTITY_VERIFIED] is True


@pytest.mark.asyncio
async def test_booking_form_mismatches_count_and_lock(domain, operations, caplog):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    for attempt in range(5):
        tracker = phone_answer(
            slots.BOOKING_FORM, "482913", MARIE_PHONE_SAID, sender=f"conv-{attempt}",
            names={slots.LAST_NAME: "Durand", slots.FIRST_NAME: f"Paul{'e' * attempt}"},
        )
        _, said_back = await answer(slots.BOOKING_FORM, tracker, domain)
        assert said_back == [IDENTITY_NOT_FOUND]

    caplog.clear()
    caplog.set_level(logging.INFO)
    result, said_back = await answer(
        slots.BOOKING_FORM, phone_answer(slots.BOOKING_FORM, "482913", MARIE_PHONE_SAID), domain
    )

    assert said_back == [IDENTITY_LOCKED]
    assert result[slots.PATIENT_ID] is None and result[slots.PHONE_NUMBER] is None
    assert any(
        r.levelno == logging.WARNING and "****13" in r.getMessage() for r in caplog.records
    )
    # A new patient from the same (locked) caller is refused as well.
    result, said_back = await answer(
        slots.BOOKING_FORM, phone_answer(slots.BOOKING_FORM, "333333", "06 11 22 33 44"), domain
    )
    assert said_back == [IDENTITY_LOCKED]


@pytest.mark.asyncio
async def test_a_successful_check_does_not_reset_the_count(domain, operations):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    for attempt in range(4):
        tracker = phone_answer(slots.CANCEL_FORM, "482913", WRONG_PHONE_SAID, caller=f"phone:x{attempt}")
        await answer(slots.CANCEL_FORM, tracker, domain)
    genuine = phone_answer(slots.CANCEL_FORM, "482913", MARIE_PHONE_SAID, caller="phone:marie")
    result, _ = await answer(slots.CANCEL_FORM, genuine, domain)
    assert result[slots.IDENTITY_VERIFIED] is True

    await answer(slots.CANCEL_FORM, phone_answer(slots.CANCEL_FORM, "482913", WRONG_PHONE_SAID,
                                                 caller="phone:x9"), domain)

    assert operations.identity_failures("482913", "phone:someone").locked


# ------------------------------------------------------------------ the secret, and races


def test_no_hash_is_made_without_the_secret(monkeypatch):
    """The old code fell back to a key written in the source: 6-digit IDs hashed with it
    could be undone by anyone who read the code."""
    from clinic.identity_failures import MissingSecret, subject_key

    monkeypatch.delenv("VOICE_CHANNEL_SECRET")
    with pytest.raises(MissingSecret, match="VOICE_CHANNEL_SECRET is not set"):
        subject_key("482913")
    monkeypatch.setenv("VOICE_CHANNEL_SECRET", "short")
    with pytest.raises(MissingSecret, match="too short"):
        subject_key("482913")


def test_the_action_server_refuses_to_start_without_the_secret():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    environment = {k: v for k, v in os.environ.items() if k != "VOICE_CHANNEL_SECRET"}
    done = subprocess.run(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", "0"],
        cwd=root, env={**environment, "PYTHONPATH": str(root)},
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "VOICE_CHANNEL_SECRET is not set" in done.stdout + done.stderr


@pytest.mark.asyncio
async def test_parallel_guesses_verify_at_most_the_allowed_number(domain, operations, monkeypatch):
    """20 wrong guesses sent at once from one caller: every one is recorded before it is
    verified, so at most identity_max_failures of them reach the verification (the old
    code counted, verified, then recorded: all 20 passed the count)."""
    import asyncio
    import threading

    limit = operations.config.security.identity_max_failures
    verified, lock = [], threading.Lock()
    real = ClinicOperations.verify_identity

    def counted_verification(self, patient_id, phone):
        with lock:
            verified.append(patient_id)
        return real(self, patient_id, phone)

    monkeypatch.setattr(ClinicOperations, "verify_identity", counted_verification)

    async def burst(first: int):
        guesses = [phone_answer(slots.CANCEL_FORM, f"{100000 + first + i}", MARIE_PHONE_SAID,
                                sender=f"conversation-{first + i}") for i in range(20)]
        results = await asyncio.gather(*(answer(slots.CANCEL_FORM, tracker, domain)
                                         for tracker in guesses))
        answers = [said for _, said in results]
        assert all(said in ([IDENTITY_NOT_FOUND], [IDENTITY_LOCKED]) for said in answers)

    await burst(0)
    assert len(verified) <= limit, len(verified)
    # What stays counted is exactly the guesses that were verified (the ones refused
    # unverified do not lengthen the lockout)...
    assert operations.identity_failures("999999", INTRUDER).caller == len(verified)
    # ... and a second burst cannot go past the limit either: the caller is then locked.
    await burst(20)
    assert len(verified) <= limit, len(verified)
    for i in range(limit):  # then one at a time: the lockout is reached, never passed
        await answer(slots.CANCEL_FORM, phone_answer(slots.CANCEL_FORM, f"{100100 + i}",
                                                      MARIE_PHONE_SAID), domain)
    assert len(verified) == limit
    assert operations.identity_failures("999999", INTRUDER).locked


def test_the_staff_console_refuses_to_start_without_the_secret(tmp_path):
    """Failed logins are stored as keyed hashes too: no key, no console (and no 500 at
    the first login)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    environment = {k: v for k, v in os.environ.items() if k != "VOICE_CHANNEL_SECRET"}
    done = subprocess.run(
        [sys.executable, "-m", "staff_console", "--port", "0"], cwd=root,
        env={**environment, "PYTHONPATH": str(root),
             "DATABASE_URL": f"sqlite:///{tmp_path / 'clinic.db'}"},
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "VOICE_CHANNEL_SECRET is not set" in done.stderr
