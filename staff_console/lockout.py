"""Failed logins, counted in the database per user name and per client address.

After ``max_login_failures`` failures within ``lockout`` (settings) for the name tried,
or from the address, logins are refused for the window, even with the right password.
Both are stored as keyed hashes (:func:`actions.identity_failures.subject_key`), never
the values: a name field sometimes receives a password typed in the wrong box.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from actions.identity_failures import subject_key
from staff_console.models import FAILURE_ADDRESS, FAILURE_USER, StaffLoginFailure


def _key(kind: str, value: str) -> str:
    return subject_key(f"staff-{kind}\n{value.strip().casefold()}")


class LoginLockout:
    def __init__(self, sessions: "sessionmaker[Session]", limit: int, window: timedelta,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._sessions = sessions
        self._limit = limit
        self._window = window
        self._clock = clock

    @property
    def window(self) -> timedelta:
        return self._window

    def _now(self) -> datetime:
        return self._clock().astimezone(timezone.utc).replace(tzinfo=None)

    def locked(self, name: str, address: str) -> bool:
        since = self._now() - self._window
        with self._sessions() as session:
            for kind, value in ((FAILURE_USER, name), (FAILURE_ADDRESS, address)):
                count = session.scalar(
                    select(func.count()).select_from(StaffLoginFailure).where(
                        StaffLoginFailure.subject_kind == kind,
                        StaffLoginFailure.subject_key == _key(kind, value),
                        StaffLoginFailure.failed_at > since))
                if count >= self._limit:
                    return True
        return False

    def record_failure(self, name: str, address: str) -> None:
        now = self._now()
        with self._sessions() as session, session.begin():
            for kind, value in ((FAILURE_USER, name), (FAILURE_ADDRESS, address)):
                session.add(StaffLoginFailure(subject_kind=kind, subject_key=_key(kind, value),
                                              failed_at=now))

    def forget_user(self, name: str) -> None:
        """After a successful login: the name's failures no longer count (the address's do)."""
        with self._sessions() as session, session.begin():
            session.execute(delete(StaffLoginFailure).where(
                StaffLoginFailure.subject_kind == FAILURE_USER,
                StaffLoginFailure.subject_key == _key(FAILURE_USER, name)))

    def purge(self) -> int:
        """Delete the failures that no longer count."""
        with self._sessions() as session, session.begin():
            return session.execute(delete(StaffLoginFailure).where(
                StaffLoginFailure.failed_at <= self._now() - self._window)).rowcount or 0
