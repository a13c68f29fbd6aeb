"""The figures of ``make nlu-report``: Rasa's cross-validation intent report
(``results/nlu/intent_report.json``) turned into ``bench/results/nlu_report.json``, a
per-intent table between markers in ``README.md`` and the confusion matrix copied to
``docs/nlu_confusion_matrix.png``, so that the README always shows the last run.

``python -m nlu_review.cross_validation_report --results results/nlu --folds 3``
"""
from __future__ import annotations

import argparse
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- nlu-report:start -->"
END = "<!-- nlu-report:end -->"
SUMMARY_KEYS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def summarize(report: Dict[str, Any], folds: int, day: date) -> Dict[str, Any]:
    """Accuracy, averages and each intent's precision/recall/F1/support, weakest first."""
    intents = {name: figures for name, figures in report.items()
               if name not in SUMMARY_KEYS and isinstance(figures, dict)}
    weighted = report.get("weighted avg") or {}
    return {
        "date": day.isoformat(),
        "folds": folds,
        "examples": sum(int(f.get("support", 0)) for f in intents.values()),
        "accuracy": round(float(report.get("accuracy", 0.0)), 3),
        "weighted_f1": round(float(weighted.get("f1-score", 0.0)), 3),
        "intents": [
            {"intent": name, "precision": round(float(f["precision"]), 3),
             "recall": round(float(f["recall"]), 3), "f1": round(float(f["f1-score"]), 3),
             "support": int(f["support"])}
            for name, f in sorted(intents.items(), key=lambda item: item[1]["f1-score"])
        ],
    }


def markdown(summary: Dict[str, Any]) -> str:
    lines = [
        f"{summary['folds']}-fold cross-validation on the {summary['examples']} training "
        f"examples of `data/nlu/` ({summary['date']}): **accuracy "
        f"{summary['accuracy']:.3f}, weighted F1 {summary['weighted_f1']:.3f}**. "
        "Weakest intents first:",
        "",
        "| intent | precision | recall | F1 | examples |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {i['intent']} | {i['precision']:.2f} | {i['recall']:.2f} | {i['f1']:.2f} "
              f"| {i['support']} |" for i in summary["intents"]]
    lines += ["", "![Intent confusion matrix](docs/nlu_confusion_matrix.png)"]
    return "\n".join(lines)


def replace_block(readme: str, block: str) -> str:
    """``readme`` with the text between the markers replaced by ``block``."""
    head, start, rest = readme.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README.md has no {START} … {END} block")
    return f"{head}{START}\n{block}\n{END}{tail}"


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "results" / "nlu")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--summary", type=Path, default=ROOT / "bench" / "results" / "nlu_report.json")
    parser.add_argument("--matrix", type=Path, default=ROOT / "docs" / "nlu_confusion_matrix.png")
    args = parser.parse_args(argv)
    report = json.loads((args.results / "intent_report.json").read_text(encoding="utf-8"))
    summary = summarize(report, args.folds, date.today())
    args.summary.parent.mkdir(parents=True, exist_ok=True)
    args.summary.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    args.matrix.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.results / "intent_confusion_matrix.png", args.matrix)
    args.readme.write_text(replace_block(args.readme.read_text(encoding="utf-8"),
                                         markdown(summary)), encoding="utf-8")
    print(f"accuracy {summary['accuracy']:.3f}, weighted F1 {summary['weighted_f1']:.3f}: "
          f"{args.summary}, {args.matrix}, {args.readme} updated")


if __name__ == "__main__":
    main()
