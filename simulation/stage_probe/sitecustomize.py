"""Stage timings for ``bench/text_turns.py``: loaded only by the bench's own stack.

The bench puts this directory first on ``PYTHONPATH`` and sets ``STAGE_TIMINGS_DIR``;
Python then imports this ``sitecustomize`` in every process of the stack. Nothing is
imported here up front: when Rasa's or rasa-sdk's modules are imported by the process
itself, their methods are wrapped with a timer, and each call appends one JSON line
``{"stage": …, "ms": …}`` to ``$STAGE_TIMINGS_DIR/<pid>.jsonl``:

* Rasa server: ``turn`` (``MessageProcessor.handle_message``), ``nlu``
  (``parse_message``, Duckling included), ``duckling`` (the HTTP call to Duckling),
  ``policies`` (``_predict_next_with_tracker``), ``action_server`` (``RemoteAction.run``:
  the HTTP call to the action server, its database work included), ``tracker_store``
  (``SQLTrackerStore`` retrieve and save);
* action server: ``action_code`` (``ActionExecutor.run``) and ``database`` (SQL statements
  and commits, timed with SQLAlchemy's cursor events and around ``_commit_impl``).

Production never loads it: ``make run`` does not put this directory on the path.
"""
from __future__ import annotations

import functools
import importlib.abc
import inspect
import json
import os
import sys
import time
from typing import Any, Callable, Dict

_DIRECTORY = os.environ.get("STAGE_TIMINGS_DIR")
_out = None


def record(stage: str, seconds: float) -> None:
    global _out
    if _out is None:
        _out = open(os.path.join(_DIRECTORY, f"{os.getpid()}.jsonl"), "a", buffering=1,
                    encoding="utf-8")
    _out.write(json.dumps({"stage": stage, "ms": round(seconds * 1000, 3)}) + "\n")


def timed(stage: str, function: Callable) -> Callable:
    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                record(stage, time.perf_counter() - began)
        return timed_coroutine

    @functools.wraps(function)
    def timed_call(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            record(stage, time.perf_counter() - began)
    return timed_call


def _wrap(cls: type, method: str, stage: str) -> None:
    setattr(cls, method, timed(stage, getattr(cls, method)))


def _processor(module) -> None:
    processor = module.MessageProcessor
    _wrap(processor, "handle_message", "turn")
    _wrap(processor, "parse_message", "nlu")
    _wrap(processor, "_predict_next_with_tracker", "policies")


def _duckling(module) -> None:
    _wrap(module.DucklingEntityExtractor, "_duckling_parse", "duckling")


def _actions(module) -> None:
    _wrap(module.RemoteAction, "run", "action_server")


def _tracker_store(module) -> None:
    for method in ("retrieve", "retrieve_full_tracker", "save"):
        _wrap(module.SQLTrackerStore, method, "tracker_store")


def _executor(module) -> None:
    if not any("rasa_sdk" in part for part in sys.argv[:1]):
        return  # the Rasa server imports rasa_sdk too; only the action server is timed
    _wrap(module.ActionExecutor, "run", "action_code")
    from sqlalchemy import event
    from sqlalchemy.engine import Connection, Engine

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("stage_probe_started", []).append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        record("database", time.perf_counter() - conn.info["stage_probe_started"].pop())

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    _wrap(Connection, "_commit_impl", "database")


_PATCHES: Dict[str, Callable] = {
    "rasa.core.processor": _processor,
    "rasa.nlu.extractors.duckling_entity_extractor": _duckling,
    "rasa.core.actions.action": _actions,
    "rasa.core.tracker_store": _tracker_store,
    "rasa_sdk.executor": _executor,
}


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: lets the other finders find the module, then runs its
    patch right after the module's own code."""

    def find_spec(self, name, path, target=None):
        if name not in _PATCHES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                execute = spec.loader.exec_module

                def exec_module(module, execute=execute, patch=_PATCHES[name]):
                    execute(module)
                    patch(module)

                spec.loader.exec_module = exec_module
                return spec
        return None


if _DIRECTORY:
    sys.meta_path.insert(0, _PatchAfterImport())
