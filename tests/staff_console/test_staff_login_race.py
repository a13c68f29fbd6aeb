"""Guesses sent together cannot outrun the login lockout: on a real server and real
SQLite and PostgreSQL databases, 20 wrong passwords posted at once get at most
``max_login_failures`` password checks; the others are refused before any check."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from staff_console import passwords
from staff_console.settings import ConsoleSettings
from tests.staff_console.console_client import login

GUESSES = 20
LIMIT = ConsoleSettings("", "").max_login_failures


class CountingHasher:
    """The real argon2 hasher, its verifications counted."""

    def __init__(self, real) -> None:
        self.real, self.verified = real, []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def verify(self, *args, **kwargs):
        self.verified.append(1)
        return self.real.verify(*args, **kwargs)


@pytest.fixture
def checks(monkeypatch):
    """The password checks the server makes (one per argon2 verification)."""
    hasher = CountingHasher(passwords._HASHER)
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    return hasher.verified


def test_parallel_wrong_guesses_get_at_most_the_limit_of_checks(any_console, checks):
    console = any_console
    clients = []
    for _ in range(GUESSES):  # each guesser has its login form (cookie and token)
        client = requests.Session()
        page = client.get(f"{console.url}/staff/login", timeout=10)
        clients.append((client, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)))
    start = threading.Barrier(GUESSES)

    def guess(index: int) -> int:
        client, token = clients[index]
        start.wait(30)
        return client.post(f"{console.url}/staff/login", timeout=60, allow_redirects=False, data={
            "csrf_token": token, "name": "accueil", "password": f"mauvais-mot-{index:02d}"}).status_code

    with ThreadPoolExecutor(GUESSES) as pool:
        statuses = list(pool.map(guess, range(GUESSES)))

    assert len(checks) <= LIMIT, statuses
    assert sorted(statuses) == [401] * len(checks) + [429] * (GUESSES - len(checks))
    if len(checks) == LIMIT:  # the window is full: even the right password waits
        _client, answer = login(console.url)
        assert answer.status_code == 429 and "Trop de tentatives" in answer.text
        assert len(checks) == LIMIT
