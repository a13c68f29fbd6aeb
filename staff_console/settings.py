"""The console's settings, read from the environment in this one place (every other
module of the console asks here).

``STAFF_HOST``/``STAFF_PORT`` (127.0.0.1:5006, :func:`listen_address`),
``STAFF_SESSION_MINUTES`` (idle time before a session expires, 30),
``STAFF_SESSION_MAX_HOURS`` (a session's longest life, 12), ``STAFF_COOKIE_SECURE``
(``true`` behind https: the cookie is then sent over https only),
``STAFF_MAX_LOGIN_FAILURES`` (5) within ``STAFF_LOCKOUT_MINUTES`` (15), per user and per
address, and ``STAFF_REVIEW_QUEUE`` (``review/staff_queue.yml``, the corrections ``make
add-reviewed`` adds to the training data). The databases are those of the other
services: ``DATABASE_URL`` and ``TRACKER_STORE_URL``, and the settings tab shows the
clinic's file, ``CLINIC_CONFIG``. Those three belong to the clinic: :mod:`clinic.settings`
reads them, with their defaults.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Tuple

from clinic.retention import tracker_store_url
from clinic.settings import PROJECT_ROOT, database_url, positive_int

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5006


@dataclass(frozen=True)
class ConsoleSettings:
    database_url: str
    tracker_store_url: str
    session_idle: timedelta = timedelta(minutes=30)
    session_max: timedelta = timedelta(hours=12)
    cookie_secure: bool = False
    max_login_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    review_queue: Path = field(default=PROJECT_ROOT / "review" / "staff_queue.yml")


def _flag(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def settings_from_env() -> ConsoleSettings:
    """The settings of this process; a bad value raises ``ValueError`` naming it."""
    queue = os.environ.get("STAFF_REVIEW_QUEUE")
    return ConsoleSettings(
        database_url=database_url(),
        tracker_store_url=tracker_store_url(),
        session_idle=timedelta(minutes=positive_int("STAFF_SESSION_MINUTES", 30)),
        session_max=timedelta(hours=positive_int("STAFF_SESSION_MAX_HOURS", 12)),
        cookie_secure=_flag("STAFF_COOKIE_SECURE"),
        max_login_failures=positive_int("STAFF_MAX_LOGIN_FAILURES", 5),
        lockout=timedelta(minutes=positive_int("STAFF_LOCKOUT_MINUTES", 15)),
        review_queue=Path(queue) if queue else PROJECT_ROOT / "review" / "staff_queue.yml",
    )


def listen_address() -> Tuple[str, int]:
    """Where ``python -m staff_console`` listens when ``--host``/``--port`` are not given."""
    return (os.environ.get("STAFF_HOST") or DEFAULT_HOST,
            int(os.environ.get("STAFF_PORT") or DEFAULT_PORT))
