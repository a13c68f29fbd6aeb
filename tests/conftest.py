"""Shared fixtures: the clinic configuration and real databases (SQLite and PostgreSQL).

PostgreSQL tests use ``TEST_POSTGRES_URL`` (``.ci/run`` starts a server and sets it).
On a laptop without it they are skipped; in CI (``CI`` set) a missing URL fails.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import MetaData

from actions.clinic_config import ClinicConfig, load_clinic_config
from actions.database import make_engine, make_session_factory, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PARIS_NOW = "2026-11-25T09:00:00+01:00"  # a Wednesday morning


def skip_or_fail(message: str, in_ci: str = "CI must provide it") -> None:
    """Skip a test whose requirement is missing on a laptop; fail it in CI (``CI`` set),
    where a skipped test would prove nothing."""
    if os.environ.get("CI"):
        pytest.fail(f"{message}: {in_ci}")
    pytest.skip(message)


def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        skip_or_fail("TEST_POSTGRES_URL is not set (PostgreSQL tests run in CI)",
                     "CI must run the PostgreSQL tests")
    return url


@pytest.fixture(scope="session")
def clinic() -> ClinicConfig:
    return load_clinic_config(PROJECT_ROOT / "clinic.yml")


@pytest.fixture
def fixed_now() -> datetime:
    return datetime.fromisoformat(PARIS_NOW)


def reset_schema(url: str) -> None:
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(bind=engine)
        metadata.drop_all(bind=engine)
    finally:
        engine.dispose()
    migrate(url)


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
