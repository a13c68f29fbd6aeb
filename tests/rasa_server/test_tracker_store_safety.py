"""Rasa's tracker store, as ``endpoints.yml`` configures it, keeps the callers' words out
of error logs (``hide_parameters``); its secure_delete is in test_sqlite_secure_delete.

The store is built from ``endpoints.yml`` the way ``rasa run`` builds it
(``read_endpoints_from_path`` then ``TrackerStore.create``), on SQLite and on
PostgreSQL (``database_url`` fixture).
"""
from __future__ import annotations

import asyncio
import logging

import pytest
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from rasa_server.tracker_store import PrivateSQLTrackerStore
from tests.conftest import PROJECT_ROOT

SAID = "je m'appelle Ghislaine Vandermeersch, mon numéro c'est le 06 12 34 56 78"
SECRETS = ("Vandermeersch", "06 12 34 56 78")


def store_from_endpoints(url: str, monkeypatch) -> TrackerStore:
    """The tracker store of ``endpoints.yml`` on ``url``, built as ``rasa run`` builds it."""
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:9/webhook")
    endpoints = read_endpoints_from_path(PROJECT_ROOT / "endpoints.yml")
    return TrackerStore.create(endpoints.tracker_store,
                               domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))


@pytest.fixture
def store(database_url, monkeypatch):
    built = store_from_endpoints(database_url, monkeypatch)
    yield built
    built.engine.dispose()


def refuse_new_events(url: str) -> None:
    """Make every INSERT into Rasa's ``events`` fail, as a broken database would."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text(
                    "CREATE TRIGGER events_broken BEFORE INSERT ON events "
                    "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
                ))
            else:
                connection.execute(text(
                    "CREATE OR REPLACE FUNCTION events_broken() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$"
                ))
                connection.execute(text(
                    "CREATE TRIGGER events_broken BEFORE INSERT ON events "
                    "FOR EACH ROW EXECUTE FUNCTION events_broken()"
                ))
    finally:
        engine.dispose()


def test_endpoints_yml_gives_the_private_sql_store(store, database_url):
    assert type(store) is PrivateSQLTrackerStore  # not Rasa's in-memory fallback
    assert store.engine.hide_parameters
    assert str(store.engine.url) == database_url
    tracker = DialogueStateTracker.from_events("web:essai", [UserUttered("bonjour")])
    asyncio.run(store.save(tracker))
    assert [e.text for e in asyncio.run(store.retrieve("web:essai")).events
            if isinstance(e, UserUttered)] == ["bonjour"]


def test_a_failing_save_logs_no_transcript(store, database_url, caplog):
    refuse_new_events(database_url)
    tracker = DialogueStateTracker.from_events("phone:abc", [UserUttered(SAID)])
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as failure:
        asyncio.run(store.save(tracker))
    assert "disk on fire" in str(failure.value)
    assert "SQL parameters hidden" in str(failure.value)
    for secret in SECRETS:
        assert secret not in str(failure.value)
        assert secret not in caplog.text
