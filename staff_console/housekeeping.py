"""The console's part of the hourly purge (``python -m clinic.retention``): sessions past
their expiry and failed logins past the lockout window leave the clinic database, even
when nobody logs in."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from staff_console.lockout import LoginLockout
from staff_console.sessions import SessionStore


@dataclass(frozen=True)
class LoginsPurged:
    sessions: int
    login_failures: int


def purge_logins(sessions: "sessionmaker[Session]", lockout: timedelta,
                 clock: Callable[[], datetime]) -> LoginsPurged:
    """Delete expired sessions and the failed logins older than ``lockout`` (at ``clock``'s
    time; neither purge reads the session lengths or the failure limit)."""
    store = SessionStore(sessions, timedelta(0), timedelta(0), clock)
    return LoginsPurged(store.purge(), LoginLockout(sessions, 1, lockout, clock).purge())
