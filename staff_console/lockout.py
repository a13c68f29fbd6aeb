"""Failed logins, counted in the database per user name and per client address.

After ``max_login_failures`` failures within ``lockout`` (settings) for the name tried,
or from the address, logins are refused for the window, even with the right password.
Both are stored as keyed hashes (:func:`clinic.identity_failures.subject_key`), never
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
from typing import Callable, Optional, Tuple

from sqlalchemy.orm import Session, sessionmaker

from clinic.failure_ledger import FailureLedger
from clinic.identity_failures import subject_key
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
        self._ledger = FailureLedger(sessions, StaffLoginFailure, window, clock)
        self._limit = limit

    @property
    def window(self) -> timedelta:
        return self._ledger.window

    def begin(self, name: str, address: str) -> Optional[LoginAttempt]:
        """Record a login attempt as a failure, then count: None if the window is past
        full (the attempt is refused and its rows taken back), else the attempt."""
        row_ids, counts = self._ledger.record(_subjects(name, address))
        if max(counts) <= self._limit:
            return LoginAttempt(name, row_ids)
        self._ledger.forget(row_ids)
        return None

    def succeeded(self, attempt: LoginAttempt) -> None:
        """The password was right: the attempt and the name's failures no longer count
        (the address's other failures do)."""
        self._ledger.forget(attempt.row_ids)
        self.forget_user(attempt.name)

    def forget_user(self, name: str) -> None:
        """After a successful login: the name's failures no longer count (the address's do)."""
        self._ledger.forget_subject((FAILURE_USER, _key(FAILURE_USER, name)))

    def purge(self) -> int:
        """Delete the failures that no longer count."""
        return self._ledger.purge()
