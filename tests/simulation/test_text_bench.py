"""bench/text_chat.py's bookkeeping (simulation/understanding.py and
simulation/dialogue_checks.py), on stand-in parsers and chats (the bench itself and
tests/e2e/test_stack_e2e.py run it on the real stack)."""
from __future__ import annotations

import pytest

from simulation.dialogue_checks import Conversation, run_conversations
from simulation.understanding import (
    HELDOUT_SETS, heldout_phrases, training_phrases, understanding,
)


def test_the_heldout_phrases_are_not_training_data_and_cover_every_intent():
    import yaml
    from pathlib import Path

    phrases = heldout_phrases(training=training_phrases())
    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    assert set(phrases) == intents - {"nlu_fallback", "inform"}
    assert all(len(p) >= 5 for p in phrases.values())


@pytest.mark.parametrize("name", sorted(HELDOUT_SETS))
def test_no_held_out_set_is_in_the_training_data(name):
    """The public and blind sets too: a training phrase that normalizes to one of theirs
    (« Merci d'avance. » and « merci d'avance ») would make the bench refuse to run."""
    if HELDOUT_SETS[name].is_file():
        assert heldout_phrases(HELDOUT_SETS[name], training_phrases())


def test_a_phrase_also_in_the_training_data_is_refused(tmp_path):
    held = tmp_path / "held.yml"
    held.write_text("greet:\n  - Bonjour, Madame !\n  - salut la compagnie\n")
    with pytest.raises(ValueError, match="greet: Bonjour, Madame"):
        heldout_phrases(held, training={"bonjour madame"})


def test_understanding_tells_right_unsure_and_wrong_apart():
    answers = {"oui": "affirm", "ouais": "nlu_fallback", "non": "affirm",
               "je veux un rendez-vous": "book_appointment"}
    report = understanding(lambda text: {"intent": {"name": answers[text]}},
                           {"affirm": ["oui", "ouais"], "deny": ["non"],
                            "book_appointment": ["je veux un rendez-vous"]})
    assert report["per_intent"]["affirm"] == {"phrases": 2, "right": 0.5, "unsure": 0.5,
                                              "wrong": 0.0}
    assert report["wrong"] == [{"text": "non", "expected": "deny", "predicted": "affirm"}]
    assert report["book_move_cancel"]["right"] == 1.0
    assert report["everything_else"] == {"phrases": 3, "right": 0.333, "unsure": 0.333,
                                         "wrong": 0.333}


def test_conversations_count_silences_and_the_same_question_in_a_row():
    script = {"a": [], "b": [{"text": "Votre nom ?"}], "c": [{"custom": {"event": "end_call"}}]}
    looping = Conversation("loops", lambda n: ["b", "b", "b", "b"], lambda r: False)
    quiet = Conversation("quiet", lambda n: ["a", "c"], lambda r: r[-1] == [])
    report = run_conversations(lambda sender, text: script[text], rounds=2,
                               conversations=[looping, quiet])
    assert report["conversations"] == 4 and report["ended_well"] == 2
    assert report["silent_turns"] == 2  # "a", twice; an end of call is an answer
    assert report["most_times_the_same_question_in_a_row"] == 4
    assert report["turn_ms"]["count"] == 12


def test_every_patient_the_conversations_identify_as_is_registered_first():
    """clinic.yml books registered patients only: each patient ID typed, with the name
    and phone around it, is one of ``patients_of``'s rows, for any number of rounds."""
    from simulation.dialogue_checks import patients_of

    typed = []
    run_conversations(lambda sender, text: typed.append((sender, text)) or [], rounds=3)
    by_sender = {}
    for sender, text in typed:
        by_sender.setdefault(sender, []).append(text)
    given = {(texts[3], texts[1], texts[2], texts[4]) for texts in by_sender.values()
             if len(texts) > 4 and texts[3].isdigit()}
    assert len(given) == 6  # two conversations give an identity, three rounds
    assert given == set(patients_of(rounds=3))


def test_each_heldout_set_is_scored_under_its_own_name():
    from simulation.understanding import understanding_of_sets

    report = understanding_of_sets(
        lambda text: {"intent": {"name": "greet"}},
        {"own": {"greet": ["bonjour à vous"]}, "public": {"goodbye": ["au revoir"]}})
    assert set(report) == {"understanding", "understanding_public"}
    assert report["understanding"]["overall"]["right"] == 1.0
    assert report["understanding_public"]["overall"]["wrong"] == 1.0
