"""Reading a transcript and exporting conversations go into the audit journal (who,
when, which conversation), on a real server and real SQLite and PostgreSQL databases;
the journal names a conversation without its sender id."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from clinic.models import utc_now
from staff_console.conversations import conversation_ref
from staff_console.models import StaffAudit
from tests.staff_console.console_client import login

CALL = "phone:" + "d" * 24  # tests.staff_console.test_staff_console_access.write_call


def test_reading_a_transcript_and_exporting_are_audited(any_console):
    client, _answer = login(any_console.url)
    api = f"{any_console.url}/staff/api"
    [call] = client.get(f"{api}/conversations", timeout=10).json()
    assert client.get(f"{api}/conversations/999999", timeout=10).status_code == 404
    assert client.get(f"{api}/audit", timeout=10).json() == []  # lists are not reads
    before = utc_now() - timedelta(seconds=1)

    assert client.get(f"{api}/conversations/{call['id']}", timeout=10).status_code == 200
    assert client.get(f"{api}/conversations.csv", params={"channel": "phone"},
                      timeout=10).status_code == 200

    with any_console.sessions() as session:
        read, export = session.scalars(select(StaffAudit).order_by(StaffAudit.id)).all()
    ref = conversation_ref(CALL)
    assert ref.startswith("phone:") and "d" * 8 not in ref
    assert (read.staff_name, read.action, read.conversation) == ("accueil", "read", ref)
    assert (export.staff_name, export.action) == ("accueil", "export")
    assert json.loads(export.details) == {"conversations": [ref], "filters": {
        "channel": "phone", "days": 7, "outcome": None}}
    for row in (read, export):
        assert before <= row.at <= utc_now() and row.appointment_id is None
        assert "d" * 8 not in (row.conversation or "") + row.details
    journal = client.get(f"{api}/audit", timeout=10).json()
    assert [(a["action"], a["conversation"]) for a in journal] == [("export", None), ("read", ref)]
