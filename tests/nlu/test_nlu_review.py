"""The ML team's review loop on a tracker store written by Rasa's own SQLTrackerStore:
which messages are picked, how personal data is masked, the review file, and adding a
corrected review to the training data."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu_review.__main__ import domain_intents, main
from nlu_review.candidates import read_candidates
from nlu_review.masking import mask
from nlu_review.review_file import ReviewError, add_reviewed, write_review

ROOT = Path(__file__).resolve().parents[2]


def said(text: str, intent: str, confidence: float, at: float, ranking=None) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": confidence},
                       parse_data={"intent": {"name": intent, "confidence": confidence},
                                   "intent_ranking": ranking or [], "entities": [], "text": text},
                       timestamp=at)


@pytest.fixture
def tracker_store_url(tmp_path) -> str:
    """A tracker store filled by Rasa's SQLTrackerStore: two conversations this week,
    one two months ago."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(path))
    now = time.time()
    events_by_sender = {
        "phone:abc": [
            said("wesh", "greet", 0.38, now - 3600),
            ActionExecuted("utter_greet", timestamp=now - 3599),
            said("je veux prendre rendez-vous", "book_appointment", 0.97, now - 3500),
            ActiveLoop("booking_form", timestamp=now - 3499),
            SlotSet("requested_slot", "last_name", timestamp=now - 3499),
            said("Lefebvre", "inform", 0.21, now - 3400),  # a name: never exported
            SlotSet("requested_slot", "phone_number", timestamp=now - 3399),
            said("06 12 34 56 78", "inform", 0.30, now - 3300),  # personal: never exported
            ActiveLoop(None, timestamp=now - 3299),
            SlotSet("requested_slot", None, timestamp=now - 3299),
            said("bon ben je dois filer, mon numéro c'est le 0612345678", "nlu_fallback", 0.45,
                 now - 3200, ranking=[{"name": "nlu_fallback", "confidence": 0.45},
                                      {"name": "goodbye", "confidence": 0.40}]),
            ActionExecuted("action_default_fallback", timestamp=now - 3199),
            said("Marie Dupont voudrait parler à quelqu'un", "ask_human", 0.93, now - 3100),
            ActionExecuted("action_handoff", timestamp=now - 3099),
        ],
        "web:xyz": [said("Wesh ", "greet", 0.41, now - 600),
                    said("quels sont vos horaires", "ask_opening_hours", 0.99, now - 500)],
        "web:old": [said("ciao", "goodbye", 0.2, now - 60 * 86400)],
    }
    async def save_all() -> None:
        for sender, events in events_by_sender.items():
            await store.save(DialogueStateTracker.from_events(sender, events, domain.slots))

    asyncio.run(save_all())
    store.engine.dispose()
    return f"sqlite:///{path}"


def test_masking_keeps_the_words_and_drops_the_person():
    assert mask("mon numéro c'est le 06 12 34 56 78, dossier 482915") == \
        "mon numéro c'est le 00 00 00 00 00, dossier 000000"
    assert mask("écrivez à marie.dupont@example.com") == "écrivez à adresse@exemple.fr"
    assert mask("c'est Marie Dupont qui appelle") == "c'est Camille Martin qui appelle"


def test_candidates_are_unsure_fallback_or_handoff_messages_of_the_period(tracker_store_url):
    found = read_candidates(tracker_store_url, days=7)
    assert [(c.text.strip(), c.intent, c.reason) for c in found] == [
        ("wesh", "greet", "low confidence"),
        ("bon ben je dois filer, mon numéro c'est le 0612345678", "goodbye", "fallback"),
        ("Marie Dupont voudrait parler à quelqu'un", "ask_human", "handoff"),
        ("Wesh", "greet", "low confidence"),
    ]
    assert read_candidates(tracker_store_url, days=90)[0].text == "ciao"
    assert read_candidates("sqlite:///" + str(Path(tracker_store_url[10:]).parent / "none.db"), 7) == []


def test_review_file_is_masked_deduplicated_rasa_nlu(tracker_store_url, tmp_path):
    review = tmp_path / "review.yml"
    count = write_review(read_candidates(tracker_store_url, 7), review, 7, domain_intents())
    assert count == 3  # "wesh" and "Wesh " are one message
    text = review.read_text(encoding="utf-8")
    assert "0612345678" not in text and "Dupont" not in text and "Marie" not in text
    assert "# predicted greet (0.41), low confidence, said 2 time(s)" in text
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    assert [e["intent"] for e in data["nlu"]] == ["greet", "goodbye", "ask_human"]
    assert data["nlu"][1]["examples"].strip() == "- bon ben je dois filer, mon numéro c'est le 0000000000"


def test_a_corrected_review_is_added_once_and_checked_against_the_domain(tmp_path):
    review = tmp_path / "review.yml"
    review.write_text('version: "3.1"\nnlu:\n- intent: goodbye\n  examples: |\n'
                      "    - bon ben je vous dis à la prochaine la compagnie\n    - oui\n"
                      "- intent: greet\n  examples: |\n    - bonjour bonjour la compagnie\n", encoding="utf-8")
    target = tmp_path / "reviewed.yml"
    training = sorted((ROOT / "data" / "nlu").rglob("*.yml"))
    added, known = add_reviewed(review, target, domain_intents(), training)
    assert (added, known) == (2, 1)  # "oui" is already an affirm example
    again = add_reviewed(review, target, domain_intents(), training + [target])
    assert again == (0, 3)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert [(e["intent"], e["examples"].split()) for e in data["nlu"]] == [
        ("goodbye", "- bon ben je vous dis à la prochaine la compagnie".split()),
        ("greet", "- bonjour bonjour la compagnie".split())]
    review.write_text('version: "3.1"\nnlu:\n- intent: say_hello\n  examples: |\n    - yo\n',
                      encoding="utf-8")
    with pytest.raises(ReviewError, match="'say_hello' is not in domain.yml"):
        add_reviewed(review, target, domain_intents(), training)


def test_command_line_export_then_add(tracker_store_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_store_url)
    review, target = tmp_path / "nlu_review.yml", tmp_path / "reviewed.yml"
    assert main(["export", "--days", "7", "--out", str(review)]) == 0
    assert main(["add", "--review", str(review), "--into", str(target)]) == 0
    assert "je dois filer, mon numéro c'est le 0000000000" in target.read_text(encoding="utf-8")
