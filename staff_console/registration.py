"""Registering one patient from the console (any staff member): patient ID, last name,
first name and phone, checked and written by the clinic's own register
(:mod:`clinic.patient_registry`, as ``make import-patients`` does), then recorded in
the audit journal. A known patient ID with other details is updated; the same details
again change nothing (and are recorded as such)."""
from __future__ import annotations

from typing import Dict, Optional

from sqlalchemy.orm import Session, sessionmaker

from clinic.patient_registry import InvalidPatient, parse_patient, register_patients
from staff_console import audit
from staff_console.passwords import StaffMember
from staff_console.staff_actions import ActionRefused

RESULTS = ("created", "updated", "unchanged")


def register_patient(sessions: "sessionmaker[Session]", digits: int, member: StaffMember,
                     form: Dict[str, Optional[str]]) -> str:
    """Register the patient of ``form``: ``created``, ``updated`` or ``unchanged``;
    :class:`ActionRefused` (400, the register's French reason) for a wrong field."""
    try:
        record = parse_patient(form.get("patient_id") or "", form.get("last_name") or "",
                               form.get("first_name") or "", form.get("phone") or "", digits)
    except InvalidPatient as invalid:
        reason = str(invalid)
        raise ActionRefused(400, f"{reason[:1].upper()}{reason[1:]}.") from None
    counts = register_patients(sessions, [record])
    result = next(name for name in RESULTS if getattr(counts, name))
    audit.write(sessions, member, "register", {"result": result},
                clinic_patient_id=record.clinic_patient_id)
    return result
