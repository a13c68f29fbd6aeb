"""``python -m nlu_review export|add``: the review loop's two steps (see the package).

export: ``--days 7 --out review/nlu_review.yml [--threshold 0.6]``, reading
``TRACKER_STORE_URL`` (or ``--tracker-store``).
add: ``--review review/nlu_review.yml --into data/nlu/reviewed.yml``.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

import yaml

from nlu_review.candidates import DEFAULT_THRESHOLD, read_candidates
from nlu_review.review_file import ReviewError, add_reviewed, write_review

ROOT = Path(__file__).resolve().parent.parent
logger = logging.getLogger("nlu_review")


def domain_intents(domain: Path = ROOT / "domain.yml") -> List[str]:
    data = yaml.safe_load(domain.read_text(encoding="utf-8")) or {}
    return [i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu_review", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the messages to review")
    export.add_argument("--days", type=float, default=7.0)
    export.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    export.add_argument("--tracker-store", default=os.environ.get("TRACKER_STORE_URL"))
    export.add_argument("--out", type=Path, default=ROOT / "review" / "nlu_review.yml")
    add = commands.add_parser("add", help="append a corrected review to the training data")
    add.add_argument("--review", type=Path, default=ROOT / "review" / "nlu_review.yml")
    add.add_argument("--into", type=Path, default=ROOT / "data" / "nlu" / "reviewed.yml")
    add.add_argument("--training-data", type=Path, default=ROOT / "data" / "nlu")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    if args.command == "export":
        if not args.tracker_store:
            parser.error("no tracker store: set TRACKER_STORE_URL or --tracker-store")
        candidates = read_candidates(args.tracker_store, args.days, args.threshold)
        count = write_review(candidates, args.out, args.days, domain_intents())
        logger.info("%d message(s) to review (%d turns) written to %s: correct the intents, "
                    "then `make add-reviewed`", count, len(candidates), args.out)
        return 0
    if not args.review.is_file():
        parser.error(f"no review file at {args.review}: run `make review` first")
    files = sorted(args.training_data.rglob("*.yml"))
    try:
        added, skipped = add_reviewed(args.review, args.into, domain_intents(), files)
    except ReviewError as problem:
        logger.error("%s: %s", args.review, problem)
        return 1
    logger.info("%d example(s) added to %s, %d already known; `make train` retrains",
                added, args.into, skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
