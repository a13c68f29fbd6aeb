"""The audit of staff changes: who booked, moved or cancelled which appointment, when,
and what it was before and after. Rows are only ever added."""
from __future__ import annotations

import json
from datetime import timezone
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.models import utc_now
from staff_console.models import AUDIT_ACTIONS, StaffAudit
from staff_console.passwords import StaffMember


def record(sessions: "sessionmaker[Session]", member: StaffMember, action: str,
           appointment_id: int, clinic_patient_id: str, details: Dict) -> int:
    """Add one audit row; its id."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = StaffAudit(at=utc_now(), staff_user_id=member.id, staff_name=member.name,
                     action=action, appointment_id=appointment_id,
                     clinic_patient_id=clinic_patient_id,
                     details=json.dumps(details, ensure_ascii=False, sort_keys=True))
    with sessions() as session, session.begin():
        session.add(row)
        session.flush()
        return row.id


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
