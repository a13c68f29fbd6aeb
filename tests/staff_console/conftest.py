"""The staff console's fixtures: a console on a free port with one staff member and one
call, on SQLite (``console``) or on each test database (``any_console``)."""
from __future__ import annotations

import pytest
from sanic import Sanic

from clinic.database import make_engine, make_session_factory, migrate
from staff_console.passwords import create_user
from staff_console.settings import ConsoleSettings
from tests.staff_console.console_client import PASSWORD, running_console, write_call


@pytest.fixture
def console(tmp_path, monkeypatch):
    """A console on a free port, with one staff member and one conversation."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    database, tracker = f"sqlite:///{tmp_path / 'clinic.db'}", f"sqlite:///{tmp_path / 'tracker.db'}"
    migrate(database)
    engine = make_engine(database)
    create_user(make_session_factory(engine), "accueil", PASSWORD)
    engine.dispose()
    write_call(tracker)
    settings = ConsoleSettings(database, tracker, max_login_failures=3,
                               review_queue=tmp_path / "queue.yml")
    with running_console(settings) as running:
        yield running


@pytest.fixture
def any_console(database_url, session_factory, tmp_path, monkeypatch):
    """A console on each kind of database (SQLite, PostgreSQL; the tracker store in the
    same database for PostgreSQL), with « accueil », its first account (an admin), and
    one call."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    tracker = database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'tracker.db'}"
    create_user(session_factory, "accueil", PASSWORD)
    write_call(tracker)
    settings = ConsoleSettings(database_url, tracker, review_queue=tmp_path / "queue.yml")
    with running_console(settings) as running:
        yield running
