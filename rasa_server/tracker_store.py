"""Rasa's SQL tracker store, with the privacy settings of the clinic's own engines.

Rasa's :class:`~rasa.core.tracker_store.SQLTrackerStore` builds a plain SQLAlchemy
engine: a failing statement is logged with its parameters (the events, so the callers'
transcripts, names and numbers), and SQLite leaves deleted rows in the file's free
pages until they happen to be reused. :class:`PrivateSQLTrackerStore` is the same
store on an engine built the same way (Rasa's own pool and schema settings) with
``hide_parameters`` on, and ``PRAGMA secure_delete=ON`` on SQLite, so that a
conversation the purge deletes (:mod:`clinic.retention`) is gone from the file.

``endpoints.yml`` names it (``tracker_store: type: rasa_server.tracker_store.
PrivateSQLTrackerStore``, ``url: …``); Rasa then calls it with the same arguments as
its ``SQL`` type (``host`` is the URL). Rasa falls back to an in-memory store, with a
warning only, when a custom store cannot be imported: ``tests/test_tracker_store_safety``
loads ``endpoints.yml`` the way Rasa does and checks this class comes out.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from clinic.database import erase_deleted_content


class PrivateSQLTrackerStore(SQLTrackerStore):
    """:class:`SQLTrackerStore` whose engine never logs statement parameters and, on
    SQLite, overwrites what it deletes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rasa's engine has only created the tables (no personal data in that DDL).
        rasa_engine = self.engine
        self.engine = private_engine(rasa_engine.url)
        self.sessionmaker = sessionmaker(bind=self.engine)
        rasa_engine.dispose()


def private_engine(url: "sa.engine.URL") -> Engine:
    """The engine Rasa would build for ``url``, hiding parameters (and secure_delete on
    SQLite)."""
    engine = sa.create_engine(url, hide_parameters=True, **create_engine_kwargs(url))
    if engine.dialect.name == "sqlite":
        erase_deleted_content(engine)
    return engine
