"""The staff console's shipped defaults, as README states them, read from what ships
(``settings_from_env()`` with none of the ``STAFF_*`` variables set, as ``make run``
starts the console) and checked on a real console (this process, real SQLite):

* "After 5 wrong passwords for a name, or from one computer, logins are refused for
  15 minutes" (README, "For the clinic staff"; the table of variables:
  ``STAFF_MAX_LOGIN_FAILURES``, ``STAFF_LOCKOUT_MINUTES`` = 5, 15), set in
  staff_console/settings.py;
* "A session ends after 30 minutes unused" (README; ``STAFF_SESSION_MINUTES`` = 30).

Time is not waited for: the console's clock (its session store's and its lockout's,
both read from ``datetime.now``) is moved forward by the test.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Iterator

import pytest
from sanic import Sanic

from clinic.database import make_engine, make_session_factory, migrate
from staff_console.passwords import create_user
from staff_console.settings import ConsoleSettings, settings_from_env
from tests.staff_console.console_client import PASSWORD, login, running_console, write_call

STAFF_VARIABLES = ("STAFF_MAX_LOGIN_FAILURES", "STAFF_LOCKOUT_MINUTES", "STAFF_SESSION_MINUTES",
                   "STAFF_SESSION_MAX_HOURS", "STAFF_COOKIE_SECURE", "STAFF_REVIEW_QUEUE")


class ConsoleClock:
    """The console's ``datetime.now``, ``ahead`` of the real one."""

    def __init__(self, monkeypatch) -> None:
        self.ahead = timedelta(0)
        clock = self

        class MovedDatetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.now(tz) + clock.ahead

        import staff_console.lockout
        import staff_console.sessions

        for module in (staff_console.sessions, staff_console.lockout):
            monkeypatch.setattr(module, "datetime", MovedDatetime)

    def move(self, **delta: float) -> None:
        self.ahead += timedelta(**delta)


@pytest.fixture
def shipped(tmp_path, monkeypatch) -> ConsoleSettings:
    """The console's settings as `make run` gives them: no STAFF_* variable set."""
    for name in STAFF_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    return settings_from_env()


@pytest.fixture
def console(shipped, tmp_path, monkeypatch) -> Iterator:
    """The console of the shipped settings, with the member « accueil »."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    migrate(shipped.database_url)
    engine = make_engine(shipped.database_url)
    create_user(make_session_factory(engine), "accueil", PASSWORD)
    engine.dispose()
    write_call(shipped.tracker_store_url)
    settings = dataclasses.replace(shipped, review_queue=tmp_path / "queue.yml")
    with running_console(settings) as running:
        yield running


@pytest.fixture
def clock(monkeypatch) -> ConsoleClock:
    return ConsoleClock(monkeypatch)


def test_the_shipped_defaults_are_the_readmes(shipped):
    assert shipped.max_login_failures == 5
    assert shipped.lockout == timedelta(minutes=15)
    assert shipped.session_idle == timedelta(minutes=30)


def test_five_wrong_passwords_lock_the_name_out_for_15_minutes(shipped, console, clock):
    wrong = [login(console.url, password=f"pas-le-bon-{n}")[1].status_code
             for n in range(shipped.max_login_failures)]
    assert wrong == [401] * 5
    _, locked = login(console.url)  # the 6th login, with the right password
    assert locked.status_code == 429 and "Trop de tentatives" in locked.text
    clock.move(minutes=14, seconds=30)  # the window is not over
    assert login(console.url)[1].status_code == 429
    clock.move(seconds=60)  # 15 minutes and 30 seconds after the failures
    _, allowed = login(console.url)
    assert (allowed.status_code, allowed.headers["location"]) == (303, "/staff/")


def test_a_session_ends_after_30_minutes_unused(console, clock):
    client, answer = login(console.url)
    assert answer.status_code == 303
    figures = f"{console.url}/staff/api/figures"
    clock.move(minutes=29)
    assert client.get(figures, timeout=10).status_code == 200  # used: 30 more minutes
    clock.move(minutes=29)  # 58 minutes after login, 29 after its last use
    assert client.get(figures, timeout=10).status_code == 200
    clock.move(minutes=30, seconds=10)  # 30 minutes unused
    assert client.get(figures, timeout=10).status_code == 401
    page = client.get(f"{console.url}/staff/", allow_redirects=False, timeout=10)
    assert (page.status_code, page.headers["location"]) == (303, "/staff/login")
