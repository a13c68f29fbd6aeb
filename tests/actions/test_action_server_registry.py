"""The action server serves exactly the custom actions the domain declares: rasa_sdk
registers every concrete ``Action`` subclass of :mod:`actions` (abstract bases are
skipped), so a base class left concrete would register a nameless action."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import yaml
from rasa_sdk import Action, utils

import actions
from tests.conftest import PROJECT_ROOT


def served_actions() -> set:
    for module in pkgutil.iter_modules(actions.__path__):
        importlib.import_module(f"actions.{module.name}")
    return {cls().name() for cls in utils.all_subclasses(Action)
            if cls.__module__.startswith("actions.") and not inspect.isabstract(cls)}


def test_the_action_server_serves_the_domain_s_actions_and_no_other():
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    declared = {name for name in domain["actions"] if not name.startswith("utter_")}
    assert served_actions() == declared
