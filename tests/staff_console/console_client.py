"""A staff console served in the test process, and a staff member's browser: the
helpers the console's tests share (their fixtures are in ``conftest.py``)."""
from __future__ import annotations

import asyncio
import re
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Iterator

import requests
from rasa.shared.core.events import BotUttered, UserUttered

from clinic.config import load_clinic_config
from clinic.database import make_engine, make_session_factory
from simulation.stack import free_port
from staff_console.app import create_app
from staff_console.settings import ConsoleSettings
from tests.staff_console.test_staff_console_conversations import write_conversation

PASSWORD = "un-mot-de-passe-long"
PATIENT_ID, PHONE = "482715", "+33642153321"
SECRETS = (PATIENT_ID, PHONE, "0642153321", "642153321", "06 42 15 33 21", "4 8 2 7 1 5")


def next_open_weekday() -> str:
    clinic = load_clinic_config()
    day = datetime.now(clinic.timezone).date() + timedelta(days=2)
    while day.weekday() > 4 or day in clinic.closed_days:
        day += timedelta(days=1)
    return day.isoformat()


@contextmanager
def running_console(settings: ConsoleSettings) -> Iterator[SimpleNamespace]:
    """The console of ``settings`` served on a free port of 127.0.0.1 (in this process)."""
    app = create_app(settings, name=f"staff_test_{free_port()}")
    engine = make_engine(settings.database_url)
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve():
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False))
        loop.run_until_complete(server.startup())
        loop.run_until_complete(server.before_start())
        ready.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(20)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", app=app,
                              sessions=make_session_factory(engine))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        app.ctx.console.engine.dispose()
        app.ctx.console.tracker.dispose()
        engine.dispose()


def write_call(tracker_url: str) -> None:
    """A call of a minute ago in which a patient gave their file and phone numbers."""
    now = datetime.now().timestamp()
    write_conversation(tracker_url, "phone:" + "d" * 24, [
        UserUttered(f"mon dossier est {PATIENT_ID} et mon numéro 06 42 15 33 21",
                    {"name": "inform", "confidence": 0.3}, timestamp=now - 60),
        BotUttered("Je récapitule : dossier 4 8 2 7 1 5. Je confirme ?", timestamp=now - 59)])


def login(url: str, name: str = "accueil", password: str = PASSWORD, client=None):
    client = client or requests.Session()
    page = client.get(f"{url}/staff/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = client.post(f"{url}/staff/login", data={"csrf_token": token, "name": name,
                                                     "password": password},
                         allow_redirects=False, timeout=30)
    return client, answer


def csrf_of(client, url) -> str:
    page = client.get(f"{url}/staff/", timeout=10)
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
