"""The audit journal of what staff do: who booked, moved or cancelled which appointment
(and what it was before and after), read which transcript, exported which conversations,
registered which patient, changed which account; and when. Rows are only ever added.

A change is recorded in its own transaction (:func:`recorder`, :func:`add`): both
commit, or neither. A read is recorded before its data is sent (:func:`write`)."""
from __future__ import annotations

import json
from datetime import timezone
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clinic.models import utc_now
from staff_console.models import APPOINTMENT_ACTIONS, AUDIT_ACTIONS, StaffAudit
from staff_console.passwords import StaffMember


def summary(done: Any) -> Dict:
    """An appointment as the audit and the console show it (doctor, start, status)."""
    return {"doctor_id": done.doctor_id, "start": done.start.isoformat(), "status": done.status}


def add(session: Session, member: StaffMember, action: str, details: Dict, *,
        appointment_id: Optional[int] = None, clinic_patient_id: Optional[str] = None,
        conversation: Optional[str] = None) -> None:
    """One audit row, in ``session``'s transaction."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(StaffAudit(at=utc_now(), staff_user_id=member.id, staff_name=member.name,
                           action=action, appointment_id=appointment_id,
                           clinic_patient_id=clinic_patient_id, conversation=conversation,
                           details=json.dumps(details, ensure_ascii=False, sort_keys=True)))


def write(sessions: "sessionmaker[Session]", member: StaffMember, action: str, details: Dict,
          **subject: Any) -> None:
    """One audit row, in a transaction of its own (:func:`add`'s arguments)."""
    with sessions() as session, session.begin():
        add(session, member, action, details, **subject)


def recorder(member: StaffMember, action: str, clinic_patient_id: str,
             before: Optional[Dict] = None) -> Callable[[Session, Any], None]:
    """The audit row of one change, for :class:`ClinicOperations` to write in the change's
    own transaction (both commit, or neither)."""
    if action not in APPOINTMENT_ACTIONS:
        raise ValueError(f"unknown appointment action {action!r}")

    def record(session: Session, done: Any) -> None:
        details = {"after": summary(done)}
        if before is not None:
            details["before"] = before
        add(session, member, action, details, appointment_id=done.id,
            clinic_patient_id=clinic_patient_id)

    return record


def recent(sessions: "sessionmaker[Session]", tz, limit: int = 100,
           appointment_id: Optional[int] = None) -> List[Dict]:
    """The latest audit rows, newest first (times in the clinic's time zone)."""
    query = select(StaffAudit).order_by(StaffAudit.at.desc(), StaffAudit.id.desc()).limit(limit)
    if appointment_id is not None:
        query = query.where(StaffAudit.appointment_id == appointment_id)
    with sessions() as session:
        rows = session.scalars(query).all()
    return [{
        "id": row.id,
        "at": row.at.replace(tzinfo=timezone.utc).astimezone(tz).isoformat(timespec="seconds"),
        "staff": row.staff_name, "action": row.action, "appointment_id": row.appointment_id,
        "clinic_patient_id": row.clinic_patient_id, "conversation": row.conversation,
        "details": json.loads(row.details),
    } for row in rows]
