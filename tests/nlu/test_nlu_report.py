"""``make nlu-report``'s figures: the README table and summary come from Rasa's report."""
from __future__ import annotations

import json
from datetime import date

import pytest

from nlu_review import cross_validation_report as report


def rasa_report() -> dict:
    """The shape of Rasa's ``intent_report.json`` (two intents and the averages)."""
    return {
        "greet": {"precision": 0.9, "recall": 0.8, "f1-score": 0.847, "support": 40,
                  "confused_with": {"goodbye": 2}},
        "ask_access": {"precision": 0.5, "recall": 0.625, "f1-score": 0.5556, "support": 16,
                       "confused_with": {}},
        "accuracy": 0.7857,
        "macro avg": {"precision": 0.7, "recall": 0.71, "f1-score": 0.70, "support": 56},
        "weighted avg": {"precision": 0.79, "recall": 0.7857, "f1-score": 0.7636, "support": 56},
    }


def test_the_summary_lists_intents_weakest_first_without_the_averages():
    summary = report.summarize(rasa_report(), folds=3, day=date(2026, 12, 5))
    assert [i["intent"] for i in summary["intents"]] == ["ask_access", "greet"]
    assert summary["examples"] == 56 and summary["accuracy"] == 0.786
    assert summary["weighted_f1"] == 0.764
    assert summary["intents"][0] == {"intent": "ask_access", "precision": 0.5, "recall": 0.625,
                                     "f1": 0.556, "support": 16}


def test_the_readme_block_is_replaced_and_the_rest_kept(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "intent_report.json").write_text(json.dumps(rasa_report()))
    (results / "intent_confusion_matrix.png").write_bytes(b"\x89PNG matrix")
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{report.START}\nold figures\n{report.END}\nafter\n")
    report.main(["--results", str(results), "--readme", str(readme),
                 "--summary", str(tmp_path / "nlu_report.json"),
                 "--matrix", str(tmp_path / "docs" / "matrix.png")])
    text = readme.read_text()
    assert text.startswith("# Title\n\nbefore\n") and text.endswith(f"{report.END}\nafter\n")
    assert "old figures" not in text
    assert "| ask_access | 0.50 | 0.62 | 0.56 | 16 |" in text
    assert "accuracy 0.786, weighted F1 0.764" in text
    assert (tmp_path / "docs" / "matrix.png").read_bytes() == b"\x89PNG matrix"
    assert json.loads((tmp_path / "nlu_report.json").read_text())["folds"] == 3


def test_a_readme_without_the_markers_is_an_error():
    with pytest.raises(ValueError, match="nlu-report:start"):
        report.replace_block("# no block here\n", "figures")
