"""The action server's settings from the environment: the one module of :mod:`actions`
that reads it. The clinic's own (its database, ``clinic.yml``, the hash secret) are
read by :mod:`clinic.settings`; every variable is listed in ``.env.example``.
"""
from __future__ import annotations

import os

DEFAULT_DUCKLING_URL = "http://127.0.0.1:8000"


def duckling_url() -> str:
    """``RASA_DUCKLING_HTTP_URL``: the Duckling server the validators ask for dates
    (the same one Rasa's ``DucklingEntityExtractor`` uses)."""
    return os.environ.get("RASA_DUCKLING_HTTP_URL", DEFAULT_DUCKLING_URL).rstrip("/")
