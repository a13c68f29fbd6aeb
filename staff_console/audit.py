"""The audit of staff changes: who booked, moved or cancelled which appointment, when,
and what it was before and after. Rows are only ever added."""
from __future__ import annotations

import json
from datetime import timezone
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.models import utc_now
from staff_console.models import AUDIT_ACTIONS, StaffAudit
from staff_console.passwords import StaffMember


def summary(done: Any) -> Dict:
    """An appointment as the audit and the console show it (doctor, start, status)."""
    return {"doctor_id": done.doctor_id, "start": done.start.isoformat(), "status": done.status}


def recorder(member: StaffMember, action: str, clinic_patient_id: str,
             before: Optional[Dict] = None) -> Callable[[Session, Any], None]:
    """The audit row of one change, for :class:`ClinicOperations` to write in the change's
    own transaction (both commit, or neither)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")

    def record(session: Session, done: Any) -> None:
        details = {"after": summary(done)}
        if before is not None:
            details["before"] = before
        session.add(StaffAudit(at=utc_now(), staff_user_id=member.id, staff_name=member.name,
                               action=action, appointment_id=done.id,
                               clinic_patient_id=clinic_patient_id,
                               details=json.dumps(details, ensure_ascii=False, sort_keys=True)))

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
        "clinic_patient_id": row.clinic_patient_id, "details": json.loads(row.details),
    } for row in rows]
