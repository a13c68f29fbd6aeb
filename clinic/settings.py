"""The clinic's settings from the environment: the one module of :mod:`clinic` that
reads it (the action server, the staff console, the purge and the migrations share it).

Every variable, its default and its meaning are listed in ``.env.example``. Values are
read when asked (a test may set one with ``monkeypatch.setenv``); a malformed number is
a :class:`ValueError` naming the variable, at the start of the process that needs it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "clinic.yml"
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "clinic.db"
DEFAULT_TRACKER_SQLITE_PATH = PROJECT_ROOT / "var" / "tracker.db"
DEFAULT_CONNECT_TIMEOUT_S = 5
DEFAULT_STATEMENT_TIMEOUT_MS = 5000
SECRET_VARIABLE = "VOICE_CHANNEL_SECRET"


def clinic_config_path() -> Path:
    """``CLINIC_CONFIG``: the clinic's settings file (default ``clinic.yml``)."""
    return Path(os.environ.get("CLINIC_CONFIG") or DEFAULT_CONFIG_PATH)


def database_url() -> str:
    """``DATABASE_URL``: the clinic's database, defaulting to the SQLite file."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def explicit_tracker_store_url() -> Optional[str]:
    """``TRACKER_STORE_URL`` when set (Rasa's conversations, for the purge)."""
    return os.environ.get("TRACKER_STORE_URL") or None


def hash_secret() -> str:
    """``VOICE_CHANNEL_SECRET``: the key of the stored hashes ("" when unset)."""
    return os.environ.get(SECRET_VARIABLE, "")


def connect_timeout_s() -> int:
    """``DATABASE_CONNECT_TIMEOUT_S``: PostgreSQL's connection and pool wait."""
    return positive_int("DATABASE_CONNECT_TIMEOUT_S", DEFAULT_CONNECT_TIMEOUT_S)


def statement_timeout_ms() -> int:
    """``DATABASE_STATEMENT_TIMEOUT_MS``: PostgreSQL's longest statement."""
    return positive_int("DATABASE_STATEMENT_TIMEOUT_MS", DEFAULT_STATEMENT_TIMEOUT_MS)


def positive_int(name: str, default: int) -> int:
    """The environment variable ``name`` as a whole number of at least 1 (``default``
    when unset or empty); a :class:`ValueError` naming it otherwise. Also the reader of
    the staff console's and the cluster's numbers."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value
