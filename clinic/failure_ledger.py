"""Failed attempts in one table, counted per subject within a sliding window, and
recorded *before* what they attempt is verified.

Two guards count failures the same way: the identity check of the forms (per patient
ID and per caller, :mod:`clinic.identity_failures`) and the staff console's login (per
name and per address, :mod:`staff_console.lockout`). Each table has the columns
``subject_kind``, ``subject_key`` (a keyed hash, never the value) and ``failed_at``
(naive UTC). :meth:`FailureLedger.record` commits an attempt's rows first and only then
counts every row in the window, its own included: guesses sent at once each see every
attempt committed before them, so no more than the limit pass a count taken before any
of them was written. A check that passes (or is refused unverified) takes its rows back
with :meth:`FailureLedger.forget`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, List, Sequence, Tuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from clinic.models import to_db

Subject = Tuple[str, str]  # (subject_kind, subject_key)


class FailureLedger:
    def __init__(self, sessions: "sessionmaker[Session]", model: Any, window: timedelta,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._sessions = sessions
        self._model = model
        self.window = window
        self._clock = clock

    def now(self) -> datetime:
        return to_db(self._clock())

    def record(self, subjects: Sequence[Subject]) -> Tuple[Tuple[int, ...], List[int]]:
        """One failure per subject, committed; then the counts of each subject within
        the window, these rows included: (the rows' ids, the counts)."""
        now = self.now()
        rows = [self._model(subject_kind=kind, subject_key=key, failed_at=now)
                for kind, key in subjects]
        with self._sessions() as session:
            with session.begin():
                session.add_all(rows)
                session.flush()
                row_ids = tuple(row.id for row in rows)
            # Counted after the commit: every attempt committed before this one is seen.
            return row_ids, self._counts(session, subjects)

    def counts(self, subjects: Sequence[Subject]) -> List[int]:
        """The failures of each subject within the window."""
        with self._sessions() as session:
            return self._counts(session, subjects)

    def forget(self, row_ids: Sequence[int]) -> None:
        """These rows are no failures after all."""
        with self._sessions() as session, session.begin():
            session.execute(delete(self._model).where(self._model.id.in_(tuple(row_ids))))

    def forget_subject(self, subject: Subject) -> None:
        """Every failure of ``subject`` no longer counts."""
        kind, key = subject
        with self._sessions() as session, session.begin():
            session.execute(delete(self._model).where(
                self._model.subject_kind == kind, self._model.subject_key == key))

    def purge(self) -> int:
        """Delete the failures that no longer count; how many rows went."""
        with self._sessions() as session, session.begin():
            return session.execute(delete(self._model).where(
                self._model.failed_at <= self.now() - self.window)).rowcount or 0

    def _counts(self, session: Session, subjects: Sequence[Subject]) -> List[int]:
        since = self.now() - self.window
        return [session.scalar(select(func.count()).select_from(self._model).where(
                    self._model.subject_kind == kind, self._model.subject_key == key,
                    self._model.failed_at > since))
                for kind, key in subjects]
