"""Malformed or hostile requests across every route of the running stack.

Usage: ``python bench/abuse.py [--out bench/results/abuse.json]`` starts the stack
(``simulation.stack.running_stack``, SQLite, a fresh database, the shipped settings),
registers the victim and books one appointment for them through the staff chat, then
sends, in rounds: garbage JSON, huge bodies, wrong tokens, bad frames on the media
stream, replayed tickets and signatures, hijack attempts on the victim's conversation
and appointment, an identity brute force, and the attacks of security round 2
(:mod:`simulation.abuse.round_two`: forged incoming calls, anonymous bookings, parallel
guesses, a turn flood, an HTTP speech flood beside a live call). Each round on the open page
comes from loopback addresses of its own (as from several machines), so that the
per-address turn limit does not hide what is behind it. For each request it records
what came back (HTTP status or WebSocket close code) and whether that is the expected
refusal; at the end it checks that the server still serves, that the victim's
appointment is unchanged and that no unregistered ID booked anything. Figures go to
``bench/results/abuse.json``.

:func:`simulation.abuse.run.run_abuse` makes the requests and the summary; it is also
run by ``tests/e2e/test_security_e2e.py`` against its own stack.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.abuse.run import run_abuse  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "abuse.json")
    args = parser.parse_args()
    from simulation.stack import running_stack

    with tempfile.TemporaryDirectory(prefix="bench-abuse-") as tmp:
        with running_stack(Path(tmp), sqlite=True) as stack:
            summary = run_abuse(stack)
    summary["machine"] = {"cpus": __import__("os").cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k not in ("categories", "unexpected")},
                     indent=2, ensure_ascii=False))
    for name, entry in summary["categories"].items():
        print(f"  {name:22} {entry['requests']:4} requests, {entry['as_expected']:4} as expected, "
              f"answers {entry['answers']}")


if __name__ == "__main__":
    main()
