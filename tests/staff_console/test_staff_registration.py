"""Registering a patient from the console, on a real server and real SQLite and
PostgreSQL databases: created, unchanged the second time, updated with other details,
refused with the register's French reason, audited, never logged in full; then the
patient books under clinic.yml as shipped (registered patients only)."""
from __future__ import annotations

import json
import logging

from sqlalchemy import select

from clinic.models import Patient
from staff_console.models import StaffAudit
from tests.staff_console.console_client import csrf_of, login, next_open_weekday

PATIENT = {"patient_id": "730418", "last_name": "N'Diaye", "first_name": "Awa",
           "phone": "06 51 42 73 90"}


def test_staff_register_a_patient_who_can_then_book(any_console, caplog):
    caplog.set_level(logging.WARNING, logger="urllib3")
    caplog.set_level(logging.DEBUG)
    client, _answer = login(any_console.url)
    token = csrf_of(client, any_console.url)
    api = f"{any_console.url}/staff/api"

    def register(**changes):
        return client.post(f"{api}/patients", data={**PATIENT, **changes, "csrf_token": token},
                           timeout=10)

    unknown = client.post(f"{api}/appointments", timeout=10, data={
        "csrf_token": token, "patient_id": PATIENT["patient_id"], "date": next_open_weekday(),
        "time": "10:00", "doctor_id": "martin"})
    assert unknown.status_code == 404  # clinic.yml as shipped: registered patients only

    created = register()
    assert (created.status_code, created.json()) == (201, {"result": "created"})
    assert (register().status_code, register().json()) == (200, {"result": "unchanged"})
    updated = register(phone="+33 6 51 42 73 91")
    assert (updated.status_code, updated.json()) == (200, {"result": "updated"})
    for field, value, reason in (("patient_id", "12", "identifiant patient"),
                                 ("last_name", "", "nom"),
                                 ("first_name", "Awa2", "prénom"),
                                 ("phone", "12", "téléphone")):
        refused = register(**{field: value})
        assert refused.status_code == 400, field
        assert refused.json()["error"].lower().startswith(reason + " :"), field

    with any_console.sessions() as session:
        patient = session.scalars(select(Patient)).one()
        rows = session.scalars(select(StaffAudit).order_by(StaffAudit.id)).all()
    assert (patient.clinic_patient_id, patient.last_name, patient.first_name,
            patient.phone_e164) == ("730418", "N'Diaye", "Awa", "+33651427391")
    assert [(r.staff_name, r.action, r.clinic_patient_id, json.loads(r.details)["result"])
            for r in rows] == [("accueil", "register", "730418", result)
                               for result in ("created", "unchanged", "unchanged", "updated")]

    booked = client.post(f"{api}/appointments", timeout=10, data={
        "csrf_token": token, "patient_id": PATIENT["patient_id"], "date": next_open_weekday(),
        "time": "10:00", "doctor_id": "martin"})
    assert booked.status_code == 201, booked.text
    logged = caplog.text
    assert "registered patient ****18 (created)" in logged
    for secret in ("730418", "+33651427390", "+33651427391", "651427391", "06 51 42 73 90"):
        assert secret not in logged, secret
