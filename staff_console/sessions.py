"""Server-side staff sessions: an opaque cookie, an expiry, and a CSRF token.

The cookie holds a random token; the database holds its SHA-256 only, the user, the
session's CSRF token and its expiry. A session expires after ``session_idle`` without
use (each use pushes the expiry back) and ``session_max`` after login whatever happens.
Every change (POST) must carry the session's CSRF token; it is compared in constant time.
A disabled account's sessions are ended when it is disabled (:func:`delete_sessions`), and
refused here should one remain; the member's role is read afresh at each request.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from clinic.models import to_db
from staff_console.models import StaffSession, StaffUser
from staff_console.passwords import StaffMember

COOKIE_NAME = "staff_session"


@dataclass(frozen=True)
class OpenSession:
    member: StaffMember
    csrf_token: str
    expires_at: datetime  # naive UTC


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def delete_sessions(session: Session, user_id: int, keep_token: Optional[str] = None) -> int:
    """End every session of ``user_id`` (but the one of ``keep_token``), in ``session``'s
    transaction; how many."""
    query = delete(StaffSession).where(StaffSession.user_id == user_id)
    if keep_token:
        query = query.where(StaffSession.token_hash != _hash(keep_token))
    return session.execute(query).rowcount or 0


def csrf_matches(expected: str, given: Optional[str]) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


class SessionStore:
    def __init__(self, sessions: "sessionmaker[Session]", idle: timedelta, longest: timedelta,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._sessions = sessions
        self._idle = idle
        self._longest = longest
        self._clock = clock

    def _now(self) -> datetime:
        return to_db(self._clock())

    def open(self, member: StaffMember) -> str:
        """A new session for ``member``; the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = self._now()
        with self._sessions() as session, session.begin():
            session.add(StaffSession(token_hash=_hash(token), user_id=member.id,
                                     csrf_token=secrets.token_urlsafe(32), created_at=now,
                                     expires_at=now + self._idle))
        return token

    def find(self, token: Optional[str]) -> Optional[OpenSession]:
        """The live session of ``token`` (its expiry pushed back), else None."""
        if not token or len(token) > 100:
            return None
        now = self._now()
        with self._sessions() as session, session.begin():
            row = session.execute(
                select(StaffSession, StaffUser)
                .join(StaffUser, StaffSession.user_id == StaffUser.id)
                .where(StaffSession.token_hash == _hash(token))
            ).first()
            if row is None:
                return None
            stored, user = row
            if stored.expires_at <= now or user.disabled_at is not None:
                session.delete(stored)
                return None
            stored.expires_at = min(now + self._idle, stored.created_at + self._longest)
            return OpenSession(StaffMember.of(user), stored.csrf_token, stored.expires_at)

    def close(self, token: Optional[str]) -> None:
        if token:
            with self._sessions() as session, session.begin():
                session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))

    def purge(self) -> int:
        with self._sessions() as session, session.begin():
            return session.execute(
                delete(StaffSession).where(StaffSession.expires_at <= self._now())).rowcount or 0
