"""Failed logins, counted in the database per user name and per client address.

After ``max_login_failures`` failures within ``lockout`` (settings) for the name tried,
or from the address, logins are refused for the window, even with the right password.
Both are stored as keyed hashes (:func:`actions.identity_failures.subject_key`), never
the values: a name field sometimes receives a password typed in the wrong box.

A login is recorded as a failure *before* its password is checked (:meth:`LoginLockout.begin`
commits its rows, then counts the window, its own rows included), so that guesses sent
together cannot all pass the count: each one counts every attempt committed before it,
so at most ``max_login_failures`` passwords are checked per window. A refused attempt takes
its rows back (it checked nothing); a failed one keeps them; a successful one removes
them and the name's earlier failures (:meth:`LoginLockout.succeeded`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, List, Optional, Tuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from actions.identity_failures import subject_key
from staff_console.models import FAILURE_ADDRESS, FAILURE_USER, StaffLoginFailure


def _key(kind: str, value: str) -> str:
    return subject_key(f"staff-{kind}\n{value.strip().casefold()}")


def _subjects(name: str, address: str) -> Tuple[Tuple[str, str], ...]:
    return ((FAILURE_USER, _key(FAILURE_USER, name)), (FAILURE_ADDRESS, _key(FAILURE_ADDRESS, address)))


@dataclass(frozen=True)
class LoginAttempt:
    """A login under way: its rows count as a failure until it succeeds."""

    name: str
    row_ids: Tuple[int, ...]


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

    def begin(self, name: str, address: str) -> Optional[LoginAttempt]:
        """Record a login attempt as a failure, then count: None if the window is past
        full (the attempt is refused and its rows taken back), else the attempt."""
        with self._sessions() as session:
            with session.begin():
                row_ids = tuple(row.id for row in self._add(session, name, address))
            with session.begin():
                if max(self._counts(session, name, address)) <= self._limit:
                    return LoginAttempt(name, row_ids)
                session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.id.in_(row_ids)))
        return None

    def succeeded(self, attempt: LoginAttempt) -> None:
        """The password was right: the attempt and the name's failures no longer count
        (the address's other failures do)."""
        with self._sessions() as session, session.begin():
            session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.id.in_(attempt.row_ids)))
        self.forget_user(attempt.name)

    def _add(self, session: Session, name: str, address: str) -> List[StaffLoginFailure]:
        now = self._now()
        rows = [StaffLoginFailure(subject_kind=kind, subject_key=key, failed_at=now)
                for kind, key in _subjects(name, address)]
        session.add_all(rows)
        session.flush()
        return rows

    def _counts(self, session: Session, name: str, address: str) -> List[int]:
        since = self._now() - self._window
        return [session.scalar(select(func.count()).select_from(StaffLoginFailure).where(
                    StaffLoginFailure.subject_kind == kind, StaffLoginFailure.subject_key == key,
                    StaffLoginFailure.failed_at > since))
                for kind, key in _subjects(name, address)]

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
