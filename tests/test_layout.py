"""The layout's rules, checked on the code itself (issue 22: one home per process).

* Each top-level package says in its docstring which process runs it (« Run by: ») and
  what it may import (« May import: »).
* Import rules between the packages: the clinic's data layer (:mod:`clinic`) imports no
  Rasa and no Rasa actions; the Rasa server's voice channel imports neither the actions
  nor the data layer; the staff console imports no actions and no Rasa; the shared
  leaves (:mod:`spoken_french`, :mod:`conversation_names`) import nothing of the
  project; tests import no bench and benches no test (what both need is in
  :mod:`simulation`).
* Product code (everything but ``tests/`` and Alembic's generated revisions) keeps
  modules to 300 lines and functions to 60 (a function's whole span, nested functions
  included).
"""
from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
PROJECT = ("actions", "clinic", "cluster", "conversation_names", "voice_channel", "staff_console",
           "rasa_server", "nlu_components", "nlu_review", "embedded_duckling", "tts_service",
           "spoken_french", "simulation", "bench", "tests")
RASA = ("rasa", "rasa_sdk")

# package -> the top-level names it may never import
FORBIDDEN: Dict[str, Set[str]] = {
    "clinic": {*RASA, "actions", "voice_channel", "nlu_components", "rasa_server"},
    "voice_channel": {"actions", "clinic", "staff_console"},
    "staff_console": {*RASA, "actions", "voice_channel"},
    "actions": {"rasa", "voice_channel", "staff_console", "rasa_server"},
    "nlu_components": {"actions", "clinic", "voice_channel", "staff_console"},
    "nlu_review": {*RASA, "actions", "clinic", "voice_channel"},
    "spoken_french": {*RASA, *PROJECT},
    "conversation_names": {*RASA, *PROJECT},
    "embedded_duckling": {*RASA, *PROJECT},
    "tts_service": {*RASA, *PROJECT},
    "cluster": {*RASA, "actions", "voice_channel", "staff_console", "rasa_server",
                "nlu_components"},
    "tests": {"bench"},
    "bench": {"tests"},
    "simulation": {"tests", "bench", "actions"},
}
# The one crossing the rules allow, said in clinic's docstring: the purge process
# (python -m clinic.retention) also runs the staff console's housekeeping.
ALLOWED = {("clinic/retention.py", "staff_console")}


def tracked_python() -> List[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                             "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / name for name in listed.stdout.split() if (ROOT / name).exists()]


def product_files() -> List[Path]:
    return [p for p in tracked_python()
            if p.relative_to(ROOT).parts[0] != "tests"
            and "versions" not in p.relative_to(ROOT).parts[:2]]


def imported_tops(tree: ast.AST) -> Iterator[Tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def packages() -> List[str]:
    return sorted(p.parent.name for p in ROOT.glob("*/__init__.py")
                  if p.parent.name not in ("tests",) and not p.parent.name.startswith("."))


@pytest.mark.parametrize("package", packages())
def test_each_package_says_who_runs_it_and_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or ""
    assert "Run by:" in doc and "May import:" in doc, f"{package}/__init__.py: {doc[:200]!r}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_follow_the_layout(package):
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for top, line in imported_tops(ast.parse(path.read_text())):
            if top in FORBIDDEN[package] - {package} and (relative, top) not in ALLOWED:
                wrong.append(f"{relative}:{line} imports {top}")
    assert not wrong, "\n".join(wrong)


def test_modules_stay_under_the_line_limit():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in product_files()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES]
    assert not long, "\n".join(long)


def test_functions_stay_under_the_line_limit():
    long = []
    for path in product_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                span = node.end_lineno - node.lineno + 1
                if span > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {span}")
    assert not long, "\n".join(long)


def test_the_rules_see_a_crossing():
    """The checker itself: an import of Rasa in the data layer is found."""
    tree = ast.parse("from rasa_sdk import Tracker\nimport actions.slots\n")
    found = {top for top, _ in imported_tops(tree)}
    assert found & FORBIDDEN["clinic"] == {"rasa_sdk", "actions"}


# -- settings: one module per process reads the environment, every variable listed ----------

SETTINGS_MODULES = {
    "actions/settings.py", "clinic/settings.py", "cluster/settings.py", "voice_channel/settings.py",
    "staff_console/settings.py", "nlu_review/__main__.py", "embedded_duckling/__main__.py",
    "tts_service/__main__.py",
}
_READS_ENV = re.compile(r"os\.environ\.get\b|os\.getenv\b|os\.environ\[[^\]]+\](?!\s*=[^=])")
_VARIABLE = re.compile(r"[\"']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)[\"']")


def test_each_process_reads_the_environment_in_its_settings_module():
    readers = {p.relative_to(ROOT).as_posix() for p in product_files()
               if p.relative_to(ROOT).parts[0] not in ("bench", "simulation", "scripts")
               and _READS_ENV.search(p.read_text())}
    assert readers <= SETTINGS_MODULES, sorted(readers - SETTINGS_MODULES)


def environment_variables_read() -> Set[str]:
    names = set()
    for module in SETTINGS_MODULES:
        names |= set(_VARIABLE.findall((ROOT / module).read_text()))
    from voice_channel.settings import Environment

    return names | {f.name.upper() for f in dataclasses.fields(Environment)}


def test_every_variable_is_in_the_env_example_with_its_default():
    listed = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
              if re.match(r"^[A-Z][A-Z0-9_]*=", line)}
    missing = environment_variables_read() - listed
    assert not missing, sorted(missing)
