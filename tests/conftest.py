"""Shared fixtures: the clinic configuration and real databases (SQLite and PostgreSQL).

PostgreSQL tests use ``TEST_POSTGRES_URL`` (``.ci/run`` starts a server and sets it).
On a laptop without it they are skipped; in CI (``CI`` set) a missing URL fails.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest

from actions.clinic_config import ClinicConfig, load_clinic_config
from actions.database import make_engine, make_session_factory
from simulation.databases import postgres_url, reset_schema  # noqa: F401  (tests import them here)
from simulation.requirements import skip_or_fail  # noqa: F401

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PARIS_NOW = "2026-11-25T09:00:00+01:00"  # a Wednesday morning


@pytest.fixture(scope="session")
def clinic() -> ClinicConfig:
    return load_clinic_config(PROJECT_ROOT / "clinic.yml")


@pytest.fixture
def fixed_now() -> datetime:
    return datetime.fromisoformat(PARIS_NOW)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'clinic.db'}"
    else:
        url = postgres_url()
    reset_schema(url)
    yield url


@pytest.fixture
def session_factory(database_url):
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()
