"""The PostgreSQL database of a run (``TEST_POSTGRES_URL``), emptied and migrated."""
from __future__ import annotations

import os

from sqlalchemy import MetaData

from clinic.database import make_engine, migrate
from simulation.requirements import skip_or_fail


def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        skip_or_fail("TEST_POSTGRES_URL is not set (PostgreSQL tests run in CI)",
                     "CI must run the PostgreSQL tests")
    return url


def reset_schema(url: str) -> None:
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(bind=engine)
        metadata.drop_all(bind=engine)
    finally:
        engine.dispose()
    migrate(url)
