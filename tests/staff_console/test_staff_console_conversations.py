"""The staff console's reading of Rasa's tracker store, on real SQLite and PostgreSQL
databases written as Rasa's ``SQLTrackerStore.save`` writes them: outcomes, channels,
filters, retention, masked transcripts with barge-ins and keypad entries, today's
figures, the review queue that ``make add-reviewed`` reads; and the settings view."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterable

import pytest
import yaml
from rasa.shared.core.events import (
    ActionExecuted, ActiveLoop, BotUttered, Event, SessionStarted, SlotSet, UserUttered)
from sqlalchemy import insert

from clinic.database import make_external_engine
from nlu_review.review_file import add_reviewed
from staff_console import conversations, figures, review_queue
from staff_console.masking import mask_text
from staff_console.settings_view import clinic_settings


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
def tracker_url(database_url, tmp_path) -> str:
    return database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'tracker.db'}"


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
        user("482913", T0 + 20, "inform", metadata={"input": "keypad"}),
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
    # Digits that were said (no marker) are not shown as typed.
    said = conversations._user_turn({"text": "482913", "metadata": {}}, T0)
    assert [turn["keypad"] for turn in said] == [False]
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


def test_masking_keeps_two_digits_of_long_numbers_only():
    assert mask_text("06 42 15 33 21") == "•• •• •• •• 21"
    assert mask_text("+33642153321") == "+•••••••••21"
    assert mask_text("dossier 4 8 2 7 1 5") == "dossier • • • • 1 5"
    assert mask_text("zéro six quarante-deux quinze trente-trois vingt et un") == "••• un"
    kept = "le lundi 7 décembre 2026 à 15 heures 30, un chat et deux chiens"
    assert mask_text(kept) == kept


def test_settings_view_shows_clinic_yml_and_its_validation(tmp_path, monkeypatch):
    shown = clinic_settings()
    assert shown["valid"] and "Cabinet médical des Lilas" in shown["message"]
    assert "opening_hours:" in shown["text"]
    broken = tmp_path / "clinic.yml"
    broken.write_text(shown["text"].replace("appointment_minutes: 30", "appointment_minutes: 2"),
                      encoding="utf-8")
    monkeypatch.setenv("CLINIC_CONFIG", str(broken))
    shown = clinic_settings()
    assert not shown["valid"] and "appointment_minutes" in shown["message"]
