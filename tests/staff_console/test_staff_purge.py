"""The hourly purge (``python -m clinic.retention``) deletes expired staff sessions and
login failures past the lockout window, on real SQLite and PostgreSQL databases, without
waiting for someone to log in."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from clinic.models import utc_now
from clinic.retention import main
from staff_console.models import FAILURE_ADDRESS, FAILURE_USER, StaffLoginFailure, StaffSession
from staff_console.passwords import create_user


def test_one_purge_removes_expired_sessions_and_old_login_failures(
        database_url, session_factory, tmp_path, monkeypatch, caplog):
    member = create_user(session_factory, "accueil", "un-mot-de-passe-long")
    now = utc_now()
    with session_factory() as session, session.begin():
        session.add_all([
            StaffSession(token_hash="e" * 64, user_id=member.id, csrf_token="x", created_at=now,
                         expires_at=now - timedelta(minutes=1)),
            StaffSession(token_hash="l" * 64, user_id=member.id, csrf_token="y", created_at=now,
                         expires_at=now + timedelta(minutes=20)),
            StaffLoginFailure(subject_kind=FAILURE_USER, subject_key="old",
                              failed_at=now - timedelta(minutes=16)),
            StaffLoginFailure(subject_kind=FAILURE_ADDRESS, subject_key="recent",
                              failed_at=now - timedelta(minutes=5)),
        ])
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.delenv("STAFF_LOCKOUT_MINUTES", raising=False)  # 15 minutes
    caplog.set_level(logging.INFO)

    assert main([]) == 0

    with session_factory() as session:
        assert session.scalars(select(StaffSession.token_hash)).all() == ["l" * 64]
        assert session.scalars(select(StaffLoginFailure.subject_key)).all() == ["recent"]
    assert "1 expired staff session(s)" in caplog.text
    assert "1 old staff login failure(s)" in caplog.text
