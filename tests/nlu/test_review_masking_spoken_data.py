"""Numbers said in words and names the lookup tables do not know never reach the review
files: ``review/nlu_review.yml`` (``make review``), the staff console's queue, and
``data/nlu/reviewed.yml`` (``make add-reviewed``), while the words of the request stay.

End to end: messages written by Rasa's own SQLTrackerStore (SQLite and PostgreSQL),
exported, queued from the staff console, added to the training data.
"""
from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import List

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from nlu_review.__main__ import domain_intents, main
from nlu_review.masking import mask
from nlu_review.review_file import add_reviewed
from staff_console.masking import mask_text
from staff_console.review_queue import candidates, queue_correction
from tests.conftest import PROJECT_ROOT
from tests.nlu.test_nlu_review import said

# Names absent from data/nlu/lookups (checked below), numbers said every way.
UNKNOWN_NAMES = ("Ghislaine", "Vandermeersch", "Gwendoline", "Kerouédan", "Aurélien",
                 "Anatole", "Bertille")
MESSAGES = [
    "bon ben mon numéro c'est le zéro six douze trente-quatre cinquante-six soixante-dix-huit",
    "mon dossier c'est un deux trois quatre cinq six voilà",
    "le numéro c'est 06 douze 34 cinquante-six 78 merci",
    "euh c'est le zéro six, euh, douze, trente-quatre",
    "je m'appelle Ghislaine Vandermeersch et je voudrais un rendez-vous",
    "c'est Aurélien pour l'ordonnance",
    "moi c'est gwendoline je rappelle",
    "madame Kerouédan voudrait annuler",
    "Anatole Bertille à l'appareil",
]
# (« un » is also the article: « un rendez-vous » is kept.)
SPOKEN_NUMBER = re.compile(r"\b(?:deux|trois|quatre|cinq|six|douze|trente|cinquante|"
                           r"soixante)\b|[1-9]", re.IGNORECASE)
REQUEST_WORDS = ("numéro", "dossier", "voudrais un rendez-vous", "ordonnance", "annuler",
                 "je rappelle", "à l'appareil")


def assert_nothing_personal(examples: List[str]) -> None:
    assert examples
    for example in examples:
        for name in UNKNOWN_NAMES:
            assert name.casefold() not in example.casefold(), example
        assert not SPOKEN_NUMBER.search(example), example


def examples_of(path: Path) -> List[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [line.strip()[2:] for entry in data["nlu"]
            for line in entry["examples"].splitlines() if line.strip()]


@pytest.fixture
def tracker_store_url(database_url) -> str:
    """The messages above, unsure (confidence 0.3), in a store written by Rasa."""
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    store = SQLTrackerStore(domain, host=database_url)
    now = time.time()
    events = [said(text, "inform", 0.3, now - 600 + i) for i, text in enumerate(MESSAGES)]
    asyncio.run(store.save(DialogueStateTracker.from_events("web:essai", events, domain.slots)))
    store.engine.dispose()
    return database_url


def test_the_names_are_unknown_to_the_lookup_tables():
    for lookup in (PROJECT_ROOT / "data" / "nlu" / "lookups").glob("*.yml"):
        text = lookup.read_text(encoding="utf-8").casefold()
        assert not [name for name in UNKNOWN_NAMES if name.casefold() in text]


def test_export_then_add_keep_the_request_and_drop_the_person(tracker_store_url, tmp_path,
                                                               monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_store_url)
    review, target = tmp_path / "review" / "nlu_review.yml", tmp_path / "reviewed.yml"
    assert main(["export", "--days", "1", "--out", str(review)]) == 0
    exported = examples_of(review)
    assert len(exported) == len(MESSAGES)
    assert_nothing_personal(exported)
    for words in REQUEST_WORDS:
        assert any(words in example for example in exported), words
    assert main(["add", "--review", str(review), "--into", str(target)]) == 0
    assert_nothing_personal(examples_of(target))


def test_staff_console_queue_is_masked(tracker_store_url, tmp_path):
    queue = tmp_path / "staff_queue.yml"
    shown = candidates(tracker_store_url, 1, queue)
    assert_nothing_personal([entry["text"] for entry in shown])
    for entry in shown:
        queue_correction(queue, tracker_store_url, 1, entry["key"], "inform")
    assert_nothing_personal(examples_of(queue))


def test_add_masks_a_review_file_edited_by_hand(tmp_path):
    review = tmp_path / "nlu_review.yml"
    block = "".join(f"    - {text}\n" for text in MESSAGES)
    review.write_text(f'version: "3.1"\nnlu:\n- intent: inform\n  examples: |\n{block}',
                      encoding="utf-8")
    target = tmp_path / "reviewed.yml"
    added, _known = add_reviewed(review, target, domain_intents(), [])
    assert added == len(MESSAGES)
    assert_nothing_personal(examples_of(target))


@pytest.mark.parametrize("text, masked", [
    ("zéro six douze trente-quatre cinquante-six", "zéro zéro zéro zéro zéro"),
    ("un deux trois quatre cinq six", "zéro zéro zéro zéro zéro zéro"),
    ("06 douze 34", "00 zéro 00"),
    ("je m'appelle Ghislaine Vandermeersch", "je m'appelle Camille Martin"),
    ("je m'appelle ghislaine vandermeersch", "je m'appelle Camille Martin"),
    ("c'est Bertille", "c'est Martin"),
    ("mon nom c'est rose", "mon nom c'est Martin"),
    ("au nom de Kerouédan s'il vous plaît", "au nom de Martin s'il vous plaît"),
])
def test_masked_as(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize("text", [
    "je voudrais un rendez-vous le vingt et un mars à quinze heures trente",
    "Bonjour je voudrais déplacer mon rendez-vous de jeudi avec le docteur",
    "c'est urgent, c'est pour demain",
    "merci madame bonne journée",
    "Est-ce que vous êtes ouverts samedi ?",
    "Quelles sont vos horaires d'ouverture ?",
    "j'ai deux ou trois questions",
    "Wesh",
])
def test_ordinary_requests_are_kept(text):
    assert mask(text) == text


def test_staff_console_masks_numbers_said_in_words_and_digits():
    assert mask_text("06 douze 34 cinquante-six 78") == "••• 78"
    assert mask_text("zéro six 12 34 56 78") == "••• 78"
    assert mask_text("dossier un deux trois quatre cinq six") == "dossier ••• six"
    kept = "le deux mars deux mille vingt-six à quinze heures trente"
    assert mask_text(kept) == kept
