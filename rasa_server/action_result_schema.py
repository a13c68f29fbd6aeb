"""The action server's answers checked against a schema compiled once, not on every call.

Rasa 3.6 checks each answer of the action server with ``jsonschema.validate(result,
schema)`` (``RemoteAction._validate_action_result``), which first checks the schema
itself against its meta-schema and builds a new validator: measured here, 17.6 ms of
the Rasa process's CPU per remote action call, about 30 ms of every form turn
(``bench/text_turns.py``'s stage breakdown). :func:`install` replaces that method with
one that runs the same schema, checked once, through one validator: the same answers
pass, the same ``ValidationError`` (same message) is raised for the others.
"""
from __future__ import annotations

from typing import Any, Dict, Text

_installed = False


def install() -> None:
    """Replace ``RemoteAction._validate_action_result`` (once per process)."""
    global _installed
    if _installed:
        return
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = validate_action_result
    _installed = True
