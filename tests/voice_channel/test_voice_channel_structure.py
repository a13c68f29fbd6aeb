"""The voice channel's shape: its import graph, and modules small enough to read.

It never loads the actions package and its imports have no cycle; each module opens
with a docstring saying its one job and stays under about 300 lines. The Rasa server
process (``voice_channel`` and ``rasa_server``) reads its environment in one module,
:mod:`voice_channel.settings`.

The Rasa server process serves ``voice_channel``; the action server runs ``actions``.
What both need of French lives in ``spoken_french``, which imports neither. Every
import is read with ``ast`` (also those inside functions), so a lazy import cannot
hide a cycle or a reach into ``actions``.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Set[str]:
    """Every module ``path`` imports, anywhere in the file, as absolute dotted names."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[:len(package) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph(package: str) -> Dict[str, Set[str]]:
    """Module → the modules of ``package`` it imports (a package counts as its __init__)."""
    files = {_module_name(p): p for p in (ROOT / package).rglob("*.py")}
    return {name: {target for target in _imports(path) if target in files and target != name}
            for name, path in files.items()}


def _cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One import cycle of ``graph`` ([] when there is none). Imports of a package's own
    ``__init__`` by its submodules are left out: Python resolves them without a cycle."""
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(node: str) -> List[str]:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if node.startswith(target + "."):  # a submodule importing its package
                continue
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


@pytest.mark.parametrize("package", ["voice_channel", "spoken_french"])
def test_never_imports_the_actions_package(package):
    offenders = sorted(
        f"{_module_name(path)} imports {target}"
        for path in (ROOT / package).rglob("*.py")
        for target in _imports(path)
        if target == "actions" or target.startswith("actions.")
    )
    assert offenders == []


def test_spoken_french_imports_neither_side():
    offenders = sorted(
        f"{_module_name(path)} imports {target}"
        for path in (ROOT / "spoken_french").rglob("*.py")
        for target in _imports(path)
        if target.split(".")[0] in ("actions", "voice_channel", "rasa", "rasa_sdk")
    )
    assert offenders == []


@pytest.mark.parametrize("package", ["voice_channel", "spoken_french"])
def test_no_import_cycle(package):
    assert _cycle(_graph(package)) == []


def test_the_cycle_check_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


MAX_LINES = 300


@pytest.mark.parametrize("package", ["voice_channel", "spoken_french"])
def test_every_module_says_its_job_and_stays_small(package):
    no_docstring, too_long = [], []
    for path in sorted((ROOT / package).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not ast.get_docstring(ast.parse(text)):
            no_docstring.append(_module_name(path))
        if len(text.splitlines()) > MAX_LINES:
            too_long.append(_module_name(path))
    assert no_docstring == [] and too_long == []


def _reads_the_environment(path: Path) -> bool:
    """Whether ``path`` uses ``os.environ`` or ``os.getenv`` (``os.`` or imported by name)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb") \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                alias.name in ("environ", "getenv", "environb") for alias in node.names):
            return True
    return False


def test_the_rasa_server_process_reads_its_environment_in_one_module():
    readers = sorted(_module_name(path) for package in ("voice_channel", "rasa_server")
                     for path in (ROOT / package).rglob("*.py") if _reads_the_environment(path))
    assert readers == ["voice_channel.settings"]
