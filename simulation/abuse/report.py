"""What each hostile request got (an HTTP status, a WebSocket close code or an
exception's name) and whether that is the expected refusal, summed up per category."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List


@dataclass
class Outcome:
    category: str
    target: str
    got: Any  # HTTP status, WebSocket close code, or an exception's name
    expected: bool


@dataclass
class Report:
    outcomes: List[Outcome] = field(default_factory=list)

    def add(self, category: str, target: str, got: Any, expected: Callable[[Any], bool]) -> None:
        self.outcomes.append(Outcome(category, target, got, bool(expected(got))))

    def summary(self) -> Dict[str, Any]:
        categories: Dict[str, Dict[str, Any]] = defaultdict(lambda: {"requests": 0, "answers": Counter(),
                                                                      "as_expected": 0})
        for outcome in self.outcomes:
            entry = categories[outcome.category]
            entry["requests"] += 1
            entry["answers"][str(outcome.got)] += 1
            entry["as_expected"] += outcome.expected
        server_errors = sum(1 for o in self.outcomes
                            if isinstance(o.got, int) and 500 <= o.got < 600)
        return {
            "requests": len(self.outcomes),
            "as_expected": sum(o.expected for o in self.outcomes),
            "server_errors_5xx": server_errors,
            "categories": {name: {**entry, "answers": dict(entry["answers"])}
                           for name, entry in categories.items()},
            "unexpected": [o.__dict__ for o in self.outcomes if not o.expected],
        }


def refused(got: Any) -> bool:
    return isinstance(got, int) and 400 <= got < 500


def closed_1008(got: Any) -> bool:
    return got == 1008
