"""Shared fixtures: the clinic configuration, real databases (SQLite and PostgreSQL), the
real domain, a real Duckling and the actions' clinic operations.

PostgreSQL tests use ``TEST_POSTGRES_URL`` (``.ci/run`` starts a server and sets it).
On a laptop without it they are skipped; in CI (``CI`` set) a missing URL fails.
"""
from __future__ import annotations

import os

# The key of the stored hashes (patient IDs, callers): the code refuses to run without
# one (clinic.identity_failures.required_secret), as `make run` always provides it.
os.environ.setdefault("VOICE_CHANNEL_SECRET", "tests-only-secret-0123456789abcdef")

import dataclasses  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Dict, Iterator  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from actions.clinic_service import use_clinic_operations  # noqa: E402
from clinic.operations import ClinicOperations  # noqa: E402
from clinic.config import ClinicConfig, load_clinic_config
from clinic.database import make_engine, make_session_factory
from simulation.databases import postgres_url, reset_schema  # noqa: F401  (tests import them here)
from simulation.stack import stop_process  # noqa: E402
from tests.actions.tracker_builder import CLOSED_URL, load_domain, new_dispatcher  # noqa: E402
from simulation.requirements import skip_or_fail  # noqa: F401

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PARIS_NOW = "2026-11-25T09:00:00+01:00"  # a Wednesday morning


@pytest.fixture(scope="session")
def shipped_clinic() -> ClinicConfig:
    """``clinic.yml`` exactly as shipped (registered patients only)."""
    return load_clinic_config(PROJECT_ROOT / "clinic.yml")


@pytest.fixture(scope="session")
def clinic(shipped_clinic) -> ClinicConfig:
    """``clinic.yml`` as shipped, but open to new patients: most tests book for patients
    they make up. The shipped default, registered patients only, is tested on
    ``shipped_clinic`` (tests/actions/test_registered_patients_only.py) and end to end (the
    stack registers its test patients with ``make import-patients``)."""
    return dataclasses.replace(shipped_clinic, security=dataclasses.replace(
        shipped_clinic.security, registered_patients_only=False))


@pytest.fixture(scope="session")
def trained_agent():
    """The trained model (``models/current.tar.gz``), loaded once for every test that
    parses with it; without Duckling, so intents only."""
    model = PROJECT_ROOT / "models" / "current.tar.gz"
    if not model.exists():
        skip_or_fail("no trained model: run make train", "make test-unit trains it first")
    from rasa.core.agent import Agent

    return Agent.load(str(model))


@pytest.fixture(scope="session")
def parse_intent(trained_agent):
    """text → the intent the trained model gives it."""
    import asyncio

    return lambda text: asyncio.run(trained_agent.parse_message(text))["intent"]["name"]


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


# -- the actions' fixtures: the domain, Duckling, the clinic operations ---------------------


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """The real domain dict (shared: tests must not change it; use ``load_domain()``)."""
    return load_domain()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return new_dispatcher()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def duckling_server(tmp_path_factory) -> Iterator[str]:
    """A real embedded Duckling (``python -m embedded_duckling``) on a free port."""
    port = _free_port()
    log = tmp_path_factory.mktemp("duckling") / "duckling.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUCKLING_")}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "embedded_duckling", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"embedded Duckling exited with {process.returncode}: {log.read_text()}")
            try:
                if requests.get(url + "/", timeout=1).text == "quack!":
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"embedded Duckling did not answer in time: {log.read_text()}")
            time.sleep(0.05)
        yield url
    finally:
        stop_process(process)


@pytest.fixture
def duckling(duckling_server, monkeypatch) -> str:
    """The validators' Duckling (``RASA_DUCKLING_HTTP_URL``) is the real one."""
    monkeypatch.setenv("RASA_DUCKLING_HTTP_URL", duckling_server)
    return duckling_server


@pytest.fixture
def duckling_down(monkeypatch) -> str:
    """The validators' Duckling does not answer (connection refused)."""
    monkeypatch.setenv("RASA_DUCKLING_HTTP_URL", CLOSED_URL)
    return CLOSED_URL


@pytest.fixture
def operations(session_factory, clinic, fixed_now) -> Iterator[ClinicOperations]:
    """The actions' clinic operations, on each test database, at the fixed "now"."""
    ops = ClinicOperations(session_factory, clinic, clock=lambda: fixed_now)
    use_clinic_operations(ops)
    try:
        yield ops
    finally:
        use_clinic_operations(None)


# -- a failed test on the real stack says what the stack logged --------------------------

_STACK_LOG_LINES = 80


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed test that used a running stack, attach the end of its log (warnings,
    errors and the calls' lines): CI keeps no stack log, and a call closed by the server
    says why only there."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    stack = getattr(item, "funcargs", {}).get("stack")
    log_path = getattr(stack, "log_path", None)
    if log_path is None or not Path(log_path).exists():
        return
    lines = Path(log_path).read_text(errors="replace").splitlines()
    kept = [line for line in lines
            if any(mark in line for mark in ("WARNING", "ERROR", "Traceback", "call CA", "call "))]
    report.sections.append(("stack log (warnings, errors, calls)",
                            "\n".join(kept[-_STACK_LOG_LINES:])))
